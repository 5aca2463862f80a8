// The offers panel kept current: server-sent events from /player/offers/stream (the
// browser reconnects when a stream ends), each 'offers' event redrawing the list with
// forms that post like the server-rendered ones. Without EventSource, the page reloads
// every few seconds.
"use strict";
(function () {
  const panel = document.getElementById("offers");
  if (!panel) return;
  const list = panel.querySelector(".offer-list");
  const empty = panel.querySelector(".offers-empty");
  const t = panel.dataset;

  function form(action, label, cls, next) {
    const f = document.createElement("form");
    f.method = "post";
    f.action = action;
    f.className = "inline";
    const csrf = document.createElement("input");
    csrf.type = "hidden"; csrf.name = "csrf_token"; csrf.value = t.csrf;
    f.appendChild(csrf);
    if (next) {
      const n = document.createElement("input");
      n.type = "hidden"; n.name = "next"; n.value = t.next;
      f.appendChild(n);
    }
    const b = document.createElement("button");
    b.type = "submit"; b.className = cls; b.textContent = label;
    f.appendChild(b);
    return f;
  }

  function secondsLeft(expires) {
    return Math.max(0, Math.round((Date.parse(expires) - Date.now()) / 1000));
  }

  function item(offer, known) {
    const li = document.createElement("li");
    li.className = known ? "offer" : "offer fresh";
    li.dataset.offerId = offer.id;
    li.dataset.kind = offer.item_kind;
    const what = document.createElement("span");
    what.className = "offer-what";
    what.textContent = offer.item_kind === "conversation" ? t.tConversation : t.tTicket;
    const meta = document.createElement("span");
    meta.className = "meta";
    const left = document.createElement("span");
    left.className = "offer-left";
    left.dataset.expires = offer.expires_at;
    left.textContent = t.tLeft.replace("SECONDS", secondsLeft(offer.expires_at));
    meta.append(t.tQueue.replace("GROUP", offer.group) + " · ", left);
    what.appendChild(meta);
    li.append(what,
      form(t.accept.replace("OFFER", offer.id), t.tAccept, "primary", false),
      form(t.decline.replace("OFFER", offer.id), t.tDecline, "link", true));
    return li;
  }

  function draw(data) {
    const known = new Set(Array.from(list.children).map((li) => li.dataset.offerId));
    list.replaceChildren(...data.offers.map((o) => item(o, known.has(o.id))));
    empty.hidden = data.offers.length > 0;
    panel.dataset.live = "yes";
  }

  setInterval(() => {
    for (const left of panel.querySelectorAll(".offer-left")) {
      left.textContent = t.tLeft.replace("SECONDS", secondsLeft(left.dataset.expires));
    }
  }, 1000);

  if (!window.EventSource) {
    setTimeout(() => window.location.reload(), 5000);
    return;
  }
  const source = new EventSource(t.stream);
  source.addEventListener("offers", (e) => draw(JSON.parse(e.data)));
  source.addEventListener("open", () => { panel.dataset.connected = "yes"; });
})();
