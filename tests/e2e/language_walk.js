// The player's own screens in the reader's language: for each browser locale, sign in,
// start a script and take its first step's page. Env: CUEBOOK_URL, CUEBOOK_TOKEN,
// CUEBOOK_SCRIPT, CUEBOOK_LOCALES (JSON list such as ["ru-RU", "en-US"]).
"use strict";
const { env, scenario, shot } = require("./browser");

function screen(page) {
  return page.evaluate(() => {
    const text = (sel) => ((document.querySelector(sel) || {}).textContent || "").trim();
    const say = document.querySelector(".say [lang]");
    return {
      lang: document.documentElement.lang,
      title: document.title,
      heading: text("h1"),
      label: text("label[for=f-token]"),
      submit: text("form.answer button.primary"),
      signOut: text("header button"),
      where: Array.from(document.querySelectorAll(".where span")).map((e) => e.textContent).join(" | "),
      sayLabel: text("#say-label"),
      sayLang: say ? say.getAttribute("lang") : null,
      options: Array.from(document.querySelectorAll("button.option")).map((b) => b.textContent.trim()),
      overflowing: document.documentElement.scrollWidth > document.documentElement.clientWidth,
    };
  });
}

scenario("languages", async (page, result, context) => {
  const base = env("CUEBOOK_URL");
  result.screens = {};
  await page.close();
  for (const locale of JSON.parse(env("CUEBOOK_LOCALES"))) {
    const own = await context.browser().newContext({ locale, viewport: { width: 960, height: 860 } });
    const tab = await own.newPage();
    tab.setDefaultTimeout(15000);
    tab.on("pageerror", (e) => result.pageErrors.push(String(e)));
    await tab.goto(base + "/player/");
    const signin = await screen(tab);
    await shot(tab, `language-${locale}-signin`);
    await tab.fill("#f-token", env("CUEBOOK_TOKEN"));
    await Promise.all([tab.waitForNavigation(), tab.click("form.answer button.primary")]);
    const scripts = await screen(tab);
    await Promise.all([
      tab.waitForNavigation(),
      tab.click(`button[data-script="${env("CUEBOOK_SCRIPT")}"]`),
    ]);
    const step = await screen(tab);
    await shot(tab, `language-${locale}-step`);
    result.screens[locale] = { signin, scripts, step };
    await own.close();
  }
});
