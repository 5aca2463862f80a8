// Shared by the drivers: launch the Debian Chromium, run a scenario, print one JSON line.
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const SHOTS = process.env.CUEBOOK_SCREENSHOTS || path.join(__dirname, "screenshots");

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function scenario(name, body) {
  const result = { scenario: name, ok: false, steps: [], console: [], pageErrors: [] };
  let browser = null;
  try {
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS, timeout: 60000 });
    const context = await browser.newContext({ viewport: { width: 960, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on("console", (m) => { if (m.type() === "error") result.console.push(m.text()); });
    page.on("pageerror", (e) => result.pageErrors.push(String(e)));
    await body(page, result, context);
    result.ok = true;
  } catch (e) {
    result.error = String((e && e.stack) || e);
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exitCode = result.ok ? 0 : 1;
}

module.exports = { env, scenario, shot };
