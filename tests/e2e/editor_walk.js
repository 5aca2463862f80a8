// The methodologist's editor: sign in, create a script from a blank diagram, draw two form
// steps, a gateway and a service task, fill them in with the properties panel's form builder,
// see validation markers come and go, save, meet a conflicting save, test the draft as a chat
// inside the editor, publish, change and publish again, and read the history.
// Env: CUEBOOK_URL, CUEBOOK_TOKEN (methodologist), CUEBOOK_OTHER_TOKEN (a second
// methodologist, saving through the API), CUEBOOK_KEY (the new script's key),
// CUEBOOK_FUNCTION (an integration function with one parameter, `account`).
"use strict";
const { env, scenario, shot } = require("./browser");

const WAIT = 20000;

async function selectElement(page, id) {
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
    // A click on the shape on the canvas, as a person selects it.
    await page.click(`#canvas .djs-shape[data-element-id="${id}"]`);
  }
  await page.waitForSelector(`[data-test=properties][data-element-id="${id}"]`, { timeout: WAIT });
}

async function type(page, selector, value) {
  await page.fill(selector, value);
  await page.press(selector, "Tab"); // the panel applies a field at once on change
}

async function problems(page) {
  await page.waitForSelector("#problems:not([data-state=checking]):not([data-state=unknown])", { timeout: WAIT });
  return page.evaluate(() => ({
    state: document.getElementById("problems").getAttribute("data-state"),
    items: Array.from(document.querySelectorAll("[data-test=problem]")).map((p) => ({
      element: p.getAttribute("data-element"), file: p.getAttribute("data-file"),
      text: p.textContent.trim()
    })),
    marked: Array.from(document.querySelectorAll("#canvas .djs-element.cb-problem")).map((e) => e.getAttribute("data-element-id")),
    badges: document.querySelectorAll("#canvas [data-test=problem-badge]").length
  }));
}

async function settled(page, state) {
  // Edits re-check after a pause: wait for a check to start and end.
  await page.waitForTimeout(900);
  await page.waitForFunction((s) => {
    const n = document.getElementById("problems");
    return n.getAttribute("data-state") === s;
  }, state, { timeout: WAIT });
}

function draw() {
  const m = window.cuebookEditor.modeler;
  const modeling = m.get("modeling");
  const registry = m.get("elementRegistry");
  const factory = m.get("elementFactory");
  function append(fromId, type, id, name, x, y) {
    const shape = modeling.appendShape(registry.get(fromId), factory.createShape({ type }), { x, y });
    modeling.updateProperties(shape, { id, name });
    return shape;
  }
  function connect(fromId, toId, id) {
    const flow = modeling.connect(registry.get(fromId), registry.get(toId));
    modeling.updateProperties(flow, { id });
  }
  append("start", "bpmn:UserTask", "ask_name", "Name", 330, 178);
  append("ask_name", "bpmn:UserTask", "ask_topic", "Topic", 490, 178);
  append("ask_topic", "bpmn:ExclusiveGateway", "which_topic", "Which topic?", 640, 178);
  append("which_topic", "bpmn:ServiceTask", "look_up", "Look up the balance", 790, 100);
  append("look_up", "bpmn:EndEvent", "end_balance", "Balance told", 950, 100);
  append("which_topic", "bpmn:EndEvent", "end_other", "Other topic", 790, 290);
  const out = registry.filter((e) => e.type === "bpmn:SequenceFlow" && e.businessObject.sourceRef.id === "which_topic");
  out.forEach((flow) => {
    const to = flow.businessObject.targetRef.id;
    modeling.updateProperties(flow, { id: to === "look_up" ? "to_balance" : "to_other" });
  });
  window.cuebookEditor.fit();
  return registry.getAll().map((e) => e.id).sort();
}

