// A group's queue -> a ticket -> take it -> comment -> resolve with the task's form -> the
// route map; then the queue, another ticket and the map again in Russian, and the other
// ticket's transfer form (its list of groups). Env: CUEBOOK_URL,
// CUEBOOK_TOKEN, CUEBOOK_GROUP, CUEBOOK_TICKET (the id to work), CUEBOOK_OTHER_TICKET,
// CUEBOOK_ANSWER (JSON {field: value} for the task's form), CUEBOOK_SHOTS (a name prefix).
"use strict";
const { env, scenario, shot } = require("./browser");

async function navigating(page, act) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), act()]);
}

async function fill(page, name, value) {
  const el = await page.$(`#resolve-form [name="${name}"]:not([type=hidden])`);
  if (!el) throw new Error(`no field ${name} in the form`);
  const kind = await el.evaluate((e) => (e.tagName === "SELECT" ? "select" : e.type));
  if (kind === "radio" || kind === "checkbox") await page.check(`#resolve-form [name="${name}"][value="${value}"]`);
  else if (kind === "select") await page.selectOption(`#resolve-form select[name="${name}"]`, String(value));
  else await el.fill(String(value));
}

function ticketInfo(page) {
  return page.evaluate(() => {
    const article = document.querySelector("article.ticket");
    const text = (sel) => ((document.querySelector(sel) || {}).textContent || "").trim();
    const active = document.activeElement;
    return {
      status: article ? article.dataset.status : null,
      group: article ? article.dataset.group : null,
      heading: text("h1"),
      facts: Array.from(document.querySelectorAll(".facts div")).map((d) => d.innerText.replace(/\s+/g, " ").trim()),
      canTake: Boolean(document.querySelector(".work-item form button[id^=claim-]")),
      hasForm: Boolean(document.querySelector("#resolve-form")),
      errors: Array.from(document.querySelectorAll("#error-summary li")).map((e) => e.textContent.trim()),
      focused: active ? (active.id || active.tagName.toLowerCase()) : null,
      messages: Array.from(document.querySelectorAll(".thread .message .body-text")).map((e) => e.textContent),
      mapLink: (document.querySelector("a.map-link") || {}).href || null,
      overflowing: document.documentElement.scrollWidth > document.documentElement.clientWidth,
    };
  });
}

scenario("tickets", async (page, result) => {
  const base = env("CUEBOOK_URL");
  const prefix = env("CUEBOOK_SHOTS");
  const named = (name) => `${prefix}-${name}`;
  const ticket = env("CUEBOOK_TICKET");
  await page.goto(base + "/player/signin");
  await page.fill("#f-token", env("CUEBOOK_TOKEN"));
  await navigating(page, () => page.click("form.answer button.primary"));

  await page.goto(`${base}/player/queues/${env("CUEBOOK_GROUP")}`);
  result.queue = await page.evaluate(() => ({
    heading: (document.querySelector("h1") || {}).textContent,
    rows: Array.from(document.querySelectorAll("table.queue tbody tr")).map((r) => ({
      kind: r.dataset.kind, ticket: r.dataset.ticketId || null, due: (r.querySelector(".due-in") || {}).textContent || null,
      take: Boolean(r.querySelector("form button.primary")),
    })),
    overflowing: document.documentElement.scrollWidth > document.documentElement.clientWidth,
  }));
  await shot(page, named("01-queue"));

  await navigating(page, () => page.click(`tr[data-ticket-id="${ticket}"] a.item-link`));
  result.opened = await ticketInfo(page);
  await shot(page, named("02-ticket"));

  await navigating(page, () => page.click(".work-item form button[id^=claim-]"));
  result.taken = await ticketInfo(page);
  result.takenUrl = page.url();
  await shot(page, named("03-taken"));

  await page.fill("#comment-text", "Called the customer back");
  await navigating(page, () => page.click("#comment-form button"));
  result.commented = await ticketInfo(page);

  // nothing chosen yet: the browser keeps the form (the radio group is required)
  result.blocked = await page.evaluate(() => !document.querySelector("#resolve-form").checkValidity());
  for (const [name, value] of Object.entries(JSON.parse(env("CUEBOOK_ANSWER")))) await fill(page, name, value);
  await shot(page, named("04-form"));
  await navigating(page, () => page.click("#resolve-form button.primary"));
  result.resolved = await ticketInfo(page);
  await shot(page, named("05-resolved"));

  await navigating(page, () => page.click("a.map-link"));
  await page.waitForSelector("#route-diagram:not([data-state=loading])");
  result.map = await page.evaluate(() => {
    const box = document.getElementById("route-diagram");
    const ids = (sel) => Array.from(box.querySelectorAll(sel)).map((e) => e.getAttribute("data-element-id"));
    return {
      state: box.getAttribute("data-state"),
      passed: ids(".djs-element.cb-passed"),
      current: ids(".djs-element.cb-current"),
      taken: ids(".djs-connection.cb-taken"),
      times: Array.from(box.querySelectorAll(".djs-overlay .cb-time")).map((e) => e.textContent),
      events: Array.from(document.querySelectorAll("table.route tbody tr")).map((r) => r.dataset.event),
    };
  });
  await shot(page, named("06-map"));

  await page.setExtraHTTPHeaders({ "Accept-Language": "ru-RU,ru;q=0.9" });
  const russian = async (path, name) => {
    await page.goto(base + path);
    if (await page.$("#route-diagram")) await page.waitForSelector("#route-diagram:not([data-state=loading])");
    const seen = await page.evaluate(() => ({
      lang: document.documentElement.lang,
      heading: (document.querySelector("h1") || {}).textContent,
      overflowing: document.documentElement.scrollWidth > document.documentElement.clientWidth,
    }));
    await shot(page, name);
    return seen;
  };
  result.russian = {
    queue: await russian(`/player/queues/${env("CUEBOOK_GROUP")}`, named("07-queue-ru")),
    ticket: await russian(`/player/tickets/${env("CUEBOOK_OTHER_TICKET")}`, named("08-ticket-ru")),
    map: await russian(`/player/tickets/${ticket}/map`, named("09-map-ru")),
  };

  await page.goto(`${base}/player/tickets/${env("CUEBOOK_OTHER_TICKET")}`);
  await page.click("details.transfer summary");
  result.transfer = await page.evaluate(() => ({
    options: Array.from(document.querySelectorAll("#transfer-group option")).map((o) => [o.value, o.textContent.trim()]),
    label: ((document.querySelector('label[for="transfer-group"]') || {}).textContent || "").trim(),
    overflowing: document.documentElement.scrollWidth > document.documentElement.clientWidth,
  }));
  await shot(page, named("10-transfer-ru"));
});
