// The editor's properties panel on the draft page: build a choice form with the form
// builder, read its preview on the three channels, set a service task's function, parameter
// and result variable, check a gateway flow's condition, and save the draft.
// Env: CUEBOOK_URL, CUEBOOK_TOKEN (methodologist), CUEBOOK_DRAFT (a draft holding
// tests/e2e/panel/draft.bpmn), CUEBOOK_FUNCTION (an integration function with the parameters
// `contract` and `region`), CUEBOOK_LANG (ru or en: the page's Accept-Language).
"use strict";
const { env, scenario, shot } = require("./browser");

const T = (name) => `[data-test=${name}]`;

async function select(page, id) {
  const isFlow = await page.evaluate((id) => {
    const el = window.cuebookEditor.modeler.get("elementRegistry").get(id);
    return Boolean(el && el.waypoints);
  }, id);
  if (isFlow) {
    // A flow's box is mostly empty canvas: select it as a click on its line would.
    await page.evaluate((id) => {
      const m = window.cuebookEditor.modeler;
      m.get("selection").select(m.get("elementRegistry").get(id));
    }, id);
  } else {
    await page.click(`#canvas .djs-shape[data-element-id="${id}"]`);
  }
  await page.waitForSelector(`${T("properties")}[data-element-id="${id}"][data-ready=true]`);
}

async function previewReady(page) {
  await page.waitForFunction(() => {
    const box = document.querySelector("[data-test=preview]");
    return box && box.getAttribute("data-state") === "ready" && document.querySelectorAll("[data-test=preview-chat-button]").length === 2;
  });
  return page.evaluate(() => {
    const player = document.querySelector("[data-test=preview-web] cuebook-player");
    const webButtons = player && player.shadowRoot
      ? Array.from(player.shadowRoot.querySelectorAll("button.option, input[type=radio]")).map((b) => (b.textContent || (b.labels[0] || {}).textContent || "").trim())
      : [];
    return {
      chatButtons: Array.from(document.querySelectorAll("[data-test=preview-chat-button]")).map((b) => b.textContent),
      chatMessages: Array.from(document.querySelectorAll("[data-test=preview-chat-message]")).map((m) => m.textContent),
      ivrKeys: Array.from(document.querySelectorAll("[data-test=ivr-dtmf] tbody tr")).map((r) => r.getAttribute("data-key")),
      ssml: (document.querySelector("[data-test=ivr-ssml]") || {}).textContent || "",
      webButtons: webButtons,
    };
  });
}

async function conditionState(page) {
  await page.waitForFunction(() => {
    const s = document.querySelector("[data-test=condition-status]");
    return s && (s.getAttribute("data-state") === "ok" || s.getAttribute("data-state") === "error");
  });
  return page.evaluate(() => {
    const s = document.querySelector("[data-test=condition-status]");
    return { state: s.getAttribute("data-state"), text: s.textContent };
  });
}

