// The operator's inbox and the supervisors' workload report, in English and in Russian.
// Env: CUEBOOK_URL, CUEBOOK_OPERATOR_TOKEN, CUEBOOK_SUPERVISOR_TOKEN, CUEBOOK_REPORT_QUERY
// (the report's query string), CUEBOOK_SHOTS (a name prefix).
"use strict";
const { env, scenario, shot } = require("./browser");

async function navigating(page, act) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), act()]);
}

async function signIn(page, base, token) {
  await page.goto(base + "/player/signin");
  await page.fill("#f-token", token);
  await navigating(page, () => page.click("form.answer button.primary"));
}

function inboxInfo(page) {
  return page.evaluate(() => ({
    heading: (document.querySelector("h1") || {}).textContent,
    items: Array.from(document.querySelectorAll("article.inbox-item")).map((a) => ({
      kind: a.dataset.kind, id: a.dataset.id, ticket: a.dataset.ticketId || null,
      history: a.querySelectorAll(".inbox-history li").length,
    })),
    callbacks: Array.from(document.querySelectorAll("tr[data-kind=callback]")).map((r) => r.dataset.id),
    nav: Array.from(document.querySelectorAll(".topnav a")).map((a) => a.textContent.trim()),
    overflowing: document.documentElement.scrollWidth > document.documentElement.clientWidth,
  }));
}

function reportInfo(page) {
  return page.evaluate(() => ({
    heading: (document.querySelector("h1") || {}).textContent,
    charts: Array.from(document.querySelectorAll("svg.chart")).map((svg) => ({
      label: svg.getAttribute("aria-label"),
      bars: svg.querySelectorAll("rect[fill]").length,
      width: Math.round(svg.getBoundingClientRect().width),
    })),
    operators: Array.from(document.querySelectorAll("tr[data-operator]")).map((r) => r.dataset.operator),
    groups: Array.from(document.querySelectorAll("tr[data-group]")).map((r) => r.dataset.group),
    csv: (document.querySelector(".report-links a") || {}).href || null,
    overflowing: document.documentElement.scrollWidth > document.documentElement.clientWidth,
  }));
}

scenario("workspace", async (page, result, context) => {
  const base = env("CUEBOOK_URL");
  const named = (name) => `${env("CUEBOOK_SHOTS")}-${name}`;
  await context.setExtraHTTPHeaders({ "Accept-Language": "en" });
  await signIn(page, base, env("CUEBOOK_OPERATOR_TOKEN"));
  await page.goto(base + "/player/inbox");
  result.inbox = await inboxInfo(page);
  await shot(page, named("inbox-en"));
  await context.setExtraHTTPHeaders({ "Accept-Language": "ru-RU,ru;q=0.9" });
  await page.goto(base + "/player/inbox");
  result.inboxRu = await inboxInfo(page);
  await shot(page, named("inbox-ru"));

  await navigating(page, () => page.click("header form button.link"));  // sign out
  await context.setExtraHTTPHeaders({ "Accept-Language": "en" });
  await signIn(page, base, env("CUEBOOK_SUPERVISOR_TOKEN"));
  const report = `${base}/player/reports/workload?${env("CUEBOOK_REPORT_QUERY")}`;
  await page.goto(report);
  result.report = await reportInfo(page);
  await shot(page, named("report-en"));
  await context.setExtraHTTPHeaders({ "Accept-Language": "ru-RU,ru;q=0.9" });
  await page.goto(report);
  result.reportRu = await reportInfo(page);
  await shot(page, named("report-ru"));
  const answer = await page.request.get(result.report.csv);
  result.csv = { status: answer.status(), type: answer.headers()["content-type"], lines: (await answer.text()).trim().split("\n").length };
});
