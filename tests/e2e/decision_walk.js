// The properties panel on a draft of the internet_outage sample: a business rule task's
// decision table opened in dmn-js, one output cell changed and saved into the draft's .dmn
// file; a script task checked by the sandbox; a call activity's process picked.
// Env: CUEBOOK_URL, CUEBOOK_TOKEN (methodologist), CUEBOOK_DRAFT (the draft's id).
"use strict";
const { env, scenario, shot } = require("./browser");

const T = (name) => `[data-test=${name}]`;

async function select(page, id) {
  await page.click(`#canvas .djs-shape[data-element-id="${id}"]`);
  await page.waitForSelector(`${T("properties")}[data-element-id="${id}"][data-ready=true]`);
}

scenario("decision-table", async (page, result) => {
  const base = env("CUEBOOK_URL");
  await page.setViewportSize({ width: 1360, height: 900 });
  await page.goto(base + "/editor/signin");
  await page.fill("#f-token", env("CUEBOOK_TOKEN"));
  await Promise.all([page.waitForNavigation(), page.click("#signin-form button.primary")]);
  await page.goto(base + "/editor/drafts/" + env("CUEBOOK_DRAFT"));
  await page.waitForSelector(`${T("properties")}[data-ready=true]`);

  // The decision: picked from the draft's .dmn files, edited in dmn-js, saved to the file.
  await select(page, "decide_resolution");
  result.decision = await page.inputValue(T("decision-id"));
  await page.click(T("decision-edit"));
  await page.waitForSelector(`${T("decision-editor")} .tjs-table`);
  result.rules = await page.locator(`${T("decision-editor")} .tjs-table tbody tr`).count();
  const cell = page.locator(`${T("decision-editor")} .tjs-table tbody tr`).first().locator("td.output-cell").first();
  await cell.click();
  await page.keyboard.press("End");
  await page.keyboard.type(" + \"_checked\"");
  await shot(page, "panel-decision");
  await page.click(T("decision-save"));
  await page.waitForSelector(T("decision-editor"), { state: "detached" });
  result.dmn = await page.evaluate(() => window.cuebookEditor.draft.files["resolution.dmn"]);
  result.saveState = await page.getAttribute(T("save-state"), "data-state");

  // A script task: the sandbox accepts it and says what it sets.
  await select(page, "check_outage");
  await page.waitForSelector(`${T("script-status")}[data-state=ok]`);
  result.script = await page.textContent(T("script-status"));

  // A call activity: the process it calls, among this draft's and the published ones.
  await select(page, "identify_customer");
  await page.waitForSelector(T("call-process"));
  result.call = await page.inputValue(T("call-process"));
  result.callOptions = await page.locator(`${T("call-process")} option`).evaluateAll((os) => os.map((o) => o.value));
  await shot(page, "panel-call");
});
