/*
 * The panel itself: which sections an element gets, and each section's inputs. Every write
 * goes through bpmn.js's Writer (the modeler's commands) or draft.files; the panel redraws
 * on a selection change and when an element it shows changes from outside (undo, redo,
 * the diagram), not while its own inputs are typed in.
 */
(function () {
  "use strict";
  var NS = window.CuebookProperties;
  var h = NS.h;
  var t = NS.t;
  var B = NS.parts.bpmn;
  var STEP_TYPES = ["bpmn:UserTask", "bpmn:ManualTask", "bpmn:Task"];
  var TEXT_TYPES = ["bpmn:EndEvent", "bpmn:IntermediateCatchEvent", "bpmn:ReceiveTask", "bpmn:StartEvent"];
  var GATEWAYS = ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway"];
  // Where SpiffWorkflow runs spiffworkflow:preScript / postScript (docs/bundles.md).
  var SCRIPTED = STEP_TYPES.concat(["bpmn:ServiceTask", "bpmn:BusinessRuleTask", "bpmn:SendTask",
    "bpmn:ReceiveTask", "bpmn:CallActivity", "bpmn:SubProcess"]);
  var NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
  var XML_ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
  var PARAM_TYPES = { string: "str", integer: "int", number: "float", boolean: "bool", object: "dict", array: "list" };

  function Panel(options) {
    var self = this;
    this.options = options;
    this.modeler = options.modeler;
    this.draft = options.draft;
    this.api = options.api;
    this.writer = new B.Writer(options.modeler);
    this.bus = options.modeler.get("eventBus");
    this.root = h("div", { "class": "cbp", "data-test": "properties", "data-ready": "false" });
    options.container.textContent = "";
    options.container.appendChild(this.root);
    this.own = 0;
    this.current = null;
    this.cache = {};
    this.handlers = {
      "selection.changed": function (e) { self.show(e.newSelection && e.newSelection.length === 1 ? e.newSelection[0] : null); },
      "elements.changed": function (e) {
        if (self.own || !self.current) return;
        if (e.elements.some(function (el) { return el === self.current || el.id === self.current.id; })) self.show(self.current);
      },
      "import.done": function () { self.show(null); }
    };
    Object.keys(this.handlers).forEach(function (name) { self.bus.on(name, self.handlers[name]); });
    this.show(null);
  }

  Panel.prototype.destroy = function () {
    var self = this;
    Object.keys(this.handlers).forEach(function (name) { self.bus.off(name, self.handlers[name]); });
    this.root.remove();
  };

  /* Run a write of the panel's own: the redraw it causes is skipped (focus stays). */
  Panel.prototype.write = function (fn) {
    this.own += 1;
    try { fn(); } finally { this.own -= 1; }
  };

  Panel.prototype.filesChanged = function () {
    if (this.options.onFilesChanged) this.options.onFilesChanged();
  };

  Panel.prototype.manifest = function () {
    try { return JSON.parse(this.draft.files["cuebook.json"] || "{}") || {}; } catch (e) { return {}; }
  };

  Panel.prototype.sampleVariables = function () {
    var defaults = this.manifest().defaults;
    return defaults && typeof defaults === "object" ? defaults : {};
  };

  Panel.prototype.cached = function (key, load) {
    if (!this.cache[key]) {
      var self = this;
      this.cache[key] = load().catch(function (e) { delete self.cache[key]; throw e; });
    }
    return this.cache[key];
  };

  /* The variables set before `element` runs (the draft as the modeler holds it now). */
  Panel.prototype.variables = function (element) {
    var self = this;
    return this.modeler.saveXML({ format: false }).then(function (saved) {
      return NS.request(self.api, "/api/v1/authoring/variables", { bpmn: saved.xml, files: self.draft.files, element: element.id });
    }).then(function (answer) { return answer.variables; });
  };

  /* Show `element` unless it is shown already (the page and the panel both follow the
   * selection). */
  Panel.prototype.select = function (element) {
    var target = element || this.modeler.get("canvas").getRootElement();
    if (target === this.current && this.root.getAttribute("data-ready") === "true") return;
    this.show(element);
  };

  Panel.prototype.show = function (element) {
    var canvas = this.modeler.get("canvas");
    element = element || canvas.getRootElement();
    if (element && element.type === "label") element = element.labelTarget;
    this.current = element;
    this.preview = null;
    this.root.textContent = "";
    this.root.setAttribute("data-ready", "false");
    if (!element || !element.businessObject) return;
    var type = element.type;
    this.root.setAttribute("data-element-id", element.id);
    this.root.setAttribute("data-element-type", type);
    this.root.appendChild(h("h2", { "class": "cbp-title" }, [t(type.replace("bpmn:", "")) + " · ", h("code", {}, [element.id])]));
    this.root.appendChild(this.general(element));
    if (STEP_TYPES.indexOf(type) >= 0) this.root.appendChild(this.step(element));
    if (type === "bpmn:ServiceTask") this.root.appendChild(this.service(element));
    if (type === "bpmn:ScriptTask") this.root.appendChild(this.script(element));
    if (type === "bpmn:BusinessRuleTask") this.root.appendChild(NS.parts.decisions.decisionSection(this.ctx(), element, this.recording(), B));
    if (type === "bpmn:CallActivity") this.root.appendChild(this.call(element));
    if (type === "bpmn:SequenceFlow") this.root.appendChild(this.flow(element));
    if (GATEWAYS.indexOf(type) >= 0) this.root.appendChild(this.gateway(element));
    if (TEXT_TYPES.indexOf(type) >= 0) this.root.appendChild(this.eventText(element));
    if (SCRIPTED.indexOf(type) >= 0) this.root.appendChild(this.prePost(element));
    if (type === "bpmn:Process" || type === "bpmn:Collaboration") this.root.appendChild(NS.parts.manifest.manifestSection(this.ctx()));
    this.root.setAttribute("data-ready", "true");
  };

  /* What the other parts get: the draft, the API, and how to write. */
  Panel.prototype.ctx = function () {
    var self = this;
    return {
      draft: this.draft,
      api: this.api,
      playerScript: this.options.playerScript,
      dmnScript: this.options.dmnScript,
      onFilesChanged: function () { self.filesChanged(); self.show(self.current); },
      filesChanged: function () { self.filesChanged(); },
      sampleVariables: function () { return self.sampleVariables(); }
    };
  };

  /* A Writer whose writes redraw the panel afterwards (for selects that change the form). */
  Panel.prototype.recording = function () {
    var self = this;
    var proxy = Object.create(this.writer);
    ["setText", "setProperty", "setExtension", "setServiceCall"].forEach(function (name) {
      proxy[name] = function () { self.writer[name].apply(self.writer, arguments); self.show(self.current); };
    });
    return proxy;
  };

  Panel.prototype.general = function (element) {
    var self = this;
    var bo = element.businessObject;
    var problem = h("p", { "class": "cbp-problem", role: "alert" });
    var box = h("section", { "class": "cbp-section", "aria-label": t("General") });
    box.appendChild(NS.textInput(t("Id"), bo.id, "prop-id", function (value) {
      var registry = self.modeler.get("elementRegistry");
      problem.textContent = "";
      if (value === bo.id) return;
      if (!XML_ID.test(value)) { problem.textContent = t("An id starts with a letter or _ and has letters, digits, _, - or ."); return; }
      if (registry.get(value)) { problem.textContent = t("Another element has this id."); return; }
      self.write(function () { self.writer.modeling.updateProperties(element, { id: value }); });
      self.root.setAttribute("data-element-id", value);
    }, { spellcheck: "false", autocomplete: "off" }));
    box.appendChild(problem);
    if (element.type !== "bpmn:Process" && element.type !== "bpmn:Collaboration") {
      box.appendChild(NS.textInput(t("Name"), bo.name || "", "prop-name", function (value) {
        self.write(function () { self.writer.modeling.updateProperties(element, { name: value || undefined }); });
      }, {}, STEP_TYPES.indexOf(element.type) >= 0 ? t("The step's title.") : ""));
    }
    var isStep = STEP_TYPES.indexOf(element.type) >= 0;
    box.appendChild(NS.textArea(isStep ? t("Hints for the operator") : t("Documentation"), B.documentation(element), "prop-documentation", function (value) {
      self.write(function () { self.writer.setDocumentation(element, value); });
    }, {}, isStep ? t("Shown to the operator, never said aloud.") : ""));
    return box;
  };

  /* A text area with a variable picker that inserts `{{ name }}` (templates) or `name`. */
  Panel.prototype.withPicker = function (element, row, input, template) {
    var self = this;
    var list = h("ul", { "class": "cbp-vars", role: "list", hidden: true });
    function shut() { list.hidden = true; open.setAttribute("aria-expanded", "false"); }
    list.addEventListener("keydown", function (e) { if (e.key === "Escape") { shut(); open.focus(); } });
    var open = NS.button(t("Insert variable"), "var-picker", function () {
      if (!list.hidden) { shut(); return; }
      list.hidden = false;
      open.setAttribute("aria-expanded", "true");
      list.textContent = "";
      list.appendChild(h("li", { "class": "cbp-note" }, [t("Loading…")]));
      self.variables(element).then(function (found) {
        list.textContent = "";
        if (!found.length) list.appendChild(h("li", { "class": "cbp-note" }, [t("Nothing sets a variable before this element.")]));
        found.forEach(function (v) {
          var where = v.element ? t(v.source) + " · " + v.element : t(v.source);
          list.appendChild(h("li", {}, [NS.button(v.name, "var-option", function () {
            var text = template ? "{{ " + v.name + " }}" : v.name;
            var at = input.selectionStart == null ? input.value.length : input.selectionStart;
            var end = input.selectionEnd == null ? at : input.selectionEnd;
            input.value = input.value.slice(0, at) + text + input.value.slice(end);
            input.dispatchEvent(new Event("input"));
            input.dispatchEvent(new Event("change"));
            shut();
            input.focus();
            input.setSelectionRange(at + text.length, at + text.length);
          }, { "data-var": v.name, title: v.title || where }), h("span", { "class": "cbp-note" }, [" " + where])]));
        });
      }, function (e) { list.textContent = ""; list.appendChild(h("li", { "class": "cbp-problem" }, [NS.failureText(e)])); });
    }, { "aria-expanded": "false", "class": "cbp-small" });
    row.appendChild(h("div", { "class": "cbp-picker" }, [open, list]));
    return row;
  };

  Panel.prototype.textSetting = function (element, label, help) {
    var self = this;
    var row = NS.textArea(label, B.text(element, "instructionsForEndUser"), "prop-text", function (value) {
      self.write(function () { self.writer.setText(element, "instructionsForEndUser", value); });
      if (self.preview) self.preview.later();
    }, { rows: "4" }, help);
    return this.withPicker(element, row, row.querySelector("textarea"), true);
  };

  Panel.prototype.eventText = function (element) {
    var help = element.type === "bpmn:EndEvent" ? t("The last text of the conversation (goodbyes go here).") : t("Said while the session waits here.");
    return h("section", { "class": "cbp-section", "aria-label": t("Text") }, [h("h3", {}, [t("Text to say")]), this.textSetting(element, t("Text (Jinja2)"), help)]);
  };

  Panel.prototype.step = function (element) {
    var self = this;
    var props = B.properties(element);
    var box = h("section", { "class": "cbp-section", "aria-label": t("Step") }, [h("h3", {}, [t("Step")])]);
    box.appendChild(this.textSetting(element, t("Text to say (Jinja2)"), t("Rendered with the session's variables: {{ customer_name }}.")));
    function prop(name) {
      return function (value) {
        self.write(function () { self.writer.setProperty(element, name, value); });
        if (self.preview) self.preview.later();
      };
    }
    var voice = NS.textArea(t("Voice prompt (IVR)"), props["cuebook:voice"] || "", "prop-voice", prop("cuebook:voice"), { rows: "2" }, t("What the IVR plays instead of the text: plain text or <speak>…</speak>."));
    box.appendChild(this.withPicker(element, voice, voice.querySelector("textarea"), true));
    var misses = NS.textInput(t("Misses before a person takes over"), props["cuebook:max_misses"] || "", "prop-max-misses", function (value) {
      var bad = value !== "" && !/^\d+$/.test(value);
      misses.querySelector("input").setAttribute("aria-invalid", bad ? "true" : "false");
      if (!bad) prop("cuebook:max_misses")(value);
    }, { inputmode: "numeric", placeholder: "3" }, t("Replies a chat-bot or IVR may fail to understand (3 when empty)."));
    box.appendChild(misses);
    var queue = NS.textInput(t("Handoff queue"), props["cuebook:handoff"] || "", "prop-handoff", function (value) {
      var bad = value !== "" && !/^[A-Za-z0-9_-]{1,60}$/.test(value);
      queue.querySelector("input").setAttribute("aria-invalid", bad ? "true" : "false");
      if (!bad) prop("cuebook:handoff")(value);
    }, { spellcheck: "false" }, t("This step needs a person: on a bot channel the session moves to this queue."));
    box.appendChild(queue);
    box.appendChild(NS.checkbox(t("Nobody may go back to this step once passed"), props["cuebook:can_go_back"] === "false", "prop-can-go-back", function (checked) {
      self.write(function () { self.writer.setProperty(element, "cuebook:can_go_back", checked ? "false" : ""); });
    }));
    if (element.type === "bpmn:UserTask") box.appendChild(this.form(element, props));
    this.preview = new NS.parts.preview.Preview(this.ctx(), function () { return self.previewBody(element); });
    box.appendChild(this.preview.root);
    this.preview.refresh();
    return box;
  };

  Panel.prototype.formFiles = function (element, props) {
    var files = this.draft.files;
    var schema = props.formJsonSchemaFilename;
    var ui = props.formUiSchemaFilename;
    if (schema) return { schema: schema, ui: ui || schema.replace(/(\.schema)?\.json$/, "") + ".uischema.json" };
    var stem = element.id;
    var n = 1;
    while (files[stem + ".schema.json"] || files[stem + ".uischema.json"]) { n += 1; stem = element.id + "_" + n; }
    return { schema: stem + ".schema.json", ui: stem + ".uischema.json" };
  };

  Panel.prototype.readJson = function (name) {
    try { return name && this.draft.files[name] ? JSON.parse(this.draft.files[name]) : null; } catch (e) { return null; }
  };

  Panel.prototype.form = function (element, props) {
    var self = this;
    var files = this.formFiles(element, props);
    var box = h("div", { "class": "cbp-subsection" }, [h("h3", {}, [t("Form")])]);
    if (!props.formJsonSchemaFilename) {
      box.appendChild(h("p", { "class": "cbp-note" }, [t("No form: the person confirms the text (a message step).")]));
      box.appendChild(NS.button(t("Create form"), "form-create", function () {
        self.storeForm(element, files, { title: "", fields: [], extra: {}, uiExtra: {} });
        self.show(element);
      }));
      return box;
    }
    var schema = this.readJson(files.schema);
    if (this.draft.files[files.schema] && !schema) {
      box.appendChild(h("p", { "class": "cbp-problem" }, [files.schema + ": " + t("not valid JSON; fix the file or remove the form.")]));
    }
    var form = NS.parts.forms.readForm(schema, this.readJson(files.ui));
    var builder = new NS.parts.forms.FormBuilder({ form: form, store: function (f) { self.storeForm(element, files, f); } });
    box.appendChild(h("p", { "class": "cbp-note" }, [t("Files") + ": ", h("code", {}, [files.schema]), ", ", h("code", {}, [files.ui])]));
    box.appendChild(builder.root);
    box.appendChild(NS.button(t("Remove form"), "form-remove", function () {
      delete self.draft.files[files.schema];
      delete self.draft.files[files.ui];
      self.filesChanged();
      self.write(function () {
        self.writer.setProperty(element, "formJsonSchemaFilename", "");
        self.writer.setProperty(element, "formUiSchemaFilename", "");
      });
      self.show(element);
    }, { "class": "cbp-danger" }));
    return box;
  };

  Panel.prototype.storeForm = function (element, files, form) {
    var self = this;
    var written = NS.parts.forms.writeForm(form);
    this.draft.files[files.schema] = JSON.stringify(written.schema, null, 2) + "\n";
    this.draft.files[files.ui] = JSON.stringify(written.ui, null, 2) + "\n";
    this.filesChanged();
    var props = B.properties(element);
    if (props.formJsonSchemaFilename !== files.schema || props.formUiSchemaFilename !== files.ui) {
      this.write(function () {
        self.writer.setProperty(element, "formJsonSchemaFilename", files.schema);
        self.writer.setProperty(element, "formUiSchemaFilename", files.ui);
      });
    }
    if (this.preview) this.preview.later();
  };

  Panel.prototype.previewBody = function (element) {
    var props = B.properties(element);
    var schema = this.readJson(props.formJsonSchemaFilename); // the form as last saved
    var misses = parseInt(props["cuebook:max_misses"] || "3", 10);
    var language = this.manifest().language === "ru" ? "ru" : "en";
    return {
      element: element.id,
      title: element.businessObject.name || "",
      text: B.text(element, "instructionsForEndUser"),
      hints: B.documentation(element),
      voice: props["cuebook:voice"] || "",
      schema: schema,
      ui_schema: schema ? this.readJson(props.formUiSchemaFilename) : null,
      max_misses: misses >= 1 && misses <= 100 ? misses : 3,
      handoff_queue: props["cuebook:handoff"] || "",
      lane: B.laneOf(element),
      language: language,
      script: this.draft.script || this.draft.key || "draft"
    };
  };

  /* A Python code input checked by the sandbox's rules as it is typed. */
  Panel.prototype.code = function (element, options) {
    var self = this;
    var status = h("div", { "class": "cbp-status", "data-test": options.statusTest, "data-state": "idle", role: "status" });
    var check = NS.debounce(function (source) {
      if (!source.trim() && options.mode === "expression") { status.setAttribute("data-state", "idle"); status.textContent = ""; return; }
      status.setAttribute("data-state", "checking");
      Promise.all([
        NS.request(self.api, "/api/v1/authoring/code", { source: source, mode: options.mode }),
        self.variables(element).catch(function () { return null; })
      ]).then(function (got) {
        self.showCheck(status, got[0], got[1]);
      }, function (e) { status.setAttribute("data-state", "error"); status.textContent = NS.failureText(e); });
    }, 300);
    var row = NS.textArea(options.label, options.value, options.test, function (value) {
      options.write(value);
      check(value);
    }, { rows: options.rows || "3", spellcheck: "false", "class": "cbp-code" }, options.help);
    row.appendChild(status);
    if (options.value) check(options.value);
    return this.withPicker(element, row, row.querySelector("textarea"), false);
  };

  Panel.prototype.showCheck = function (status, found, known) {
    status.textContent = "";
    if (!found.ok) {
      status.setAttribute("data-state", "error");
      found.problems.forEach(function (p) {
        var at = t("line") + " " + p.line + (p.column ? ", " + t("column") + " " + p.column : "");
        status.appendChild(h("p", { "class": "cbp-problem" }, [at + ": " + p.message]));
      });
      return;
    }
    status.setAttribute("data-state", "ok");
    var names = known ? known.map(function (v) { return v.name; }) : null;
    var unknown = names ? found.reads.filter(function (r) { return names.indexOf(r) < 0; }) : [];
    status.appendChild(h("p", { "class": "cbp-ok" }, ["✓ " + t("The sandbox accepts it.") + (found.reads.length ? " " + t("Reads") + ": " + found.reads.join(", ") + "." : "")]));
    if (found.writes.length) status.appendChild(h("p", { "class": "cbp-note" }, [t("Sets") + ": " + found.writes.join(", ") + "."]));
    if (unknown.length) status.appendChild(h("p", { "class": "cbp-warn" }, [t("Nothing sets these before this point (set them in a start script, a form or the manifest's defaults)") + ": " + unknown.join(", ")]));
  };

  /* A service task's parameter: the sandbox's verdict on the expression, under it. */
  Panel.prototype.checkParam = function (source, status) {
    status.textContent = "";
    if (!source.trim()) { status.setAttribute("data-state", "idle"); return; }
    status.setAttribute("data-state", "checking");
    NS.request(this.api, "/api/v1/authoring/code", { source: source, mode: "expression" }).then(function (found) {
      status.setAttribute("data-state", found.ok ? "ok" : "error");
      status.textContent = found.ok ? "" : found.problems.map(function (p) {
        return t("column") + " " + (p.column || 1) + ": " + p.message;
      }).join("; ");
      status.className = found.ok ? "cbp-status" : "cbp-status cbp-problem";
    }, function (e) { status.setAttribute("data-state", "error"); status.textContent = NS.failureText(e); });
  };

  Panel.prototype.flow = function (element) {
    var self = this;
    var source = element.source;
    var box = h("section", { "class": "cbp-section", "aria-label": t("Condition") }, [h("h3", {}, [t("Condition")])]);
    if (!source || GATEWAYS.indexOf(source.type) < 0) {
      box.appendChild(h("p", { "class": "cbp-note" }, [t("Conditions belong on the flows leaving an exclusive or inclusive gateway.")]));
      return box;
    }
    var gateway = source.businessObject;
    var isDefault = gateway.default === element.businessObject;
    box.appendChild(NS.checkbox(t("Default flow (taken when no condition holds)"), isDefault, "flow-default", function (checked) {
      self.write(function () {
        self.writer.modeling.updateProperties(source, { "default": checked ? element.businessObject : undefined });
        if (checked) self.writer.setCondition(element, "");
      });
      self.show(element);
    }));
    if (isDefault) return box;
    box.appendChild(this.code(element, {
      label: t("Condition (Python expression)"), value: B.condition(element), test: "flow-condition", statusTest: "condition-status",
      mode: "expression", help: t("For example: outage_status == 'active'. Runs in the sandbox over the session's variables."),
      write: function (value) { self.write(function () { self.writer.setCondition(element, value); }); }
    }));
    return box;
  };

  Panel.prototype.gateway = function (element) {
    var box = h("section", { "class": "cbp-section", "aria-label": t("Outgoing flows") }, [h("h3", {}, [t("Outgoing flows")])]);
    var def = element.businessObject.default;
    var rows = (element.outgoing || []).map(function (flow) {
      var text = flow.businessObject === def ? t("default flow") : (B.condition(flow) || t("no condition"));
      return h("li", {}, [h("strong", {}, [flow.businessObject.name || flow.id]), ": ", h("code", {}, [text])]);
    });
    box.appendChild(h("ul", { "class": "cbp-list" }, rows));
    if (!def) box.appendChild(h("p", { "class": "cbp-warn" }, [t("No default flow: a session where no condition holds stops with an error.")]));
    box.appendChild(h("p", { "class": "cbp-note" }, [t("Select a flow to edit its condition.")]));
    return box;
  };

  Panel.prototype.script = function (element) {
    var self = this;
    var node = element.businessObject;
    var box = h("section", { "class": "cbp-section", "aria-label": t("Script") }, [h("h3", {}, [t("Script")])]);
    box.appendChild(this.code(element, {
      label: t("Python (sandboxed)"), value: node.script || "", test: "script-code", statusTest: "script-status", mode: "script", rows: "8",
      write: function (value) {
        self.write(function () { self.writer.modeling.updateProperties(element, { scriptFormat: "python", script: value }); });
      }
    }));
    return box;
  };

  Panel.prototype.prePost = function (element) {
    var self = this;
    var box = h("section", { "class": "cbp-section", "aria-label": t("Scripts around the task") }, [h("h3", {}, [t("Scripts around the task")])]);
    [["preScript", t("Before (preScript)"), t("Runs when the task becomes ready: its variables are there when the step is shown.")],
      ["postScript", t("After (postScript)"), t("Runs when the task completes.")]].forEach(function (entry) {
      box.appendChild(self.code(element, {
        label: entry[1], value: B.text(element, entry[0]), test: "prop-" + entry[0].toLowerCase(), statusTest: entry[0].toLowerCase() + "-status",
        mode: "script", rows: "2", help: entry[2],
        write: function (value) { self.write(function () { self.writer.setText(element, entry[0], value); }); }
      }));
    });
    return box;
  };

  Panel.prototype.call = function (element) {
    var self = this;
    var current = element.businessObject.calledElement || "";
    var box = h("section", { "class": "cbp-section", "aria-label": t("Called process") }, [h("h3", {}, [t("Called process")])]);
    var slot = h("div", {}, [h("p", { "class": "cbp-note" }, [t("Loading…")])]);
    box.appendChild(slot);
    var own = (this.modeler.getDefinitions().rootElements || []).filter(function (r) { return r.$type === "bpmn:Process"; });
    this.cached("processes", function () { return NS.request(self.api, "/api/v1/authoring/processes"); }).then(function (answer) {
      var options = [["", t("— choose —")]];
      own.forEach(function (p) { options.push([p.id, (p.name || p.id) + " — " + t("this diagram")]); });
      answer.processes.forEach(function (p) {
        if (own.some(function (o) { return o.id === p.process_id; })) return;
        options.push([p.process_id, p.title + " — " + t("script") + " " + p.script + " v" + p.version]);
      });
      if (current && !options.some(function (o) { return o[0] === current; })) options.push([current, current + " — " + t("not published (another diagram of this draft may declare it)")]);
      slot.textContent = "";
      slot.appendChild(NS.select(t("Process"), current, options, "call-process", function (value) {
        self.write(function () { self.writer.modeling.updateProperties(element, { calledElement: value || undefined }); });
      }, t("A process of this diagram, or the entry process of a published script (the deploy pins its version).")));
    }, function (e) { slot.textContent = NS.failureText(e); });
    return box;
  };

  Panel.prototype.service = function (element) {
    var self = this;
    var call = B.serviceCall(element) || { fn: "", result: "", params: [] };
    var box = h("section", { "class": "cbp-section", "aria-label": t("Service call") }, [h("h3", {}, [t("Integration function")])]);
    var slot = h("div", {}, [h("p", { "class": "cbp-note" }, [t("Loading…")])]);
    box.appendChild(slot);
    this.cached("functions", function () { return NS.request(self.api, "/api/v1/authoring/functions"); }).then(function (answer) {
      slot.textContent = "";
      self.serviceInputs(slot, element, call, answer.functions);
    }, function (e) { slot.textContent = NS.failureText(e); });
    return box;
  };

  Panel.prototype.serviceInputs = function (slot, element, call, functions) {
    var self = this;
    var spec = functions.filter(function (f) { return f.name === call.fn; })[0] || null;
    var options = [["", t("— choose —")]].concat(functions.map(function (f) {
      return [f.name, f.name + (f.description ? " — " + f.description : "")];
    }));
    if (call.fn && !spec) options.push([call.fn, call.fn + " — " + t("not in the registry")]);
    function save() { self.write(function () { self.writer.setServiceCall(element, call); }); }
    slot.appendChild(NS.select(t("Function"), call.fn, options, "service-function", function (name) {
      var chosen = functions.filter(function (f) { return f.name === name; })[0];
      var given = {};
      call.params.forEach(function (p) { given[p.id] = p.value; });
      call.fn = name;
      call.params = chosen ? chosen.parameters.map(function (p) {
        return { id: p.name, type: PARAM_TYPES[p.type] || "any", value: given[p.name] || "" };
      }) : [];
      save();
      slot.textContent = "";
      self.serviceInputs(slot, element, call, functions);
    }));
    if (!call.fn) return;
    var declared = spec ? spec.parameters : call.params.map(function (p) { return { name: p.id, type: p.type, required: false, description: "" }; });
    var list = h("ol", { "class": "cbp-params", "aria-label": t("Parameters") });
    declared.forEach(function (p) {
      var entry = call.params.filter(function (c) { return c.id === p.name; })[0];
      if (!entry) { entry = { id: p.name, type: PARAM_TYPES[p.type] || "any", value: "" }; call.params.push(entry); }
      var status = h("p", { "class": "cbp-status", "data-test": "service-param-status", "data-param": p.name, "data-state": "idle" });
      var input = NS.bare("input", entry.value, "service-param", function (value) {
        entry.value = value;
        save();
        self.checkParam(value, status);
      }, { "data-param": p.name, spellcheck: "false", "class": "cbp-code" });
      var label = p.name + (p.required ? " *" : "") + " (" + p.type + ")";
      var row = NS.labelled(label, input, (p.description ? p.description + " · " : "") + t("a Python expression: a variable, \"text\" or 42"));
      row.appendChild(status);
      list.appendChild(h("li", { "data-test": "service-param-row" }, [self.withPicker(element, row, input, false)]));
    });
    call.params.filter(function (c) { return !declared.some(function (p) { return p.name === c.id; }); }).forEach(function (c) {
      list.appendChild(h("li", { "class": "cbp-warn" }, [c.id + ": " + t("the function has no such parameter (removed when saved again)")]));
    });
    call.params = call.params.filter(function (c) { return declared.some(function (p) { return p.name === c.id; }); });
    slot.appendChild(h("p", { "class": "cbp-label" }, [t("Parameters, in the function's order (* required)")]));
    slot.appendChild(list);
    var problem = h("p", { "class": "cbp-problem", role: "alert" });
    slot.appendChild(NS.textInput(t("Result variable"), call.result, "service-result", function (value) {
      problem.textContent = value && !NAME.test(value) ? t("A variable name: a letter, then letters, digits or _.") : "";
      if (!problem.textContent) { call.result = value; save(); }
    }, { spellcheck: "false" }, spec && spec.results.length ? t("Holds the results") + ": " + spec.results.join(", ") : ""));
    slot.appendChild(problem);
  };

  NS.parts.sections = { Panel: Panel };
})();
