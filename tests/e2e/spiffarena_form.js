// A form imported from SpiffArena in the operator player: its widgets as the page shows
// them, a screenshot, then the answer sent. Env: CUEBOOK_URL, CUEBOOK_TOKEN, CUEBOOK_SCRIPT.
"use strict";
const { env, scenario, shot } = require("./browser");

const SUBMIT = "form.answer button.primary";

async function navigating(page, act) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), act()]);
}

function widgets(page) {
  return page.evaluate(() => {
    const found = {};
    document.querySelectorAll("form.answer [name]").forEach((el) => {
      const name = el.name;
      if (name === "csrf_token" || name === "step_token") return;
      const box = el.closest("[data-field]");
      const entry = found[name] || {
        order: Object.keys(found).length,
        controls: [],
        help: box ? ((box.querySelector(".help") || {}).textContent || "").trim() : "",
        label: box ? ((box.querySelector("label, legend") || {}).textContent || "").trim() : "",
        shownText: "",
      };
      entry.controls.push({
        tag: el.tagName.toLowerCase(),
        type: el.type || "",
        readonly: el.readOnly || false,
        placeholder: el.placeholder || "",
        rows: el.rows || 0,
        options: el.tagName === "SELECT" ? Array.from(el.options).map((o) => o.textContent) : [],
        value: el.value,
      });
      const shown = box ? box.querySelector("input[readonly]:not([name])") : null;
      if (shown) entry.shownText = shown.value;
      found[name] = entry;
    });
    return found;
  });
}

scenario("spiffarena-form", async (page, result) => {
  const base = env("CUEBOOK_URL");
  await page.goto(base + "/player/");
  await page.fill("#f-token", env("CUEBOOK_TOKEN"));
  await navigating(page, () => page.click(SUBMIT));
  await navigating(page, () => page.click(`button[data-script="${env("CUEBOOK_SCRIPT")}"]`));
  result.heading = ((await page.textContent("h1")) || "").trim();
  result.say = ((await page.innerText(".say")) || "").trim();
  result.widgets = await widgets(page);
  await shot(page, "spiffarena-refund-form");
  await page.selectOption('[name="reason"]', "Service outage");
  await page.check('[name="channel"][value="email"]');
  await page.fill('[name="amount"]', "12.5");
  await page.fill('[name="charge_date"]', "2026-11-30");
  await page.check('[name="services"][value="tv"]');
  await page.fill('[name="details"]', "Charged twice for TV");
  await navigating(page, () => page.click(SUBMIT));
  result.end = ((await page.innerText(".say")) || "").trim();
  await shot(page, "spiffarena-refund-end");
});
