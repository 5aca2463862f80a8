/*
 * The live preview of a step: the server builds the step from the panel's form and texts
 * (POST /api/v1/authoring/previews) and renders it with each channel's own renderer. The
 * web preview is the operator player's own <cuebook-player> component showing that JSON;
 * the chat preview shows the messages and quick replies; the IVR preview the SSML, the
 * digits and the words it listens for.
 */
(function () {
  "use strict";
  var NS = window.CuebookProperties;
  var h = NS.h;
  var t = NS.t;

  function Preview(ctx, describe) {
    var self = this;
    this.ctx = ctx;
    this.describe = describe; // () => the request body without variables
    this.variables = h("textarea", { rows: "2", spellcheck: "false", "data-test": "preview-variables", id: NS.uid("vars") });
    this.variables.value = JSON.stringify(ctx.sampleVariables(), null, 0);
    this.variables.addEventListener("input", NS.debounce(function () { self.refresh(); }, 400));
    this.state = h("p", { "class": "cbp-note", role: "status", "data-test": "preview-status" });
    this.web = h("div", { "class": "cbp-pane cbp-web", "data-test": "preview-web" });
    this.chat = h("div", { "class": "cbp-pane cbp-chat", "data-test": "preview-chat" });
    this.ivr = h("div", { "class": "cbp-pane cbp-ivr", "data-test": "preview-ivr" });
    this.root = h("section", { "class": "cbp-preview", "data-test": "preview", "data-state": "idle", "aria-label": t("Preview") }, [
      h("h3", {}, [t("Preview")]),
      h("label", { "for": this.variables.id }, [t("Sample variables (JSON)")]),
      this.variables,
      this.state,
      h("h4", {}, [t("Operator (web)")]), this.web,
      h("h4", {}, [t("Chat")]), this.chat,
      h("h4", {}, [t("IVR")]), this.ivr,
      NS.button(t("Refresh preview"), "preview-refresh", function () { self.refresh(); })
    ]);
    this.later = NS.debounce(function () { self.refresh(); }, 350);
  }

  Preview.prototype.refresh = function () {
    var self = this;
    var body = this.describe();
    try {
      body.variables = JSON.parse(this.variables.value || "{}");
    } catch (e) {
      this.fail(t("The sample variables are not JSON."));
      return Promise.resolve();
    }
    var ticket = (this.ticket || 0) + 1;
    this.ticket = ticket;
    this.root.setAttribute("data-state", "loading");
    this.state.textContent = t("Updating…");
    return NS.request(this.ctx.api, "/api/v1/authoring/previews", body).then(function (answer) {
      if (ticket !== self.ticket) return;
      self.show(answer);
    }, function (failure) {
      if (ticket !== self.ticket) return;
      self.fail(NS.failureText(failure));
    });
  };

  Preview.prototype.fail = function (message) {
    this.root.setAttribute("data-state", "error");
    this.state.textContent = "";
    this.state.appendChild(h("span", { "class": "cbp-problem", "data-test": "preview-error" }, [message]));
  };

  Preview.prototype.show = function (answer) {
    this.state.textContent = t("Kind of step") + ": " + t(answer.kind) + (answer.field ? " → " + answer.field : "");
    this.showWeb(answer.web);
    this.showChat(answer.chat);
    this.showIvr(answer.ivr, answer.web);
    this.root.setAttribute("data-state", "ready");
  };

  Preview.prototype.showWeb = function (view) {
    this.web.textContent = "";
    if (!view) return;
    var ctx = this.ctx;
    var self = this;
    NS.playerReady(ctx.playerScript).then(function () {
      var player = document.createElement("cuebook-player");
      player.started = true; // shows the preview only: it starts no session
      player.api = function () {
        var refused = new Error(t("A preview sends no answer."));
        refused.status = 0;
        return Promise.reject(refused);
      };
      self.web.textContent = "";
      self.web.appendChild(player);
      player.show(view, null, false);
    }, function () {
      self.web.appendChild(h("pre", {}, [JSON.stringify(view.step, null, 1)]));
    });
  };

  Preview.prototype.showChat = function (chat) {
    var box = this.chat;
    box.textContent = "";
    if (!chat) return;
    (chat.messages || []).forEach(function (m) {
      box.appendChild(h("p", { "class": "cbp-bubble", "data-test": "preview-chat-message" }, [m.text]));
    });
    var buttons = chat.buttons || [];
    if (buttons.length) {
      box.appendChild(h("div", { "class": "cbp-chips" }, buttons.map(function (b) {
        return h("span", { "class": "cbp-chip", "data-test": "preview-chat-button", "data-value": JSON.stringify(b.value) }, [b.label]);
      })));
    }
    var input = chat.input || {};
    var words = chat.status === "handed_off"
      ? t("The chat hands the conversation to a person") + (chat.handoff ? ": " + chat.handoff.queue : "")
      : t("Expects") + ": " + (input.type || "none") + (input.field ? " → " + input.field : "");
    box.appendChild(h("p", { "class": "cbp-note", "data-test": "chat-input" }, [words]));
  };

  Preview.prototype.showIvr = function (ivr, web) {
    var box = this.ivr;
    box.textContent = "";
    if (!ivr) return;
    box.appendChild(h("pre", { "class": "cbp-ssml", "data-test": "ivr-ssml" }, [ivr.ssml || ""]));
    var labels = {};
    var step = web && web.step;
    ((step && step.options) || []).forEach(function (o) { labels[JSON.stringify(o.value)] = o.label; });
    var keys = Object.keys(ivr.dtmf || {});
    if (keys.length) {
      box.appendChild(h("table", { "class": "cbp-dtmf", "data-test": "ivr-dtmf" }, [
        h("thead", {}, [h("tr", {}, [h("th", {}, [t("Key")]), h("th", {}, [t("Answer")])])]),
        h("tbody", {}, keys.map(function (k) {
          var value = JSON.stringify(ivr.dtmf[k]);
          return h("tr", { "data-key": k }, [h("td", {}, [k]), h("td", {}, [labels[value] || value])]);
        }))
      ]));
    }
    var hints = (ivr.speech_hints || []).join(", ");
    var expects = ivr.status === "handed_off"
      ? t("The IVR transfers the call to a person") + (ivr.handoff ? ": " + ivr.handoff.queue : "")
      : t("Expects") + ": " + ivr.expects + (hints ? " · " + t("listens for") + ": " + hints : "");
    box.appendChild(h("p", { "class": "cbp-note", "data-test": "ivr-expects" }, [expects]));
  };

  NS.parts.preview = { Preview: Preview };
})();
