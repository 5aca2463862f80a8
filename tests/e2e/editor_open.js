// Drafts of deployed scripts open in the editor's modeler: sign in, open each draft page and
// read what bpmn-js drew. Env: CUEBOOK_URL, CUEBOOK_TOKEN (methodologist), CUEBOOK_DRAFTS
// (JSON list of {"name", "path"}).
"use strict";
const { env, scenario, shot } = require("./browser");

scenario("editor-open", async (page, result) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const base = env("CUEBOOK_URL");
  await page.goto(base + "/editor/signin");
  await page.fill("#f-token", env("CUEBOOK_TOKEN"));
  await Promise.all([page.waitForNavigation(), page.click("#signin-form button.primary")]);
  result.drafts = {};
  for (const draft of JSON.parse(env("CUEBOOK_DRAFTS"))) {
    await page.goto(base + draft.path);
    await page.waitForSelector("#canvas:not([data-state=loading])");
    await page.waitForSelector("#problems:not([data-state=unknown]):not([data-state=checking])");
    result.drafts[draft.name] = await page.evaluate(() => {
      const canvas = document.getElementById("canvas");
      const registry = window.cuebookEditor ? window.cuebookEditor.modeler.get("elementRegistry") : null;
      return {
        state: canvas.getAttribute("data-state"),
        warnings: Number(canvas.getAttribute("data-warnings")),
        shapes: registry ? registry.filter((e) => !e.waypoints && e.type !== "label" && e.type !== "bpmn:Process").map((e) => e.id).sort() : [],
        flows: registry ? registry.filter((e) => e.waypoints).length : 0,
        problems: document.getElementById("problems").getAttribute("data-state")
      };
    });
    await shot(page, `editor-open-${draft.name}`);
  }

  // Without the properties panel (its script does not load) the page still edits names.
  const first = JSON.parse(env("CUEBOOK_DRAFTS"))[0];
  await page.route("**/editor/static/editor/properties/**", (route) => route.abort());
  await page.goto(base + first.path);
  await page.waitForSelector("#canvas[data-state=ready]");
  await page.click(`#canvas .djs-shape[data-element-id="${env("CUEBOOK_PLAIN_ELEMENT")}"]`);
  await page.waitForSelector("#properties input#plain-name");
  await page.fill("#properties input#plain-name", "Renamed without the panel");
  await page.press("#properties input#plain-name", "Tab");
  await page.waitForSelector("[data-test=save-state][data-state=dirty]");
  await page.click("[data-test=save]");
  await page.waitForSelector("[data-test=save-state][data-state=saved]");
  result.plain = await page.evaluate((id) => ({
    panel: Boolean(window.CuebookProperties),
    name: window.cuebookEditor.modeler.get("elementRegistry").get(id).businessObject.name,
    saved: document.querySelector("[data-test=save-state]").textContent
  }), env("CUEBOOK_PLAIN_ELEMENT"));
  await shot(page, "editor-plain-panel");
});
