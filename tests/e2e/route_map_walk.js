// The ticket route map: sign in, open each map page, wait for bpmn-js to draw the diagram and
// read what it marked. Env: CUEBOOK_URL, CUEBOOK_TOKEN, CUEBOOK_MAPS (JSON list of
// {"name", "path"}: a screenshot name and the page's path under CUEBOOK_URL).
"use strict";
const { env, scenario, shot } = require("./browser");

function drawn(page) {
  return page.evaluate(() => {
    const box = document.getElementById("route-diagram");
    const ids = (sel) => Array.from(box.querySelectorAll(sel)).map((e) => e.getAttribute("data-element-id"));
    const logo = box.querySelector(".bjs-powered-by");
    const rect = logo ? logo.getBoundingClientRect() : null;
    return {
      state: box.getAttribute("data-state"),
      marked: Number(box.getAttribute("data-marked") || 0),
      passed: ids(".djs-element.cb-passed"),
      current: ids(".djs-element.cb-current"),
      taken: ids(".djs-connection.cb-taken"),
      shapes: box.querySelectorAll(".djs-shape").length,
      times: Array.from(box.querySelectorAll(".djs-overlay .cb-time")).map((e) => e.textContent),
      logoShown: Boolean(rect && rect.width > 0 && rect.height > 0),
      heading: (document.querySelector("h1") || {}).textContent || "",
      rows: Array.from(document.querySelectorAll("table.route tbody tr")).map((r) =>
        Array.from(r.cells).map((c) => c.textContent.trim())),
      overflowing: document.documentElement.scrollWidth > document.documentElement.clientWidth,
    };
  });
}

scenario("route-map", async (page, result) => {
  const base = env("CUEBOOK_URL");
  await page.goto(base + "/player/signin");
  await page.fill("#f-token", env("CUEBOOK_TOKEN"));
  await Promise.all([page.waitForNavigation(), page.click("form.answer button.primary")]);
  result.maps = {};
  for (const map of JSON.parse(env("CUEBOOK_MAPS"))) {
    await page.goto(base + map.path);
    await page.waitForSelector("#route-diagram:not([data-state=loading])");
    result.maps[map.name] = await drawn(page);
    await shot(page, `map-${map.name}`);
  }
});
