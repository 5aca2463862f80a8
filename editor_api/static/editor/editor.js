/*
 * The draft page: the bpmn-js modeler over a draft's main .bpmn file, its properties panel,
 * saving with the revision it loaded (a conflict is shown, never overwritten), problems of
 * `cuebook validate` as markers on the elements they name (checked as you edit), a test
 * run as a chat through the session API with the path and variables of each step, and
 * publishing.
 *
 * The properties panel (properties/panel.js) is optional: when it is there the page calls
 *   window.CuebookProperties.mount({modeler, container, draft, api, onFilesChanged, ...})
 * with draft.files = the draft's non-BPMN files (forms, DMN, cuebook.json), changed in
 * place. Without it a plain name/documentation panel is shown.
 *
 * Stable selectors for tests: [data-test=canvas] data-state=loading|ready|failed,
 * [data-test=save-state] data-state=saved|dirty|saving|failed|conflict, [data-test=save],
 * [data-test=publish], [data-test=test-chat], [data-test=problems] data-state=unknown|
 * checking|ok|problems with [data-test=problem][data-element], [data-test=dialog] with
 * [data-test=dialog-ok] / [data-test=dialog-cancel], [data-test=test-panel]:
 * [data-test=chat-log] of [data-test=chat-line][data-who=script|customer|system],
 * [data-test=chat-button], [data-test=chat-text], [data-test=chat-send],
 * [data-test=step-variables] (JSON per step); [data-test=test-player] runs the same test in
 * <cuebook-player> inside [data-test=player-box]; elements on the path carry the marker class
 * cb-passed (cb-current: where the session waits), problems cb-problem.
 */
