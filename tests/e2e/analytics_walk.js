// The analytics page: open it in English and in Russian (bearer token and Accept-Language
// sent with every request), wait for bpmn-js to draw the heatmap, read what it marked and
// take a screenshot. Env: CUEBOOK_URL, CUEBOOK_TOKEN, CUEBOOK_PAGE (the page's path).
"use strict";
const { env, scenario, shot } = require("./browser");

function seen(page) {
  return page.evaluate(() => {
    const box = document.getElementById("analytics-diagram");
    const text = (sel) => Array.from(document.querySelectorAll(sel)).map((e) => e.textContent.replace(/\s+/g, " ").trim());
    const heat = {};
    box.querySelectorAll(".djs-element").forEach((e) => {
      const level = Array.from(e.classList).find((c) => /^cb-heat-\d$/.test(c));
      if (level) heat[e.getAttribute("data-element-id")] = level;
    });
    return {
      state: box.getAttribute("data-state"),
      marked: Number(box.getAttribute("data-marked") || 0),
      heat,
      badges: text(".djs-overlay .cb-heat"),
      heading: (document.querySelector("h1") || {}).textContent || "",
      back: (document.querySelector(".topbar nav a") || {}).href || "",
      tiles: text(".tiles dd"),
      funnel: text(".funnel li"),
      paths: text(".paths li"),
      lang: document.documentElement.lang,
      overflowing: document.documentElement.scrollWidth > document.documentElement.clientWidth,
    };
  });
}

scenario("analytics", async (page, result, context) => {
  const url = env("CUEBOOK_URL") + env("CUEBOOK_PAGE");
  result.pages = {};
  for (const lang of ["en", "ru"]) {
    await context.setExtraHTTPHeaders({
      Authorization: "Bearer " + env("CUEBOOK_TOKEN"),
      "Accept-Language": lang,
    });
    await page.goto(url);
    await page.waitForSelector("#analytics-diagram:not([data-state=loading])");
    result.pages[lang] = await seen(page);
    await shot(page, `analytics-${lang}`);
  }
});
