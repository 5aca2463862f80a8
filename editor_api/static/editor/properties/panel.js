/*
 * Cuebook's properties panel: the settings of the selected BPMN element, so that nothing
 * needs XML by hand (docs/bundles.md says how each is stored).
 *
 *   window.CuebookProperties.mount({modeler, container, draft, api, onFilesChanged})
 *
 * modeler: the bpmn-js Modeler; container: the element the panel fills; draft.files: the
 * draft's non-BPMN files {name: text} (forms, DMN, cuebook.json), changed in place;
 * api.fetchJson(path, options): a request with the editor's credentials; onFilesChanged():
 * called after the panel changed draft.files. The BPMN is changed only through the
 * modeler's services, so undo/redo and the draft's dirty state follow. Optional:
 * playerScript (URL of /player/cuebook-player.js for the web preview) and dmnScript (URL
 * of the vendored dmn-js modeler). Returns {update(element), destroy()}.
 *
 * This file loads the rest of the panel from its own folder: i18n.js (Russian and English,
 * by <html lang>), bpmn.js (extension elements), form-builder.js, preview.js,
 * decisions.js, manifest.js, sections.js, and panel.css.
 *
 * Stable selectors for end-to-end tests (data-test attributes):
 *   panel          [data-test=properties] data-element-id, data-element-type, data-ready
 *   every element  [data-test=prop-id] [data-test=prop-name] [data-test=prop-documentation]
 *                  ("Hints for the operator" on steps)
 *   a step         [data-test=prop-text] (text to say, Jinja2) with its variable picker
 *                  [data-test=var-picker] -> [data-test=var-option][data-var=NAME];
 *                  [data-test=prop-voice] [data-test=prop-max-misses] [data-test=prop-handoff]
 *                  [data-test=prop-can-go-back] (checkbox)
 *   form builder   [data-test=form-create] (a step without a form), [data-test=form-remove],
 *                  [data-test=form-title], [data-test=form-add-field] (adds and opens a field),
 *                  rows [data-test=form-field][data-field=NAME] with [data-test=field-edit]
 *                  [data-test=field-up] [data-test=field-down] [data-test=field-remove];
 *                  the open field [data-test=field-editor]: [data-test=field-name]
 *                  [data-test=field-label] [data-test=field-type] (select: text, textarea,
 *                  integer, number, boolean, date, choice, choices) [data-test=field-required]
 *                  [data-test=field-readonly] [data-test=field-hidden] [data-test=field-help]
 *                  [data-test=field-default] [data-test=field-placeholder]
 *                  [data-test=field-pattern] [data-test=field-min] [data-test=field-max]
 *                  [data-test=field-widget]; options [data-test=option-add], rows
 *                  [data-test=option-row] with [data-test=option-value]
 *                  [data-test=option-label] [data-test=option-synonyms] (comma-separated)
 *                  [data-test=option-remove]; [data-test=field-problem]; [data-test=field-done]
 *   preview        [data-test=preview] data-state=idle|loading|ready|error,
 *                  [data-test=preview-variables] (JSON), [data-test=preview-web] (holds a
 *                  <cuebook-player>), [data-test=preview-chat] ([data-test=preview-chat-message],
 *                  [data-test=preview-chat-button]), [data-test=preview-ivr] ([data-test=ivr-ssml],
 *                  [data-test=ivr-dtmf] rows data-key), [data-test=preview-error]
 *   service task   [data-test=service-function] (select), parameters in order
 *                  [data-test=service-param][data-param=NAME] (a Python expression),
 *                  [data-test=service-param-status][data-param=NAME] data-state=ok|error,
 *                  [data-test=service-result] (result variable)
 *   sequence flow  [data-test=flow-condition] (Python expression),
 *                  [data-test=condition-status] data-state=ok|error|checking,
 *                  [data-test=flow-default] (checkbox: the gateway's default flow)
 *   script task    [data-test=script-code], [data-test=script-status]
 *   decision       [data-test=decision-id] (select), [data-test=decision-edit],
 *                  [data-test=decision-new-id] + [data-test=decision-new], the dialog
 *                  [data-test=decision-editor] with [data-test=decision-save]
 *   call activity  [data-test=call-process] (select)
 *   tasks          [data-test=prop-prescript], [data-test=prop-postscript] (checked scripts)
 *   the process    [data-test=manifest-title], [data-test=manifest-language] (select),
 *                  [data-test=manifest-defaults] (JSON), [data-test=manifest-problem]
 *   events         [data-test=prop-text] on end events and catch events
 * Inputs apply as they are typed (after a short pause) and at once on change (blur).
 */
