/*
 * <cuebook-player>: walks a Cuebook script through the JSON API, inside any page.
 *
 *   <script src="https://cuebook.example/player/cuebook-player.js"></script>
 *   <cuebook-player api="https://cuebook.example" token="cb_..." script="internet_outage">
 *   </cuebook-player>
 *
 * Attributes: script (key to start), session (id to load instead), token (bearer token),
 * api (server base URL; defaults to where this file came from), variables (JSON object
 * passed to a new session). Events (bubbling, composed): cuebook-step and cuebook-end
 * with the StepView as detail, cuebook-error with {status, error}.
 */
(function () {
  "use strict";
  if (!window.customElements || customElements.get("cuebook-player")) return;

  var RADIO_LIMIT = 5;
  var ENDED = ["completed", "failed"];
  var HERE = document.currentScript && document.currentScript.src
    ? document.currentScript.src.replace(/\/player\/cuebook-player\.js(\?.*)?$/, "")
    : "";

  var CSS = [
    ":host{display:block;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330}",
    ".cb{max-width:46rem}",
    ".where{margin:0;color:#5b6472;font-size:.85rem}",
    "h2{font-size:1.35rem;line-height:1.25;margin:.2rem 0 .75rem}",
    "h2:focus{outline:none}h2:focus-visible,:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}",
    ".say{background:#eef4ff;border-left:4px solid #1f5fbf;padding:.6rem .9rem;margin:0 0 .75rem;font-size:1.1rem;border-radius:4px}",
    ".hints{background:#fff6dc;border-left:4px solid #e0b44c;padding:.5rem .9rem;margin:0 0 1rem;font-size:.95rem;border-radius:4px}",
    ".say p,.hints p,.say ul,.hints ul,.say ol,.hints ol{margin:0 0 .4rem}.say p:last-child,.hints p:last-child{margin:0}",
    ".say ul,.hints ul,.say ol,.hints ol{padding-left:1.4rem}",
    ".label{display:block;font-size:.7rem;text-transform:uppercase;letter-spacing:.06em;color:#5b6472}",
    "form{margin:0 0 .75rem}",
    ".field{margin:0 0 .9rem;padding:0;border:0;min-width:0}",
    ".field>label,legend{display:block;font-weight:600;margin-bottom:.2rem;padding:0}",
    ".req{color:#b3261e}",
    ".help{margin:0 0 .3rem;color:#5b6472;font-size:.9rem}",
    ".error{margin:0 0 .3rem;color:#b3261e;font-weight:600}",
    ".has-error{border-left:4px solid #b3261e;padding-left:.7rem}",
    "input:not([type=checkbox]):not([type=radio]),select,textarea{display:block;width:100%;max-width:30rem;box-sizing:border-box;padding:.4rem .55rem;font:inherit;border:1px solid #8a93a3;border-radius:4px;background:#fff;color:inherit}",
    "input[type=number],input[type=date]{max-width:14rem}",
    "input[readonly]:not([type=checkbox]):not([type=radio]){background:#f6f7f9;border-style:dashed}",
    ".pick,.check{display:flex;align-items:center;gap:.5rem;margin:.2rem 0}",
    ".check>label{font-weight:600}",
    "button{font:inherit;cursor:pointer;border-radius:4px;padding:.45rem 1rem;border:1px solid #1f5fbf;background:#fff;color:#1f5fbf}",
    "button.primary{background:#1f5fbf;color:#fff}",
    "button.option{display:block;width:100%;text-align:left;margin:0 0 .45rem}",
    "button:disabled{opacity:.6;cursor:progress}",
    ".status{min-height:1.2em;color:#5b6472;font-size:.9rem}",
    ".problem{border:2px solid #b3261e;background:#fdecea;padding:.5rem .9rem;border-radius:4px;margin:0 0 .75rem}",
    ".problem p{margin:0}"
  ].join("\n");

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === false || value === null || value === undefined) return;
      node.setAttribute(key, value === true ? "" : String(value));
    });
    (kids || []).forEach(function (kid) {
      if (kid !== null && kid !== undefined) {
        node.appendChild(typeof kid === "string" ? document.createTextNode(kid) : kid);
      }
    });
    return node;
  }

  function shown(value) {
    if (value === null || value === undefined) return "";
    if (value === true) return "true";
    if (value === false) return "false";
    return String(value);
  }

  function typeOf(prop) {
    var kind = prop.type || "string";
    if (Array.isArray(kind)) kind = kind.filter(function (k) { return k !== "null"; })[0] || "string";
    return kind;
  }

  // The options of each choice field, as the server derived them from the schema (one rule
  // for every channel): {field: [[value, label], ...]}. A choice step's own options count
  // for its field.
  function optionsOf(step) {
    var found = {};
    var given = step.field_options || {};
    Object.keys(given).forEach(function (name) {
      found[name] = given[name].map(function (o) { return [o.value, String(o.label)]; });
    });
    if (step.kind === "choice" && step.field && !found[step.field]) {
      found[step.field] = (step.options || []).map(function (o) { return [o.value, String(o.label)]; });
    }
    return found;
  }

  function widgetOf(prop, kind, ui, choices) {
    var asked = ui["ui:widget"] || "";
    if (asked === "hidden") return "hidden";
    if (kind === "array") return "checkboxes";
    if ((asked === "radio" || asked === "select") && (kind === "boolean" || choices)) return asked;
    if (kind === "boolean") return "checkbox";
    if (choices) return choices.length <= RADIO_LIMIT ? "radio" : "select";
    if (asked === "textarea") return "textarea";
    if (kind === "integer" || kind === "number") return "number";
    if (asked === "date" || asked === "alt-date" || prop.format === "date") return "date";
    return "text";
  }

  var TEXT_TYPES = { email: "email", uri: "url", url: "url", password: "password", tel: "tel", search: "search" };

  function textType(prop, ui) {
    var options = ui["ui:options"] || {};
    return TEXT_TYPES[ui["ui:widget"]] || TEXT_TYPES[options.inputType] || TEXT_TYPES[prop.format] || "text";
  }

  function ordered(props, order) {
    var names = Object.keys(props);
    if (!Array.isArray(order) || !order.length) return names;
    var listed = order.filter(function (n) { return n in props; });
    var rest = names.filter(function (n) { return listed.indexOf(n) < 0; });
    var star = order.indexOf("*");
    if (star < 0) return listed.concat(rest);
    var before = order.slice(0, star).filter(function (n) { return n in props; });
    var after = order.slice(star + 1).filter(function (n) { return n in props; });
    return before.concat(rest, after);
  }

  function htmlPattern(pattern) {
    if (/^\^/.test(pattern) && /\$$/.test(pattern) && !/\\\$$/.test(pattern)) return pattern.slice(1, -1);
    return ".*(?:" + pattern + ").*";
  }

  function fieldsOf(schema, uiSchema, options) {
    var props = (schema && schema.properties) || {};
    var ui = uiSchema || {};
    var required = schema.required || [];
    return ordered(props, ui["ui:order"]).map(function (name) {
      var prop = props[name] || {};
      var fui = ui[name] || {};
      var kind = typeOf(prop);
      var choices = options[name] || null;
      var widget = widgetOf(prop, kind, fui, choices);
      if ((widget === "radio" || widget === "select") && !choices) choices = [[true, "Yes"], [false, "No"]];
      return {
        name: name, prop: prop, kind: kind, widget: widget, choices: choices || [],
        label: String(fui["ui:title"] || prop.title || name),
        help: String(fui["ui:help"] || fui["ui:description"] || prop.description || ""),
        placeholder: String(fui["ui:placeholder"] || ""),
        required: required.indexOf(name) >= 0,
        readonly: Boolean(fui["ui:readonly"] || fui["ui:disabled"] || prop.readOnly),
        rows: fui["ui:options"] && fui["ui:options"].rows,
        textType: textType(prop, fui),
        value: prop["default"]
      };
    });
  }

  function typed(text, prop, choices) {
    if (choices) {
      for (var i = 0; i < choices.length; i++) if (shown(choices[i][0]) === text) return choices[i][0];
      return text;
    }
    var kind = typeOf(prop);
    if (kind === "integer" || kind === "number") {
      var number = Number(text);
      return text !== "" && isFinite(number) ? number : text;
    }
    if (kind === "boolean") {
      if (/^(true|on|yes|1)$/i.test(text)) return true;
      if (/^(false|off|no|0)$/i.test(text)) return false;
    }
    return text;
  }

  function answerOf(form, schema, submitter, options) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var props = (schema && schema.properties) || {};
    var answer = {};
    Object.keys(props).forEach(function (name) {
      var prop = props[name] || {};
      var posted = data.getAll(name).map(function (v) { return String(v).trim(); });
      if (typeOf(prop) === "array") {
        var chosen = posted.filter(Boolean).map(function (v) { return typed(v, prop.items || {}, options[name]); });
        if (chosen.length) answer[name] = chosen;
        return;
      }
      var last = posted[posted.length - 1];
      if (last) answer[name] = typed(last, prop, options[name]);
    });
    return answer;
  }

  function plainMessage(message) {
    if (/^'[^']*' is a required property$/.test(message)) return "Fill this in.";
    if (/^'[\s\S]*' does not match '[\s\S]*'$/.test(message)) return "This does not have the expected format.";
    return message;
  }

  // The script's language comes with the view (the script's manifest says it).
  function languageOf(view) {
    return view.language || "en";
  }

  // Script text arrives as HTML the server made from its Markdown (raw HTML in the text is
  // escaped there, unsafe links dropped); without it, the text is shown as it is.
  function textBox(html, text, cls, label, lang) {
    var body = el("div", { lang: lang });
    if (typeof html === "string") body.innerHTML = html;
    else body.textContent = String(text);
    var kids = [el("span", { "class": "label" }, [label]), body];
    return el(cls === "say" ? "section" : "aside", { "class": cls, "aria-label": label }, kids);
  }

  class CuebookPlayer extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.view = null;
      this.busy = false;
      this.root = el("div", { "class": "cb" });
      this.statusLine = el("div", { "class": "status", role: "status", "aria-live": "polite" });
      this.shadowRoot.appendChild(el("style", {}, [CSS]));
      this.shadowRoot.appendChild(this.root);
      this.shadowRoot.appendChild(this.statusLine);
    }

    connectedCallback() {
      if (this.started) return;
      this.started = true;
      this.load();
    }

    get sessionId() { return this.view ? this.view.session_id : this.getAttribute("session"); }

    api(path, method, body) {
      var base = (this.getAttribute("api") || HERE).replace(/\/+$/, "");
      var headers = { Accept: "application/json" };
      var token = this.getAttribute("token");
      if (token) headers.Authorization = "Bearer " + token;
      var init = { method: method || "GET", headers: headers, credentials: "omit", mode: "cors" };
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      return fetch(base + "/api/v1/sessions" + path, init).then(function (resp) {
        return resp.json().catch(function () { return null; }).then(function (data) {
          if (resp.ok) return data;
          var error = (data && data.error) || { code: "http_" + resp.status, message: resp.statusText, details: [] };
          var failure = new Error(error.message || "request failed");
          failure.status = resp.status;
          failure.error = error;
          throw failure;
        });
      });
    }

    load(moveFocus) {
      var id = this.getAttribute("session");
      var request;
      if (id) {
        request = this.api("/" + encodeURIComponent(id) + "?render=web");
      } else {
        var variables = {};
        try { variables = JSON.parse(this.getAttribute("variables") || "{}"); } catch (e) { variables = {}; }
        request = this.api("", "POST", { script: this.getAttribute("script") || "", channel: "web", variables: variables });
      }
      this.run(request, Boolean(moveFocus));
    }

    run(request, moveFocus) {
      var self = this;
      self.setBusy(true);
      return request.then(function (view) {
        self.setBusy(false);
        self.show(view, null, moveFocus);
      }, function (failure) {
        self.setBusy(false);
        self.fail(failure);
      });
    }

    setBusy(busy) {
      this.busy = busy;
      this.root.setAttribute("aria-busy", busy ? "true" : "false");
      this.root.querySelectorAll("button").forEach(function (b) { b.disabled = busy; });
      this.statusLine.textContent = busy ? "Working…" : "";
    }

    emit(name, detail) {
      this.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true, composed: true }));
    }

    fail(failure) {
      var status = failure.status || 0;
      var error = failure.error || { code: "network", message: String(failure.message || failure), details: [] };
      if (status === 422 && this.view) {
        this.show(this.view, error.details || [], true, error.message);
      } else if (status === 409 && this.view) {
        var self = this;
        this.run(this.api("/" + encodeURIComponent(this.view.session_id) + "?render=web"), true).then(function () {
          self.problem(error.message);
        });
      } else {
        this.problem(error.message || "The request failed.");
      }
      this.emit("cuebook-error", { status: status, error: error });
    }

    problem(message) {
      var box = el("div", { "class": "problem", role: "alert" }, [el("p", {}, [message])]);
      var old = this.root.querySelector(".problem");
      if (old) old.remove();
      var heading = this.root.querySelector("h2");
      if (heading) heading.after(box);
      else this.root.insertBefore(box, this.root.firstChild);
    }

    show(view, details, moveFocus, message) {
      var fresh = !this.view || this.view.step_token !== view.step_token || this.view.status !== view.status;
      this.view = view;
      this.root.textContent = "";
      var step = view.step || { kind: "end", title: "", text: "" };
      var ended = ENDED.indexOf(view.status) >= 0;
      var where = view.version.script + " · version " + view.version.number;
      if (!ended && view.progress) where += " · step " + (view.progress.steps_taken + 1);
      this.root.appendChild(el("p", { "class": "where" }, [where]));
      var title = ended
        ? (view.status === "completed" ? "Conversation finished" : "The script stopped")
        : step.title || "Next step";
      var lang = languageOf(view);
      var heading = el("h2", { tabindex: "-1", lang: ended ? null : lang }, [title]);
      this.root.appendChild(heading);
      if (!ended && step.item) {
        var item = "Item " + step.item.index + (step.item.count ? " of " + step.item.count : "");
        this.root.appendChild(el("p", { "class": "item" }, [item]));
      }
      var errors = {};
      var others = [];
      (details || []).forEach(function (d) {
        var head = String(d.path || "").split("/")[0];
        if (step.schema && step.schema.properties && head in step.schema.properties) {
          var text = plainMessage(d.message);
          errors[head] = errors[head] ? errors[head] + "; " + text : text;
        } else {
          others.push(d.path ? d.path + ": " + d.message : d.message);
        }
      });
      if (details && (others.length || !Object.keys(errors).length)) {
        this.problem(others.length ? others.join("; ") : message || "Check the answer.");
      }
      if (view.notice) this.root.appendChild(el("p", { "class": "notice", role: "status" }, [view.notice]));
      if (step.text) this.root.appendChild(textBox(step.text_html, step.text, "say", "Say", lang));
      if (step.hints && !ended) this.root.appendChild(textBox(step.hints_html, step.hints, "hints", "Hint", lang));
      if (!ended) this.renderAnswer(view, step, errors, details ? this.lastAnswer : null, lang);
      else if (this.getAttribute("script")) this.renderRestart();
      var focus = heading;
      var firstError = this.root.querySelector("[aria-invalid=true]");
      if (details && firstError) focus = firstError;
      if (moveFocus) focus.focus();
      if (fresh) {
        this.emit("cuebook-step", view);
        if (ended) this.emit("cuebook-end", view);
      }
    }

    renderAnswer(view, step, errors, values, lang) {
      var self = this;
      if (step.kind === "handoff" || view.status === "handed_off") {
        this.root.appendChild(el("p", { "class": "waiting" }, ["This conversation waits for a person to take it."]));
        return;
      }
      if (step.kind === "wait") {
        // An event moves the session on (a message, a signal, a timer): look again shortly.
        this.root.appendChild(el("p", { "class": "waiting", role: "status" }, ["Waiting for an event…"]));
        var token = view.step_token;
        clearTimeout(this.waitTimer);
        this.waitTimer = setTimeout(function () {
          if (self.view && self.view.step_token === token) {
            self.run(self.api("/" + encodeURIComponent(view.session_id) + "?render=web", "GET"), false);
          }
        }, 5000);
        return;
      }
      var form = el("form", { novalidate: true });
      var schema = step.schema || {};
      var options = optionsOf(step);
      var list = step.kind === "form" || step.kind === "choice" ? fieldsOf(schema, step.ui_schema, options) : [];
      if (step.kind === "choice" && list.length) {
        var f = list[0];
        var group = el("fieldset", { "class": "field" + (errors[f.name] ? " has-error" : ""), lang: lang }, [el("legend", {}, [f.label])]);
        var ids = this.notes(group, f, errors[f.name]);
        if (ids) group.setAttribute("aria-describedby", ids);
        f.choices.forEach(function (c) {
          group.appendChild(el("button", { type: "submit", "class": "option", name: f.name, value: shown(c[0]) }, [c[1]]));
        });
        form.appendChild(group);
      } else {
        list.forEach(function (field) {
          var value = values ? values[field.name] : field.value;
          var node = self.renderField(field, value, errors[field.name]);
          if (field.widget !== "hidden") node.setAttribute("lang", lang);
          form.appendChild(node);
        });
        form.appendChild(el("div", {}, [el("button", { type: "submit", "class": "primary" }, ["Continue"])]));
      }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (self.busy) return;
        var answer = step.kind === "message" ? {} : answerOf(form, schema, event.submitter, options);
        self.lastAnswer = answer;
        self.run(self.api("/" + encodeURIComponent(view.session_id) + "/steps?render=web", "POST",
          { step_token: view.step_token, answer: answer }), true);
      });
      this.root.appendChild(form);
      if (step.can_go_back) {
        var back = el("button", { type: "button", "class": "back" }, ["Back to the previous step"]);
        back.addEventListener("click", function () {
          if (self.busy) return;
          self.run(self.api("/" + encodeURIComponent(view.session_id) + "/back?render=web", "POST",
            { step_token: view.step_token }), true);
        });
        this.root.appendChild(back);
      }
    }

    renderRestart() {
      var self = this;
      var again = el("button", { type: "button", "class": "restart" }, ["Start a new conversation"]);
      again.addEventListener("click", function () {
        if (self.busy) return;
        self.view = null;
        self.removeAttribute("session");
        self.load(true);
      });
      this.root.appendChild(again);
    }

    notes(container, field, error) {
      var ids = [];
      var base = "f-" + field.name.replace(/[^A-Za-z0-9_-]/g, "-");
      if (field.help) {
        container.appendChild(el("p", { "class": "help", id: base + "-help" }, [field.help]));
        ids.push(base + "-help");
      }
      if (error) {
        container.appendChild(el("p", { "class": "error", id: base + "-error", lang: "en" }, [error]));
        ids.push(base + "-error");
      }
      return ids.join(" ");
    }

    renderField(f, value, error) {
      var id = "f-" + f.name.replace(/[^A-Za-z0-9_-]/g, "-");
      var cls = "field" + (error ? " has-error" : "");
      var req = f.required && f.widget !== "checkbox" ? el("span", { "class": "req", "aria-hidden": "true" }, [" *"]) : null;
      var described;
      if (f.widget === "hidden") return el("input", { type: "hidden", name: f.name, value: shown(value) });
      if (f.readonly && (f.widget === "radio" || f.widget === "select" || f.widget === "checkboxes")) {
        var kept = Array.isArray(value) ? value.map(shown) : [shown(value)];
        var labels = f.choices.filter(function (c) { return kept.indexOf(shown(c[0])) >= 0; }).map(function (c) { return c[1]; });
        var shownBox = el("div", { "class": "field" }, [el("label", { "for": id }, [f.label])]);
        described = this.notes(shownBox, f, error);
        shownBox.appendChild(el("input", { type: "text", id: id, readonly: true, value: labels.join(", "), "aria-describedby": described || null }));
        kept.filter(Boolean).forEach(function (v) { shownBox.appendChild(el("input", { type: "hidden", name: f.name, value: v })); });
        return shownBox;
      }
      if (f.widget === "radio" || f.widget === "checkboxes") {
        var group = el("fieldset", { "class": cls }, [el("legend", {}, [f.label, req])]);
        described = this.notes(group, f, error);
        if (described) group.setAttribute("aria-describedby", described);
        var picked = f.widget === "checkboxes" ? (Array.isArray(value) ? value.map(shown) : []) : [shown(value)];
        f.choices.forEach(function (c, i) {
          var input = el("input", {
            type: f.widget === "radio" ? "radio" : "checkbox", id: id + "-" + i, name: f.name,
            value: shown(c[0]), checked: picked.indexOf(shown(c[0])) >= 0,
            required: f.required && f.widget === "radio", "aria-invalid": error ? "true" : null
          });
          group.appendChild(el("div", { "class": "pick" }, [input, el("label", { "for": id + "-" + i }, [c[1]])]));
        });
        return group;
      }
      if (f.widget === "checkbox") {
        var box = el("div", { "class": cls + " check" });
        var checked = value === true || shown(value) === "true";
        box.appendChild(el("input", { type: "hidden", name: f.name, value: f.readonly ? shown(checked) : "false" }));
        var check = el("input", { type: "checkbox", id: id, name: f.readonly ? null : f.name, value: "true", checked: checked, disabled: f.readonly });
        box.appendChild(check);
        box.appendChild(el("label", { "for": id }, [f.label]));
        described = this.notes(box, f, error);
        if (described) check.setAttribute("aria-describedby", described);
        if (error) check.setAttribute("aria-invalid", "true");
        return box;
      }
      var wrap = el("div", { "class": cls }, [el("label", { "for": id }, [f.label, req])]);
      described = this.notes(wrap, f, error);
      var control;
      var common = {
        id: id, name: f.name, required: f.required, readonly: f.readonly,
        "aria-describedby": described || null, "aria-invalid": error ? "true" : null
      };
      if (f.widget === "select") {
        common.readonly = null;
        control = el("select", common, [!f.required || value === undefined ? el("option", { value: "" }, ["—"]) : null]);
        f.choices.forEach(function (c) {
          control.appendChild(el("option", { value: shown(c[0]), selected: shown(c[0]) === shown(value) }, [c[1]]));
        });
        wrap.appendChild(control);
        return wrap;
      }
      common.placeholder = f.placeholder || null;
      var p = f.prop;
      if (f.widget === "textarea") {
        common.rows = f.rows || null;
        common.maxlength = p.maxLength;
        common.minlength = p.minLength;
        control = el("textarea", common, [shown(value)]);
      } else {
        common.type = f.widget === "number" ? "number" : f.widget === "date" ? "date" : f.textType;
        common.value = shown(value);
        if (f.widget === "number") {
          common.min = p.minimum;
          common.max = p.maximum;
          common.step = p.multipleOf || (f.kind === "integer" ? 1 : "any");
          common.inputmode = f.kind === "integer" ? "numeric" : "decimal";
        } else {
          common.maxlength = p.maxLength;
          common.minlength = p.minLength;
          common.pattern = typeof p.pattern === "string" ? htmlPattern(p.pattern) : null;
        }
        control = el("input", common);
      }
      wrap.appendChild(control);
      return wrap;
    }
  }

  customElements.define("cuebook-player", CuebookPlayer);
})();
