// The offers panel: sign in as an operator, become ready with the panel's form, a bot's
// chat is handed off and the offer appears live (server-sent events, no reload); accept it
// and land on the conversation; a ticket's offer in Russian; the page without JavaScript.
// Env: CUEBOOK_URL, CUEBOOK_TOKEN (operator), CUEBOOK_BOT_TOKEN, CUEBOOK_CHAT (script key
// whose handoffs wait in the operator's group), CUEBOOK_ROUTING, CUEBOOK_GROUP.
"use strict";
const { env, scenario, shot } = require("./browser");

async function navigating(page, act) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), act()]);
}

async function api(method, path, body) {
  const resp = await fetch(env("CUEBOOK_URL") + path, {
    method,
    headers: { Authorization: `Bearer ${env("CUEBOOK_BOT_TOKEN")}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await resp.json();
  if (resp.status >= 300) throw new Error(`${method} ${path}: ${resp.status} ${JSON.stringify(data)}`);
  return data;
}

async function handOff() {
  const view = await api("POST", "/api/v1/sessions", { script: env("CUEBOOK_CHAT"), channel: "chat" });
  const moved = await api("POST", `/api/v1/sessions/${view.session_id}/steps`, { step_token: view.step_token, text: "operator" });
  return moved.session_id;
}

function panelInfo(page) {
  return page.evaluate(() => {
    const panel = document.getElementById("offers") || document.querySelector(".offers-panel");
    if (!panel) return null;
    return {
      heading: (panel.querySelector("h2") || {}).textContent,
      presence: (panel.querySelector("#presence-select") || {}).value,
      offers: Array.from(panel.querySelectorAll(".offer")).map((li) => ({
        id: li.dataset.offerId, kind: li.dataset.kind, text: li.querySelector(".offer-what").innerText.replace(/\s+/g, " ").trim(),
        buttons: Array.from(li.querySelectorAll("button")).map((b) => b.textContent.trim()),
      })),
      empty: panel.querySelector(".offers-empty") ? !panel.querySelector(".offers-empty").hidden : null,
      connected: panel.dataset.connected || null,
      lang: document.documentElement.lang,
      overflowing: document.documentElement.scrollWidth > document.documentElement.clientWidth,
    };
  });
}

async function signIn(page) {
  await page.goto(env("CUEBOOK_URL") + "/player/signin");
  await page.fill("#f-token", env("CUEBOOK_TOKEN"));
  await navigating(page, () => page.click("form.answer button.primary"));
}

scenario("offers", async (page, result, context) => {
  const base = env("CUEBOOK_URL");
  await signIn(page);
  result.before = await panelInfo(page);
  await shot(page, "offers-01-offline");

  await page.selectOption("#presence-select", "ready");
  await navigating(page, () => page.click(".presence-form button"));
  result.ready = await panelInfo(page);
  await page.waitForFunction(() => document.getElementById("offers").dataset.connected === "yes");

  const talk = await handOff();
  await page.waitForSelector(".offer", { timeout: 20000 });  // arrives by the stream, no reload
  result.live = await panelInfo(page);
  result.liveUrl = page.url();
  await shot(page, "offers-02-live");

  await navigating(page, () => page.click(".offer button.primary"));
  result.acceptedUrl = page.url();
  result.talk = talk;
  await shot(page, "offers-03-accepted");

  // A ticket's offer, in Russian.
  const ru = await context.browser().newContext({ viewport: { width: 960, height: 700 }, locale: "ru-RU", extraHTTPHeaders: { "Accept-Language": "ru" } });
  const rpage = await ru.newPage();
  rpage.on("pageerror", (e) => result.pageErrors.push(String(e)));
  await signIn(rpage);
  await rpage.waitForFunction(() => document.getElementById("offers").dataset.connected === "yes");
  await api("POST", "/api/v1/tickets", {
    script: env("CUEBOOK_ROUTING"), channel: "chat", type: "complaint", category: env("CUEBOOK_GROUP"),
    subject: "s", customer_key: "browser-" + Date.now(),
  });
  await rpage.waitForSelector(".offer", { timeout: 20000 });
  result.russian = await panelInfo(rpage);
  await shot(rpage, "offers-04-russian");

  // Without JavaScript: the offers page shows the same and refreshes itself.
  const still = await context.browser().newContext({ viewport: { width: 960, height: 700 }, javaScriptEnabled: false });
  const npage = await still.newPage();
  await signIn(npage);
  await npage.goto(base + "/player/offers");
  result.noScript = await panelInfo(npage);
  result.noScript.refresh = await npage.evaluate(() => (document.querySelector('meta[http-equiv="refresh"]') || {}).content || null);
  await shot(npage, "offers-05-no-script");
  await ru.close();
  await still.close();
});