scenario("properties-panel", async (page, result) => {
  const lang = env("CUEBOOK_LANG");
  const base = env("CUEBOOK_URL");
  await page.setExtraHTTPHeaders({ "Accept-Language": lang });
  await page.setViewportSize({ width: 1360, height: 900 });
  await page.goto(base + "/editor/signin");
  await page.fill("#f-token", env("CUEBOOK_TOKEN"));
  await Promise.all([page.waitForNavigation(), page.click("#signin-form button.primary")]);
  await page.goto(base + "/editor/drafts/" + env("CUEBOOK_DRAFT"));
  await page.waitForSelector(`${T("properties")}[data-ready=true]`);

  // The process: the manifest's title and default variables.
  await page.evaluate(() => window.cuebookEditor.modeler.get("selection").select(null));
  await page.waitForSelector(`${T("properties")}[data-element-type="bpmn:Process"][data-ready=true]`);
  await page.fill(T("manifest-title"), "Panel demo, edited");
  await page.locator(T("manifest-title")).press("Tab");

  // The user task: text with a variable from the picker, hints, voice, misses.
  await select(page, "ask");
  const text = page.locator(T("prop-text"));
  await text.fill("Hello, ");
  await text.press("End");
  await page.locator(`${T("prop-text")} ~ .cbp-picker ${T("var-picker")}, .cbp-row:has(${T("prop-text")}) ${T("var-picker")}`).first().click();
  await page.click(`${T("var-option")}[data-var=customer_name]`);
  result.preview = { inserted: await text.inputValue() };
  await text.fill("Hello, {{ customer_name }}! What do you need?");
  await page.fill(T("prop-documentation"), "Offer the balance first.");
  await page.fill(T("prop-voice"), "<speak>Main menu.</speak>");
  await page.fill(T("prop-max-misses"), "2");
  await page.fill(T("prop-prescript"), "greeting = 'Hi' if customer_name else ''");
  await page.locator(T("prop-prescript")).press("Tab");
  await page.waitForSelector(`${T("prescript-status")}[data-state=ok]`);
  result.prescript = await page.textContent(T("prescript-status"));
  result.labels = {
    text: await page.locator(`label[for="${await text.getAttribute("id")}"]`).textContent(),
  };

  // The form: one required choice with two options and their synonyms.
  await page.click(T("form-create"));
  result.labels.addField = await page.locator(T("form-add-field")).textContent();
  await page.click(T("form-add-field"));
  await page.fill(T("field-name"), "menu_choice");
  await page.fill(T("field-label"), "Main menu");
  await page.selectOption(T("field-type"), "choice");
  await page.check(T("field-required"));
  await page.fill(T("field-help"), "Pick one");
  const options = [["tariff", "My tariff", "plan, tariff"], ["balance", "Balance", "money"]];
  for (let i = 0; i < options.length; i += 1) {
    await page.click(T("option-add"));
    const row = page.locator(T("option-row")).nth(i);
    await row.locator(T("option-value")).fill(options[i][0]);
    await row.locator(T("option-label")).fill(options[i][1]);
    await row.locator(T("option-synonyms")).fill(options[i][2]);
  }
  await page.locator(T("option-synonyms")).last().press("Tab");
  await shot(page, `panel-form-${lang}`);
  await page.click(T("field-done"));
  Object.assign(result.preview, await previewReady(page));
  await page.locator(T("preview")).scrollIntoViewIfNeeded();
  await shot(page, `panel-preview-${lang}`);

  // The service task: function from the registry, its parameter, the result variable.
  await select(page, "lookup");
  await page.waitForSelector(T("service-function"));
  await page.selectOption(T("service-function"), env("CUEBOOK_FUNCTION"));
  await page.waitForSelector(`${T("service-param")}[data-param=contract]`);
  result.params = await page.locator(T("service-param")).evaluateAll((els) => els.map((e) => e.getAttribute("data-param")));
  await page.fill(`${T("service-param")}[data-param=contract]`, "contract_number +");
  await page.waitForSelector(`${T("service-param-status")}[data-param=contract][data-state=error]`);
  result.paramProblem = await page.textContent(`${T("service-param-status")}[data-param=contract]`);
  await page.fill(`${T("service-param")}[data-param=contract]`, "contract_number");
  await page.waitForSelector(`${T("service-param-status")}[data-param=contract][data-state=ok]`, { state: "attached" });
  await page.fill(T("service-result"), "contract");
  await page.locator(T("service-result")).press("Tab");
  await shot(page, `panel-service-${lang}`);

  // The gateway's flow: a refused condition, then a good one.
  await select(page, "to_balance");
  await page.fill(T("flow-condition"), "menu_choice = 'balance'");
  result.conditionBad = await conditionState(page);
  await page.fill(T("flow-condition"), "menu_choice == 'balance'");
  await page.waitForFunction(() => document.querySelector("[data-test=condition-status]").getAttribute("data-state") === "checking" ||
    document.querySelector("[data-test=condition-status]").textContent.indexOf("==") < 0);
  await page.locator(T("flow-condition")).press("Tab");
  await page.waitForFunction(() => document.querySelector("[data-test=condition-status]").getAttribute("data-state") === "ok");
  result.conditionGood = await conditionState(page);
  await shot(page, `panel-condition-${lang}`);

  await select(page, "ask"); // the panel reads the step back from the BPMN and the files
  await page.waitForSelector(`${T("form-field")}[data-field=menu_choice]`);
  await page.click(T("save"));
  await page.waitForSelector(`${T("save-state")}[data-state=saved]`);
});