scenario("editor", async (page, result) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const base = env("CUEBOOK_URL");
  const key = env("CUEBOOK_KEY");
  const fn = env("CUEBOOK_FUNCTION");

  // Sign in; the scripts and drafts page.
  await page.goto(base + "/editor/signin");
  await page.fill("#f-token", env("CUEBOOK_TOKEN"));
  await Promise.all([page.waitForNavigation(), page.click("#signin-form button.primary")]);
  result.afterSignin = new URL(page.url()).pathname;

  // A new script from a blank diagram.
  await page.fill("#f-script", key);
  await page.fill("#f-title", "Balance by chat");
  await shot(page, "editor-scripts");
  await Promise.all([page.waitForNavigation(), page.click("#new-script button.primary")]);
  await page.waitForSelector("#canvas[data-state=ready]", { timeout: WAIT });
  result.draftPath = new URL(page.url()).pathname;
  result.blankShapes = await page.evaluate(() => window.cuebookEditor.modeler.get("elementRegistry").filter((e) => e.type !== "label").map((e) => e.type));
  result.panel = await page.evaluate(() => Boolean(window.CuebookProperties && window.CuebookProperties.mount));

  // Two user tasks, a gateway, a service task and two ends, drawn with the modeler.
  result.drawn = await page.evaluate(draw);
  result.dirty = await page.getAttribute("[data-test=save-state]", "data-state");
  await settled(page, "problems");
  result.problemsDrawn = await problems(page);
  await shot(page, "editor-problems");

  // The steps' texts and forms through the properties panel's form builder.
  await selectElement(page, "ask_name");
  await type(page, "[data-test=prop-text]", "Hello! What is your name?");
  await page.click("[data-test=form-create]");
  await page.click("[data-test=form-add-field]");
  await type(page, "[data-test=field-name]", "customer_name");
  await type(page, "[data-test=field-label]", "Your name");
  await page.check("[data-test=field-required]");
  await page.click("[data-test=field-done]");

  await selectElement(page, "ask_topic");
  await type(page, "[data-test=prop-text]", "What is it about, {{ customer_name }}?");
  await page.click("[data-test=form-create]");
  await page.click("[data-test=form-add-field]");
  await type(page, "[data-test=field-name]", "topic");
  await type(page, "[data-test=field-label]", "Topic");
  await page.selectOption("[data-test=field-type]", "choice");
  await page.check("[data-test=field-required]");
  for (const [value, label] of [["balance", "Balance"], ["other", "Something else"]]) {
    await page.click("[data-test=option-add]");
    await type(page, "[data-test=option-row]:last-child [data-test=option-value]", value);
    await type(page, "[data-test=option-row]:last-child [data-test=option-label]", label);
  }
  await page.click("[data-test=field-done]");
  await shot(page, "editor-form-builder");

  await selectElement(page, "to_balance");
  await type(page, "[data-test=flow-condition]", 'topic == "balance"');
  await selectElement(page, "to_other");
  await page.check("[data-test=flow-default]");

  await selectElement(page, "look_up");
  await page.waitForSelector(`[data-test=service-function] option[value="${fn}"]`, { state: "attached", timeout: WAIT });
  await page.selectOption("[data-test=service-function]", fn);
  await type(page, "[data-test=service-param][data-param=account]", "customer_name");
  await type(page, "[data-test=service-result]", "balance");

  await selectElement(page, "end_balance");
  await type(page, "[data-test=prop-text]", "{{ customer_name }}, your balance is {{ balance.amount }}.");
  await selectElement(page, "end_other");
  await type(page, "[data-test=prop-text]", "Please call us about anything else.");

  await settled(page, "ok");
  result.problemsFixed = await problems(page);

  // Save: revision 2.
  await page.click("[data-test=save]");
  await page.waitForSelector("[data-test=save-state][data-state=saved]", { timeout: WAIT });
  result.savedState = await page.textContent("[data-test=save-state]");
  await shot(page, "editor-draft");

  // Someone else saves meanwhile (through the API); our next save is refused with what changed.
  const draftId = result.draftPath.split("/").pop();
  const other = { Authorization: "Bearer " + env("CUEBOOK_OTHER_TOKEN"), "Content-Type": "application/json" };
  const theirs = await (await fetch(`${base}/api/v1/drafts/${draftId}`, { headers: other })).json();
  const bpmn = Object.keys(theirs.files).find((n) => n.endsWith(".bpmn"));
  theirs.files[bpmn] = theirs.files[bpmn].replace('name="Topic"', 'name="Topic of the call"');
  const put = await fetch(`${base}/api/v1/drafts/${draftId}`, {
    method: "PUT", headers: other, body: JSON.stringify({ revision: theirs.revision, files: theirs.files })
  });
  result.otherSave = put.status;
  await selectElement(page, "ask_name");
  await type(page, "[data-test=prop-name]", "Name, please");
  await page.click("[data-test=save]");
  await page.waitForSelector("[data-test=dialog]:not([hidden])", { timeout: WAIT });
  result.conflict = await page.evaluate(() => ({
    state: document.querySelector("[data-test=save-state]").getAttribute("data-state"),
    title: document.getElementById("dialog-title").textContent,
    changes: Array.from(document.querySelectorAll("[data-test=dialog] [data-test=change]")).map((c) =>
      [c.getAttribute("data-section"), c.getAttribute("data-kind"), c.getAttribute("data-id")]),
    marked: Array.from(document.querySelectorAll("#canvas .djs-element.cb-theirs")).map((e) => e.getAttribute("data-element-id"))
  }));
  await shot(page, "editor-conflict");
  await Promise.all([page.waitForNavigation(), page.click("[data-test=dialog-ok]")]);
  await page.waitForSelector("#canvas[data-state=ready]", { timeout: WAIT });
  result.reloaded = await page.evaluate(() => ({
    revision: document.querySelector("[data-test=save-state]").textContent,
    topic: window.cuebookEditor.modeler.get("elementRegistry").get("ask_topic").businessObject.name
  }));

  // Test the draft as a chat inside the editor.
  await page.click("[data-test=test-chat]");
  await page.waitForSelector("[data-test=chat-line][data-who=script]", { timeout: WAIT });
  await page.fill("[data-test=chat-text]", "Anna");
  await page.click("[data-test=chat-send]");
  await page.waitForSelector("[data-test=chat-button]", { timeout: WAIT });
  result.buttons = await page.$$eval("[data-test=chat-button]", (bs) => bs.map((b) => b.textContent));
  await page.click("[data-test=chat-button]:has-text('Balance')");
  await page.waitForSelector("[data-test=test-panel][data-state=completed]", { timeout: WAIT });
  result.chat = await page.evaluate(() => ({
    lines: Array.from(document.querySelectorAll("[data-test=chat-line]")).map((l) => [l.getAttribute("data-who"), l.querySelector("p").textContent]),
    passed: Array.from(document.querySelectorAll("#canvas .djs-shape.cb-passed")).map((e) => e.getAttribute("data-element-id")).sort(),
    taken: Array.from(document.querySelectorAll("#canvas .djs-connection.cb-passed")).length,
    variables: Array.from(document.querySelectorAll("[data-test=step-variables] pre")).map((p) => JSON.parse(p.textContent)),
    meta: document.getElementById("test-meta").textContent
  }));
  await page.evaluate(() => { document.querySelectorAll("[data-test=step-variables]").forEach((d, i, all) => { d.open = i === all.length - 1; }); });
  await shot(page, "editor-test-chat");

  // The same draft in the operator's web player, inside the editor.
  await page.click("[data-test=test-player]");
  await page.waitForSelector("[data-test=player-box] cuebook-player input[name=customer_name]", { timeout: WAIT });
  await page.fill("[data-test=player-box] cuebook-player input[name=customer_name]", "Boris");
  await page.click("[data-test=player-box] cuebook-player button.primary");
  await page.waitForSelector("[data-test=player-box] cuebook-player button.option", { timeout: WAIT });
  await page.waitForFunction(() => document.querySelectorAll("[data-test=step-variables]").length >= 2, null, { timeout: WAIT });
  result.player = await page.evaluate(() => ({
    mode: document.querySelector("[data-test=test-panel]").getAttribute("data-mode"),
    options: Array.from(document.querySelector("cuebook-player").shadowRoot.querySelectorAll("button.option")).map((b) => b.textContent),
    steps: Array.from(document.querySelectorAll("[data-test=chat-line][data-who=system]")).map((l) => l.querySelector("p").textContent),
    current: Array.from(document.querySelectorAll("#canvas .djs-shape.cb-current")).map((e) => e.getAttribute("data-element-id")),
    variables: JSON.parse(Array.from(document.querySelectorAll("[data-test=step-variables] pre")).pop().textContent)
  }));
  await shot(page, "editor-test-player");

  // Publish: version 1.
  await page.click("[data-test=publish]");
  await page.waitForSelector("[data-test=dialog]:not([hidden]) [data-test=dialog-ok]", { timeout: WAIT });
  await page.click("[data-test=dialog-ok]");
  await page.waitForSelector("[data-test=published]", { timeout: WAIT });
  result.published = await page.getAttribute("[data-test=published]", "data-version");
  await page.click("[data-test=dialog-cancel]");
  await page.click("[data-test=test-close]");

  // A change, published as version 2: the history shows who, when and what changed.
  await selectElement(page, "end_other");
  await type(page, "[data-test=prop-text]", "Please call 0800 about anything else.");
  await selectElement(page, "ask_name");
  await type(page, "[data-test=prop-name]", "Greeting and name");
  await page.click("[data-test=publish]");
  await page.waitForSelector("[data-test=dialog]:not([hidden]) [data-test=dialog-ok]", { timeout: WAIT });
  await page.click("[data-test=dialog-ok]");
  await page.waitForSelector("[data-test=published][data-version='2']", { timeout: WAIT });
  await Promise.all([page.waitForNavigation(), page.click("[data-test=published-link]")]);
  await page.waitForSelector("[data-test=diff-diagram]:not([data-state=loading])", { timeout: WAIT });
  result.history = await page.evaluate(() => ({
    diagram: document.querySelector("[data-test=diff-diagram]").getAttribute("data-state"),
    versions: Array.from(document.querySelectorAll("[data-test=versions] tbody tr")).map((r) => Array.from(r.cells).slice(0, 4).map((c) => c.textContent.trim())),
    changes: Array.from(document.querySelectorAll("[data-test=diff] [data-test=change]")).map((c) =>
      [c.getAttribute("data-section"), c.getAttribute("data-kind"), c.getAttribute("data-id")]),
    marked: Array.from(document.querySelectorAll("[data-test=diff-diagram] .djs-element.cb-changed")).map((e) => e.getAttribute("data-element-id")).sort(),
    releases: document.querySelectorAll("[data-test=releases] tbody tr").length
  }));
  await shot(page, "editor-history");
});