(function () {
  "use strict";

  var root = document.getElementById("editor");
  var draft = JSON.parse(document.getElementById("draft-data").textContent);
  var text = JSON.parse(document.getElementById("editor-text").textContent);
  var tokenKey = document.querySelector("script[data-token-key]").getAttribute("data-token-key");
  var token = sessionStorage.getItem(tokenKey);
  var canvasNode = document.getElementById("canvas");
  var saveState = document.getElementById("save-state");

  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_, key) {
      return values && values[key] !== undefined ? String(values[key]) : "";
    });
  }

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined || attrs[k] === false) return;
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k] === true ? "" : String(attrs[k]));
    });
    (kids || []).forEach(function (kid) {
      if (kid !== null && kid !== undefined) node.appendChild(typeof kid === "string" ? document.createTextNode(kid) : kid);
    });
    return node;
  }

  /* --- the API, with the token the sign-in page kept for this tab --- */
  var api = {
    fetchJson: function (path, options) {
      options = options || {};
      var headers = Object.assign({ Accept: "application/json" }, options.headers || {});
      headers.Authorization = "Bearer " + token;
      if (options.body !== undefined && typeof options.body !== "string") {
        options = Object.assign({}, options, { body: JSON.stringify(options.body) });
        headers["Content-Type"] = "application/json";
      }
      return fetch(path, Object.assign({}, options, { headers: headers, credentials: "omit" })).then(function (resp) {
        var type = resp.headers.get("Content-Type") || "";
        var read = resp.status === 204 ? Promise.resolve(null)
          : type.indexOf("json") >= 0 ? resp.json() : resp.text();
        return read.then(function (body) {
          if (resp.ok) return body;
          var error = (body && body.error) || { message: resp.statusText, details: [] };
          var failure = new Error(error.message || resp.statusText);
          failure.status = resp.status;
          failure.error = error;
          failure.body = body;
          if (resp.status === 401) needSignin();
          throw failure;
        });
      });
    }
  };

  function needSignin() {
    var note = el("p", { class: "notice", role: "alert", "data-test": "signin-needed" }, [
      el("a", { href: root.getAttribute("data-signin-url"), text: text.signin_again })
    ]);
    root.parentNode.insertBefore(note, root);
  }

  if (!token) {
    needSignin();
    canvasNode.setAttribute("data-state", "failed");
    return;
  }

  /* --- the draft's files: the main .bpmn in the modeler, the rest beside it --- */
  function mainBpmnName(files) {
    var names = Object.keys(files).filter(function (n) { return /\.bpmn$/i.test(n); }).sort();
    var primary = null;
    try { primary = JSON.parse(files["cuebook.json"] || "{}").primary_process_id; } catch (e) { primary = null; }
    if (primary) {
      var found = names.filter(function (n) { return files[n].indexOf('id="' + primary + '"') >= 0; });
      if (found.length) return found[0];
    }
    return names[0];
  }

  var mainName = mainBpmnName(draft.files);
  var otherBpmn = {};
  var panelFiles = {};
  Object.keys(draft.files).forEach(function (name) {
    if (name === mainName) return;
    if (/\.bpmn$/i.test(name)) otherBpmn[name] = draft.files[name];
    else panelFiles[name] = draft.files[name];
  });
  var panelDraft = { id: draft.id, script: draft.script, revision: draft.revision, files: panelFiles, mainFile: mainName };

  var modeler = new window.BpmnJS({ container: canvasNode });
  var dirty = false;
  var revision = draft.revision;
  var lastProblems = [];

  function currentFiles() {
    return modeler.saveXML({ format: true }).then(function (result) {
      var files = Object.assign({}, otherBpmn, panelFiles);
      files[mainName] = result.xml;
      return files;
    });
  }

  function showState(state, label) {
    saveState.setAttribute("data-state", state);
    saveState.textContent = label;
  }

  function markDirty() {
    dirty = true;
    showState("dirty", text.unsaved);
    scheduleCheck();
  }

  /* --- problems as markers, checked as you edit --- */
  var problemsNode = document.getElementById("problems");
  var checkTimer = null;
  var checkSeq = 0;

  function scheduleCheck() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, 700);
  }

  function check() {
    var seq = ++checkSeq;
    problemsNode.setAttribute("data-state", "checking");
    return currentFiles().then(function (files) {
      return api.fetchJson("/api/v1/drafts/" + draft.id + "/validate", { method: "POST", body: { files: files } });
    }).then(function (found) {
      if (seq !== checkSeq) return;
      showProblems(found.problems || []);
    }).catch(function (failure) {
      if (seq !== checkSeq) return;
      showProblems([{ file: "", element: "", message: failure.message }]);
    });
  }

  function showProblems(problems) {
    var registry = modeler.get("elementRegistry");
    var canvas = modeler.get("canvas");
    var overlays = modeler.get("overlays");
    lastProblems.forEach(function (p) {
      if (p.element && registry.get(p.element)) canvas.removeMarker(p.element, "cb-problem");
    });
    overlays.remove({ type: "cb-problem" });
    lastProblems = problems;
    var list = document.getElementById("problem-list");
    list.textContent = "";
    var perElement = {};
    problems.forEach(function (p) {
      var onDiagram = p.element && p.file === mainName && registry.get(p.element);
      if (onDiagram) {
        canvas.addMarker(p.element, "cb-problem");
        (perElement[p.element] = perElement[p.element] || []).push(p.message);
      }
      var where = (p.file || "") + (p.element ? " · " + p.element : "");
      var item = el("li", { "data-test": "problem", "data-element": p.element || "", "data-file": p.file || "" }, [
        el(onDiagram ? "button" : "span", { type: onDiagram ? "button" : null, class: onDiagram ? "link where" : "where", text: where }),
        " ",
        el("span", { class: "message", lang: "en", text: p.message })
      ]);
      if (onDiagram) {
        item.firstChild.addEventListener("click", function () { focusElement(p.element); });
      }
      list.appendChild(item);
    });
    Object.keys(perElement).forEach(function (id) {
      var badge = el("div", { class: "cb-problem-badge", title: perElement[id].join("\n"), "data-test": "problem-badge", "data-element": id, text: String(perElement[id].length) });
      overlays.add(id, "cb-problem", { position: { top: -10, right: 10 }, html: badge });
    });
    document.getElementById("problem-count").textContent = problems.length ? fmt(text.problems_count, { count: problems.length }) : "";
    document.getElementById("problems-none").hidden = problems.length > 0;
    problemsNode.setAttribute("data-state", problems.length ? "problems" : "ok");
  }

  function focusElement(id) {
    var element = modeler.get("elementRegistry").get(id);
    if (!element) return;
    modeler.get("selection").select(element);
    try { modeler.get("canvas").scrollToElement(element); } catch (e) { /* an older canvas */ }
  }

  /* --- saving --- */
  var saving = null;

  function save() {
    if (saving) return saving;
    showState("saving", text.saving);
    saving = currentFiles().then(function (files) {
      return api.fetchJson("/api/v1/drafts/" + draft.id, { method: "PUT", body: { revision: revision, files: files } });
    }).then(function (saved) {
      revision = saved.revision;
      panelDraft.revision = revision;
      dirty = false;
      showState("saved", fmt(text.saved, { revision: revision }));
      return saved;
    }, function (failure) {
      if (failure.status === 409 && failure.error && failure.error.conflict) {
        var c = failure.error.conflict;
        showState("conflict", fmt(text.conflict_short, { who: c.updated_by, revision: c.current_revision }));
        showConflict(failure.error.conflict);
      } else {
        showState("failed", fmt(text.save_failed, { message: failure.message }));
      }
      throw failure;
    }).finally(function () { saving = null; });
    return saving;
  }

  function changeList(changes) {
    var box = el("div", { class: "changes", "data-test": "changes" });
    var any = false;
    ["elements", "flows", "forms", "decisions", "calls"].forEach(function (section) {
      var part = changes[section];
      if (!part) return;
      ["added", "removed", "changed"].forEach(function (kind) {
        (part[kind] || []).forEach(function (item) {
          any = true;
          var name = item.name || (item.after && item.after.name) || (item.before && item.before.name) || "";
          var ident = item.id || item.file || "";
          var label = name ? name + " (" + ident + ")" : ident;
          box.appendChild(el("p", { class: "change change-" + kind, "data-test": "change", "data-section": section, "data-kind": kind, "data-id": item.id || item.file || "" }, [
            el("span", { class: "tag", text: text[section] + " · " + text[kind] }), " ", label
          ]));
        });
      });
    });
    var files = changes.files || {};
    ["added", "removed", "changed"].forEach(function (kind) {
      (files[kind] || []).forEach(function (name) {
        any = true;
        box.appendChild(el("p", { class: "change change-" + kind, "data-test": "change", "data-section": "files", "data-kind": kind, "data-id": name }, [
          el("span", { class: "tag", text: text.files + " · " + text[kind] }), " ", name
        ]));
      });
    });
    if (!any) box.appendChild(el("p", { text: text.nothing_changed }));
    return box;
  }

  function markChanges(changes) {
    var registry = modeler.get("elementRegistry");
    var canvas = modeler.get("canvas");
    ["elements", "calls"].forEach(function (section) {
      var part = changes[section] || {};
      ["added", "changed"].forEach(function (kind) {
        (part[kind] || []).forEach(function (item) {
          if (item.id && registry.get(item.id)) canvas.addMarker(item.id, "cb-theirs");
        });
      });
    });
  }

  function showConflict(conflict) {
    markChanges(conflict.changes || {});
    openDialog(text.conflict_title, [
      el("p", { text: fmt(text.conflict_text, { who: conflict.updated_by, revision: conflict.current_revision, at: new Date(conflict.updated_at).toLocaleString(document.documentElement.lang || undefined) }) }),
      changeList(conflict.changes || {})
    ], [
      { label: text.conflict_keep, test: "dialog-cancel" },
      { label: text.conflict_reload, test: "dialog-ok", primary: true, action: function () { dirty = false; window.location.reload(); } }
    ]);
  }

  /* --- a dialog --- */
  var dialog = document.getElementById("dialog");
  function openDialog(title, body, buttons) {
    document.getElementById("dialog-title").textContent = title;
    var bodyNode = document.getElementById("dialog-body");
    bodyNode.textContent = "";
    body.forEach(function (node) { bodyNode.appendChild(node); });
    var actions = document.getElementById("dialog-actions");
    actions.textContent = "";
    buttons.forEach(function (b) {
      var button = el("button", { type: "button", class: b.primary ? "primary" : "secondary", "data-test": b.test, text: b.label });
      button.addEventListener("click", function () {
        dialog.hidden = true;
        if (b.action) b.action();
      });
      actions.appendChild(button);
    });
    dialog.hidden = false;
    var first = actions.querySelector(".primary") || actions.firstChild;
    if (first) first.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !dialog.hidden) dialog.hidden = true;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      save().catch(function () { /* shown */ });
    }
  });

  function saved() {
    return dirty || saveState.getAttribute("data-state") !== "saved" ? save() : Promise.resolve();
  }

  /* --- publishing --- */
  function publish() {
    saved().then(check).then(function () {
      if (lastProblems.length) {
        openDialog(text.publish_title, [el("p", { text: text.publish_invalid })], [{ label: text.close, test: "dialog-cancel" }]);
        return;
      }
      openDialog(text.publish_title, [el("p", { text: fmt(text.publish_text, { script: draft.script }) })], [
        { label: text.cancel, test: "dialog-cancel" },
        { label: text.publish_go, test: "dialog-ok", primary: true, action: doPublish }
      ]);
    }).catch(function () { /* shown */ });
  }

  function doPublish() {
    api.fetchJson("/api/v1/drafts/" + draft.id + "/publish", { method: "POST", body: { revision: revision } }).then(function (result) {
      var line = result.created ? fmt(text.published_text, { number: result.number, script: draft.script })
        : fmt(text.same_content, { number: result.number });
      var link = el("a", { href: root.getAttribute("data-history-url") + "?b=" + result.number, "data-test": "published-link", text: text.to_history });
      openDialog(text.published_title, [el("p", { "data-test": "published", "data-version": result.number, text: line }), el("p", {}, [link])], [
        { label: text.close, test: "dialog-cancel" }
      ]);
    }).catch(function (failure) {
      openDialog(text.publish_title, [el("p", { class: "error", lang: "en", text: failure.message })], [{ label: text.close, test: "dialog-cancel" }]);
    });
  }

  /* --- the plain panel, when properties/panel.js is not there --- */
  function plainPanel(container) {
    var modeling = modeler.get("modeling");
    var current = null;
    function field(label, value, onInput, multiline) {
      var id = "plain-" + label.toLowerCase().replace(/\W+/g, "-");
      var input = el(multiline ? "textarea" : "input", { id: id, type: multiline ? null : "text", rows: multiline ? 5 : null });
      input.value = value || "";
      input.addEventListener("change", function () { onInput(input.value); });
      return el("div", { class: "field" }, [el("label", { for: id, text: label }), input]);
    }
    function show(element) {
      container.textContent = "";
      current = element;
      if (!element || element.type === "bpmn:Process" || element.type === "label") {
        container.appendChild(el("p", { class: "meta", text: text.no_panel }));
        return;
      }
      var bo = element.businessObject;
      var docs = (bo.documentation && bo.documentation[0] && bo.documentation[0].text) || "";
      container.appendChild(el("p", { class: "meta" }, [el("code", { text: element.id }), " · " + element.type.replace("bpmn:", "")]));
      container.appendChild(field(text.name, bo.name, function (v) { modeling.updateProperties(current, { name: v }); }));
      container.appendChild(field(text.documentation, docs, function (v) {
        var doc = modeler.get("moddle").create("bpmn:Documentation", { text: v });
        modeling.updateProperties(current, { documentation: v ? [doc] : [] });
      }, true));
    }
    modeler.on("selection.changed", function (e) { show(e.newSelection[0] || null); });
    show(null);
  }

  function loadPanel() {
    var container = document.getElementById("properties");
    var url = root.getAttribute("data-panel-url");
    return new Promise(function (resolve) {
      var script = document.createElement("script");
      script.src = url;
      script.onload = function () { resolve(true); };
      script.onerror = function () { resolve(false); };
      document.head.appendChild(script);
    }).then(function (loaded) {
      if (!loaded || !window.CuebookProperties || !window.CuebookProperties.mount) {
        plainPanel(container);
        return;
      }
      var handle = window.CuebookProperties.mount({
        modeler: modeler,
        container: container,
        draft: panelDraft,
        api: api,
        onFilesChanged: markDirty,
        playerScript: root.getAttribute("data-player-url"),
        dmnScript: root.getAttribute("data-dmn-url") || undefined
      });
      if (handle && handle.update) {
        modeler.on("selection.changed", function (e) { handle.update(e.newSelection[0] || null); });
        handle.update(null);
      }
    });
  }

  /* --- test run as a chat, through the session API --- */
  var testPanel = document.getElementById("test-panel");
  var chatLog = document.getElementById("chat-log");
  var chatButtons = document.getElementById("chat-buttons");
  var chatForm = document.getElementById("chat-reply");
  var chatText = document.getElementById("chat-text");
  var session = null;
  var pathMarked = [];
  var stepNumber = 0;

  function line(who, words) {
    var item = el("li", { class: "line line-" + who, "data-test": "chat-line", "data-who": who }, [el("p", { text: words })]);
    chatLog.appendChild(item);
    item.scrollIntoView({ block: "nearest" });
    return item;
  }

  function clearPath() {
    var canvas = modeler.get("canvas");
    var registry = modeler.get("elementRegistry");
    pathMarked.forEach(function (id) {
      if (registry.get(id)) {
        canvas.removeMarker(id, "cb-passed");
        canvas.removeMarker(id, "cb-current");
      }
    });
    modeler.get("overlays").remove({ type: "cb-visit" });
    pathMarked = [];
  }

  function drawPath(trace) {
    clearPath();
    var canvas = modeler.get("canvas");
    var registry = modeler.get("elementRegistry");
    var overlays = modeler.get("overlays");
    var order = {};
    trace.path.forEach(function (p, i) {
      if (!registry.get(p.element)) return;
      canvas.addMarker(p.element, "cb-passed");
      pathMarked.push(p.element);
      (order[p.element] = order[p.element] || []).push(i + 1);
    });
    Object.keys(order).forEach(function (id) {
      overlays.add(id, "cb-visit", { position: { top: -12, left: -12 }, html: el("div", { class: "cb-visit", text: order[id].join(",") }) });
    });
    // The flows taken: between each element and the next one on the path.
    trace.path.forEach(function (p, i) {
      var next = trace.path[i + 1];
      if (!next) return;
      registry.filter(function (e) {
        return e.waypoints && e.source && e.target && e.source.id === p.element && e.target.id === next.element;
      }).forEach(function (flow) {
        canvas.addMarker(flow.id, "cb-passed");
        pathMarked.push(flow.id);
      });
    });
    var last = trace.path[trace.path.length - 1];
    if (last && trace.status === "waiting" && registry.get(last.element)) canvas.addMarker(last.element, "cb-current");
  }

  function showVariables(trace) {
    var item = chatLog.lastElementChild;
    var details = el("details", { class: "vars", "data-test": "step-variables", "data-step": String(stepNumber) }, [
      el("summary", { text: text.step_vars + " (" + stepNumber + ")" }),
      el("pre", { text: JSON.stringify(trace.variables, null, 2) })
    ]);
    if (item) item.appendChild(details);
  }

  function render(step) {
    session = step;
    stepNumber += 1;
    (step.messages || []).forEach(function (m) { line("script", m.text); });
    if (step.handoff) line("system", fmt(text.handed_off, { reason: step.handoff.reason }));
    if (step.status === "completed" || step.status === "failed") line("system", fmt(text.ended, { status: step.status }));
    chatButtons.textContent = "";
    (step.buttons || []).forEach(function (b) {
      var button = el("button", { type: "button", class: "option", "data-test": "chat-button", "data-value": JSON.stringify(b.value), text: b.label });
      button.addEventListener("click", function () { reply(b.label); });
      chatButtons.appendChild(button);
    });
    var open = step.status === "waiting" && step.input && step.input.type !== "none";
    chatForm.hidden = !open;
    return api.fetchJson("/api/v1/drafts/" + draft.id + "/test/" + step.session_id).then(function (trace) {
      drawPath(trace);
      showVariables(trace);
      testPanel.setAttribute("data-state", step.status);
      if (open && !(step.buttons || []).length) chatText.focus();
    });
  }

  function reply(words) {
    if (!session) return;
    line("customer", words);
    chatButtons.textContent = "";
    api.fetchJson("/api/v1/sessions/" + session.session_id + "/steps?render=chat", {
      method: "POST", body: { step_token: session.step_token, text: words }
    }).then(render).catch(function (failure) {
      line("system", failure.message);
      render(session);
    });
  }

  chatForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var words = chatText.value.trim();
    if (!words) return;
    chatText.value = "";
    reply(words);
  });

  function refit() {
    // After the grid has laid the columns out again.
    requestAnimationFrame(function () {
      modeler.get("canvas").resized();
      fit();
    });
  }

  /* The same test in the operator's web player: <cuebook-player> on the test script; each
   * step it shows is traced on the diagram as in the chat. */
  var playerBox = document.getElementById("player-box");
  var testMode = "chat";

  function loadPlayer() {
    if (window.customElements && customElements.get("cuebook-player")) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.getAttribute("data-player-url");
      script.onload = resolve;
      script.onerror = function () { reject(new Error("the player did not load")); };
      document.head.appendChild(script);
    }).then(function () { return customElements.whenDefined("cuebook-player"); });
  }

  function playerStep(event) {
    var view = event.detail || {};
    stepNumber += 1;
    var step = view.step || {};
    line("system", stepNumber + ". " + (step.title || step.id || view.status || ""));
    api.fetchJson("/api/v1/drafts/" + draft.id + "/test/" + view.session_id).then(function (trace) {
      drawPath(trace);
      showVariables(trace);
      testPanel.setAttribute("data-state", view.status);
    });
  }

  function startPlayer(trial) {
    return loadPlayer().then(function () {
      playerBox.textContent = "";
      var player = document.createElement("cuebook-player");
      player.setAttribute("api", window.location.origin);
      player.setAttribute("token", token);
      player.setAttribute("script", trial.script);
      player.addEventListener("cuebook-step", playerStep);
      player.addEventListener("cuebook-error", function (e) {
        line("system", (e.detail && e.detail.error && e.detail.error.message) || "error");
      });
      playerBox.appendChild(player);
    });
  }

  function startTest(mode) {
    if (typeof mode === "string") testMode = mode;
    testPanel.hidden = false;
    testPanel.setAttribute("data-mode", testMode);
    root.classList.add("testing");
    refit();
    chatLog.textContent = "";
    chatButtons.textContent = "";
    playerBox.textContent = "";
    playerBox.hidden = testMode !== "player";
    chatForm.hidden = testMode === "player";
    stepNumber = 0;
    testPanel.setAttribute("data-state", "starting");
    saved().then(function () {
      return api.fetchJson("/api/v1/drafts/" + draft.id + "/test", { method: "POST", body: { revision: revision } });
    }).then(function (trial) {
      document.getElementById("test-meta").textContent = fmt(text.test_meta, { script: trial.script, number: trial.number });
      if (testMode === "player") return startPlayer(trial);
      return api.fetchJson("/api/v1/sessions?render=chat", { method: "POST", body: { script: trial.script, channel: "chat" } }).then(render);
    }).catch(function (failure) {
      testPanel.setAttribute("data-state", "failed");
      var details = ((failure.error && failure.error.details) || []).map(function (d) { return d.path + ": " + d.message; });
      line("system", fmt(text.test_failed, { message: failure.message }) + (details.length ? "\n" + details.join("\n") : ""));
    });
  }

  document.getElementById("test").addEventListener("click", function () { startTest("chat"); });
  document.getElementById("test-player").addEventListener("click", function () { startTest("player"); });
  document.getElementById("test-restart").addEventListener("click", function () { startTest(); });
  document.getElementById("test-close").addEventListener("click", function () {
    testPanel.hidden = true;
    playerBox.textContent = "";
    root.classList.remove("testing");
    refit();
    clearPath();
    session = null;
  });
  document.getElementById("save").addEventListener("click", function () { save().catch(function () { /* shown */ }); });
  document.getElementById("publish").addEventListener("click", publish);
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  /* The whole diagram in view, clear of the palette on the left. */
  function fit() {
    var canvas = modeler.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    var box = canvas.viewbox();
    var palette = 130 / (box.scale || 1);
    canvas.viewbox({
      x: box.x - palette - box.width * 0.03,
      y: box.y - box.height * 0.05,
      width: box.width * 1.06 + palette,
      height: box.height * 1.1
    });
  }

  /* --- open the draft --- */
  modeler.importXML(draft.files[mainName]).then(function (imported) {
    fit();
    canvasNode.setAttribute("data-warnings", String(((imported && imported.warnings) || []).length));
    canvasNode.setAttribute("data-state", "ready");
    document.getElementById("tools").hidden = false;
    modeler.on("commandStack.changed", markDirty);
    window.cuebookEditor = { modeler: modeler, api: api, draft: panelDraft, save: save, check: check, fit: fit };
    return loadPanel();
  }).then(check).catch(function (failure) {
    canvasNode.setAttribute("data-state", "failed");
    var message = /no diagram to display/i.test(failure.message) ? text.no_layout : failure.message;
    canvasNode.appendChild(el("p", { class: "error", role: "alert", text: fmt(text.load_failed, { message: message }) }));
  });
})();
