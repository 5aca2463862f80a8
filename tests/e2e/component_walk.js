// <cuebook-player> on a page from another origin: walk a plan to the end through the JSON API,
// then check that the player page can be framed by an allowed origin and not by another.
// Env: CUEBOOK_PAGE (the page with the component), CUEBOOK_PLAN (as in operator_walk.js),
// CUEBOOK_FRAME_PAGE and CUEBOOK_FOREIGN_FRAME_PAGE (pages that frame the sign-in page).
"use strict";
const { env, scenario, shot } = require("./browser");

const HOST = "cuebook-player";

function info(page) {
  return page.evaluate(() => {
    const host = document.querySelector("cuebook-player");
    const root = host.shadowRoot;
    const steps = window.cuebookEvents.filter((e) => e.type === "step");
    const active = root.activeElement;
    const values = {};
    root.querySelectorAll("form [name]").forEach((el) => {
      if (el.tagName === "BUTTON") return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      values[el.name] = el.value;
    });
    return {
      id: steps.length ? steps[steps.length - 1].id : null,
      status: steps.length ? steps[steps.length - 1].status : null,
      heading: (root.querySelector("h2") || {}).textContent || "",
      where: (root.querySelector(".where") || {}).textContent || "",
      say: ((root.querySelector(".say") || {}).textContent || "").trim(),
      hints: ((root.querySelector(".hints") || {}).textContent || "").trim(),
      focused: document.activeElement === host && active ? (active.id || active.tagName.toLowerCase()) : null,
      canGoBack: Boolean(root.querySelector("button.back")),
      labelsTied: Array.from(root.querySelectorAll("form input:not([type=hidden]), form select, form textarea"))
        .every((el) => Boolean(el.closest("fieldset") || root.querySelector(`label[for="${el.id}"]`))),
      errors: Array.from(root.querySelectorAll(".error")).map((e) => ({
        id: e.id,
        text: e.textContent,
        describes: Boolean(root.querySelector(`[aria-describedby~="${e.id}"]`)),
      })),
      values,
    };
  });
}

async function fill(page, name, value) {
  const field = page.locator(`${HOST} form [name="${name}"]:not([type=hidden])`).first();
  const kind = await field.evaluate((el) => (el.tagName === "SELECT" ? "select" : el.type));
  if (kind === "checkbox" && typeof value === "boolean") await field.setChecked(value);
  else if (kind === "radio" || kind === "checkbox") await page.locator(`${HOST} input[name="${name}"][value="${value}"]`).check();
  else if (kind === "select") await field.selectOption(String(value));
  else await field.fill(String(value));
}

async function act(page, action) {
  if (action.back) return page.click(`${HOST} button.back`);
  if (action.continue) return page.click(`${HOST} button.primary`);
  if (action.choose !== undefined) {
    if (!action.keyboard) return page.click(`${HOST} button.option[value="${action.choose}"]`);
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press("Tab");
      const here = await page.evaluate(() => {
        const a = document.querySelector("cuebook-player").shadowRoot.activeElement;
        return a && a.classList.contains("option") ? a.value : null;
      });
      if (here === String(action.choose)) return page.keyboard.press("Enter");
    }
    throw new Error(`Tab never reached option ${action.choose}`);
  }
  for (const [name, value] of Object.entries(action.fill || {})) await fill(page, name, value);
  return page.click(`${HOST} button.primary`);
}

async function framed(page, url) {
  await page.goto(url);
  try {
    const heading = page.frameLocator("iframe").locator("h1");
    return (await heading.textContent({ timeout: 5000 })).trim();
  } catch (e) {
    return null;
  }
}

scenario("component", async (page, result) => {
  const plan = JSON.parse(env("CUEBOOK_PLAN"));
  await page.goto(env("CUEBOOK_PAGE"));
  let seen = 0;
  let n = 0;
  let fresh = true;
  for (const action of plan) {
    if (action.end) {
      await page.waitForFunction(() => window.cuebookEvents.some((e) => e.type === "end"));
    } else if (fresh) {
      await page.waitForFunction((k) => window.cuebookEvents.filter((e) => e.type === "step").length > k, seen);
    }
    seen = await page.evaluate(() => window.cuebookEvents.filter((e) => e.type === "step").length);
    const now = await info(page);
    now.action = action;
    result.steps.push(now);
    await shot(page, `component-${String(n++).padStart(2, "0")}-${now.id || now.status}`);
    if (action.end) break;
    if (now.id !== action.step) throw new Error(`expected step ${action.step}, the component shows ${now.id}`);
    await act(page, action);
    fresh = !action.expect_error;
    if (action.expect_error) {
      const errorId = `#f-${action.expect_error}-error`;
      await page.waitForSelector(`${HOST} ${errorId}`);
      const after = await info(page);
      after.action = { error_of: action.expect_error };
      result.steps.push(after);
      await shot(page, `component-${String(n++).padStart(2, "0")}-${now.id}-error`);
    }
  }
  result.events = await page.evaluate(() => window.cuebookEvents);
  result.framed = await framed(page, env("CUEBOOK_FRAME_PAGE"));
  await shot(page, "component-frame");
  result.foreignFramed = await framed(page, env("CUEBOOK_FOREIGN_FRAME_PAGE"));
});