(function () {
  "use strict";
  if (window.CuebookProperties && window.CuebookProperties.mount) return;
  var NS = window.CuebookProperties = { parts: {} };
  var me = document.currentScript;
  var src = me && me.src ? me.src : "";
  var base = src.replace(/panel\.js(\?.*)?$/, "");
  var query = src.indexOf("?") >= 0 ? src.slice(src.indexOf("?")) : "";
  var FILES = ["i18n.js", "bpmn.js", "form-builder.js", "preview.js", "decisions.js", "manifest.js", "sections.js"];
  var counter = 0;

  /* --- small DOM helpers the parts share --- */
  NS.h = function (tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === false || value === null || value === undefined) return;
      node.setAttribute(key, value === true ? "" : String(value));
    });
    (kids || []).forEach(function (kid) {
      if (kid === null || kid === undefined) return;
      node.appendChild(typeof kid === "string" ? document.createTextNode(kid) : kid);
    });
    return node;
  };
  var h = NS.h;
  NS.t = function (text) {
    var lang = (document.documentElement.lang || "en").slice(0, 2).toLowerCase();
    var table = NS.strings && NS.strings[lang];
    return (table && table[text]) || text;
  };
  NS.uid = function (prefix) { counter += 1; return "cbp-" + prefix + "-" + counter; };
  NS.debounce = function (fn, ms) {
    var timer = null;
    var wrapped = function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { timer = null; fn.apply(null, args); }, ms);
    };
    wrapped.flush = function () {
      if (timer === null) return;
      clearTimeout(timer);
      timer = null;
      fn();
    };
    return wrapped;
  };

  function watch(input, onChange, ms) {
    var value = function () { return input.type === "checkbox" ? input.checked : input.value; };
    if (input.type === "checkbox" || input.tagName === "SELECT") {
      input.addEventListener("change", function () { onChange(value()); });
      return input;
    }
    var later = NS.debounce(function () { onChange(value()); }, ms === undefined ? 250 : ms);
    input.addEventListener("input", function () { later(); });
    input.addEventListener("change", function () { later.flush(); });
    return input;
  }
  NS.watch = watch;

  NS.bare = function (tag, value, test, onChange, attrs) {
    var input = h(tag, Object.assign({ "data-test": test }, tag === "input" ? { type: "text" } : {}, attrs || {}));
    input.value = value == null ? "" : value;
    return watch(input, onChange);
  };
  function labelled(label, input, help) {
    input.id = input.id || NS.uid("in");
    var kids = [h("label", { "for": input.id }, [label])];
    if (help) {
      var helpId = input.id + "-help";
      input.setAttribute("aria-describedby", helpId);
      kids.push(h("p", { "class": "cbp-help", id: helpId }, [help]));
    }
    kids.push(input);
    return h("div", { "class": "cbp-row" }, kids);
  }
  NS.labelled = labelled;
  NS.textInput = function (label, value, test, onChange, attrs, help) {
    return labelled(label, NS.bare("input", value, test, onChange, attrs), help);
  };
  NS.textArea = function (label, value, test, onChange, attrs, help) {
    return labelled(label, NS.bare("textarea", value, test, onChange, Object.assign({ rows: "3" }, attrs || {})), help);
  };
  NS.select = function (label, value, options, test, onChange, help) {
    var select = h("select", { "data-test": test }, options.map(function (o) {
      return h("option", { value: o[0] }, [o[1]]);
    }));
    select.value = value == null ? "" : value;
    return labelled(label, watch(select, onChange), help);
  };
  NS.checkbox = function (label, checked, test, onChange) {
    var box = h("input", { type: "checkbox", "data-test": test, id: NS.uid("cb") });
    box.checked = Boolean(checked);
    watch(box, onChange);
    return h("div", { "class": "cbp-check" }, [box, h("label", { "for": box.id }, [label])]);
  };
  NS.button = function (text, test, onClick, attrs) {
    var button = h("button", Object.assign({ type: "button", "data-test": test }, attrs || {}), [text]);
    button.addEventListener("click", function (e) { e.preventDefault(); onClick(e); });
    return button;
  };

  /* --- requests through the editor's api.fetchJson --- */
  NS.request = function (api, path, body) {
    var options = body === undefined ? { method: "GET" } : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    };
    return Promise.resolve(api.fetchJson(path, options)).then(function (answer) {
      if (answer && typeof answer.json === "function" && "ok" in answer) {
        return answer.json().then(function (data) {
          if (answer.ok) return data;
          var failure = new Error((data && data.error && data.error.message) || answer.statusText);
          failure.status = answer.status;
          failure.error = data && data.error;
          throw failure;
        });
      }
      return answer;
    });
  };
  NS.failureText = function (failure) {
    var error = (failure && (failure.error || (failure.body && failure.body.error) || (failure.data && failure.data.error))) || null;
    var details = (error && error.details) || [];
    var head = (error && error.message) || (failure && failure.message) || String(failure);
    var more = details.slice(1).map(function (d) { return (d.path ? d.path + ": " : "") + d.message; });
    return [head].concat(more).join("; ");
  };

  /* --- scripts loaded once --- */
  var loaded = {};
  NS.load = function (url) {
    if (!loaded[url]) {
      loaded[url] = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = url;
        s.async = false;
        s.onload = resolve;
        s.onerror = function () { reject(new Error("could not load " + url)); };
        document.head.appendChild(s);
      });
    }
    return loaded[url];
  };
  NS.playerReady = function (url) {
    if (window.customElements && customElements.get("cuebook-player")) return Promise.resolve();
    return NS.load(url || "/player/cuebook-player.js").then(function () {
      return customElements.whenDefined("cuebook-player");
    });
  };
  NS.dmnReady = function (url) {
    if (window.DmnJS) return Promise.resolve();
    var script = url || "/editor/vendor/dmn-js/dmn-modeler.production.min.js";
    var folder = script.replace(/[^/]*$/, "");
    ["dmn-js-shared.css", "dmn-js-decision-table.css", "dmn-js-decision-table-controls.css", "dmn-font/css/dmn.css"].forEach(function (css) {
      if (!document.querySelector('link[href="' + folder + "assets/" + css + '"]')) {
        document.head.appendChild(h("link", { rel: "stylesheet", href: folder + "assets/" + css }));
      }
    });
    return NS.load(script).then(function () {
      if (!window.DmnJS) throw new Error("dmn-js did not load");
    });
  };

  var ready = Promise.all([
    new Promise(function (resolve) {
      var link = h("link", { rel: "stylesheet", href: base + "panel.css" + query });
      link.onload = resolve;
      link.onerror = resolve;
      document.head.appendChild(link);
    })
  ].concat(FILES.map(function (f) { return NS.load(base + f + query); })));

  NS.mount = function (options) {
    var handle = { panel: null, destroyed: false };
    handle.ready = ready.then(function () {
      if (handle.destroyed) return handle;
      handle.panel = new NS.parts.sections.Panel(options);
      return handle;
    });
    handle.update = function (element) { return handle.ready.then(function () { if (handle.panel) handle.panel.select(element); }); };
    handle.destroy = function () { handle.destroyed = true; if (handle.panel) handle.panel.destroy(); };
    return handle;
  };
})();
