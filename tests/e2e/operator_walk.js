// The operator player, server-rendered: sign in, start a script, walk a plan to the end.
// Env: CUEBOOK_URL, CUEBOOK_TOKEN, CUEBOOK_SCRIPT, CUEBOOK_PLAN (JSON list of actions).
// An action names the step it expects and does one of: fill {name: value}, choose value,
// continue, back; "keyboard": true does it with the keyboard only; "expect_error": field
// means the answer must come back with that field's error. {"end": true} closes the plan.
"use strict";
const { env, scenario, shot } = require("./browser");

const SUBMIT = "form.answer button.primary";

function stepInfo(page) {
  return page.evaluate(() => {
    const step = document.querySelector("article.step");
    const active = document.activeElement;
    const values = {};
    document.querySelectorAll("form.answer [data-field]").forEach((box) => {
      const shown = Array.from(box.querySelectorAll("input:not([type=hidden]), select, textarea"))
        .filter((el) => !(el.type === "radio" || el.type === "checkbox") || el.checked)
        .map((el) => el.value);
      const sent = Array.from(box.querySelectorAll("input[type=hidden]")).map((el) => el.value);
      values[box.dataset.field] = shown.join(",");
      if (sent.length) values[box.dataset.field + ":sent"] = sent.join(",");
    });
    return {
      id: step ? step.dataset.stepId : null,
      kind: step ? step.dataset.stepKind : null,
      status: step ? step.dataset.status : null,
      heading: (document.querySelector("h1") || {}).textContent || "",
      where: Array.from(document.querySelectorAll(".where span")).map((e) => e.textContent).join(" | "),
      say: ((document.querySelector(".say") || {}).innerText || "").trim(),
      hints: ((document.querySelector(".hints") || {}).innerText || "").trim(),
      focused: active ? (active.id || active.tagName.toLowerCase()) : null,
      canGoBack: Boolean(document.querySelector("form.back")),
      errors: Array.from(document.querySelectorAll("[data-field] .error")).map((e) => ({
        field: e.closest("[data-field]").dataset.field,
        text: e.textContent.trim(),
        describes: Boolean(document.querySelector(`[aria-describedby~="${e.id}"]`)),
      })),
      summary: ((document.querySelector(".error-summary") || {}).innerText || "").trim(),
      values,
    };
  });
}

async function navigating(page, act) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), act()]);
}

async function tabTo(page, test, arg, what) {
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(test, arg)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

async function fill(page, name, value) {
  const kind = await page.evaluate((n) => {
    const box = document.querySelector(`[data-field="${n}"]`);
    if (!box) return null;
    const el = box.querySelector(`[name="${n}"]:not([type=hidden])`);
    return el ? (el.tagName === "SELECT" ? "select" : el.type) : null;
  }, name);
  if (kind === null) throw new Error(`no field ${name} on the page`);
  if (kind === "checkbox" && typeof value === "boolean") await page.setChecked(`[data-field="${name}"] input[type=checkbox]`, value);
  else if (kind === "checkbox") await page.check(`input[name="${name}"][value="${value}"]`);
  else if (kind === "radio") await page.check(`input[name="${name}"][value="${value}"]`);
  else if (kind === "select") await page.selectOption(`select[name="${name}"]`, String(value));
  else await page.fill(`[data-field="${name}"] [name="${name}"]`, String(value));
}

async function act(page, action) {
  if (action.back) return navigating(page, () => page.click("form.back button"));
  if (action.continue) return navigating(page, () => page.click(SUBMIT));
  if (action.choose !== undefined) {
    const option = `form.answer button.option[value="${action.choose}"]`;
    if (!action.keyboard) return navigating(page, () => page.click(option));
    const isOption = (v) => document.activeElement.matches(`button.option[value="${v}"]`);
    await tabTo(page, isOption, String(action.choose), `option ${action.choose}`);
    return navigating(page, () => page.keyboard.press("Enter"));
  }
  const entries = Object.entries(action.fill || {});
  if (!action.keyboard) {
    for (const [name, value] of entries) await fill(page, name, value);
    return navigating(page, () => page.click(SUBMIT));
  }
  for (const [name, value] of entries) {
    await tabTo(page, (n) => document.activeElement.name === n, name, `field ${name}`);
    await page.keyboard.type(String(value));
  }
  return navigating(page, () => page.keyboard.press("Enter"));
}

scenario("operator", async (page, result) => {
  const base = env("CUEBOOK_URL");
  const plan = JSON.parse(env("CUEBOOK_PLAN"));
  await page.goto(base + "/player/");
  result.signinUrl = page.url();
  await shot(page, "operator-00-signin");
  await page.fill("#f-token", "cb_not_a_token");
  await navigating(page, () => page.click("form.answer button.primary"));
  result.badSignin = ((await page.textContent("#f-token-error")) || "").trim();
  await page.fill("#f-token", env("CUEBOOK_TOKEN"));
  await navigating(page, () => page.click("form.answer button.primary"));
  result.afterSignin = page.url();
  result.scripts = await page.$$eval("button[data-script]", (bs) => bs.map((b) => b.dataset.script));
  await shot(page, "operator-01-scripts");
  await navigating(page, () => page.click(`button[data-script="${env("CUEBOOK_SCRIPT")}"]`));
  result.sessionUrl = page.url();
  let n = 2;
  for (const action of plan) {
    const info = await stepInfo(page);
    info.action = action;
    result.steps.push(info);
    await shot(page, `operator-${String(n++).padStart(2, "0")}-${info.id || info.status}`);
    if (action.end) break;
    if (info.id !== action.step) throw new Error(`expected step ${action.step}, the page shows ${info.id}`);
    await act(page, action);
    if (action.expect_error) {
      const after = await stepInfo(page);
      if (!after.errors.some((e) => e.field === action.expect_error)) {
        throw new Error(`no error shown for ${action.expect_error}: ${JSON.stringify(after)}`);
      }
    }
  }
  const last = await page.$(".links a");
  result.backLink = last ? await last.textContent() : null;
});
