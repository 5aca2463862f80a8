/*
 * The form builder: a user task's form as a list of fields, written to the draft as the
 * JSON Schema + UI schema files the task's formJsonSchemaFilename / formUiSchemaFilename
 * name (docs/bundles.md, "Forms"). Keys the builder does not manage (if/then, anyOf of task
 * data, a field's own extra keywords) are kept as they were.
 */
(function () {
  "use strict";
  var NS = window.CuebookProperties;
  var h = NS.h;
  var t = NS.t;

  var TYPES = ["text", "textarea", "integer", "number", "boolean", "date", "choice", "choices"];
  var NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
  var FIELD_KEYS = ["type", "title", "description", "default", "readOnly", "pattern", "minLength",
    "maxLength", "minimum", "maximum", "oneOf", "enum", "enumNames", "items", "uniqueItems"];
  var UI_KEYS = ["ui:widget", "ui:help", "ui:placeholder", "ui:enumNames"];
  var SIMPLE = ["string", "integer", "number", "boolean"];

  function without(obj, keys) {
    var out = {};
    Object.keys(obj || {}).forEach(function (k) { if (keys.indexOf(k) < 0) out[k] = obj[k]; });
    return out;
  }

  function optionsOf(prop, ui) {
    if (Array.isArray(prop.oneOf)) {
      return prop.oneOf.filter(function (o) { return o && "const" in o; }).map(function (o) {
        return { value: String(o.const), label: o.title || String(o.const), synonyms: (o["x-synonyms"] || []).join(", ") };
      });
    }
    if (Array.isArray(prop.enum)) {
      var names = (ui && ui["ui:enumNames"]) || prop.enumNames || [];
      return prop.enum.map(function (v, i) { return { value: String(v), label: names[i] || String(v), synonyms: "" }; });
    }
    return null;
  }

  function kindOf(prop, ui) {
    var widget = ui["ui:widget"];
    var listed = prop.type === "array" && prop.items && optionsOf(prop.items, {});
    if (prop.type !== undefined && SIMPLE.indexOf(prop.type) < 0 && !listed) return "kept";
    if (prop.type === "array" && prop.items && optionsOf(prop.items, {})) return "choices";
    if (optionsOf(prop, ui)) return "choice";
    if (prop.type === "boolean") return "boolean";
    if (prop.type === "integer" || prop.type === "number") return prop.type;
    if (prop.format === "date" || widget === "date" || widget === "alt-date") return "date";
    if (widget === "textarea") return "textarea";
    return "text";
  }

  function shownDefault(value) {
    if (value === undefined || value === null) return "";
    if (Array.isArray(value)) return value.join(", ");
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  function fieldFrom(name, prop, ui, required) {
    prop = prop || {};
    ui = ui || {};
    var kind = kindOf(prop, ui);
    var valued = kind === "choices" ? prop.items : prop;
    var widget = ui["ui:widget"] || "";
    return {
      name: name,
      kind: kind,
      label: prop.title || "",
      required: required,
      help: ui["ui:help"] || prop.description || "",
      placeholder: ui["ui:placeholder"] || "",
      defaultText: shownDefault(prop.default),
      readOnly: Boolean(prop.readOnly || ui["ui:readonly"]),
      hidden: widget === "hidden",
      widget: ["radio", "select", "date", "alt-date"].indexOf(widget) >= 0 ? widget : "",
      original: { prop: prop, ui: ui },
      pattern: prop.pattern || "",
      min: String(prop.minimum != null ? prop.minimum : prop.minLength != null ? prop.minLength : ""),
      max: String(prop.maximum != null ? prop.maximum : prop.maxLength != null ? prop.maxLength : ""),
      valueType: (valued && (valued.type === "integer" || valued.type === "number")) ? valued.type : "string",
      options: optionsOf(valued || {}, ui) || [],
      extra: without(prop, FIELD_KEYS),
      uiExtra: without(ui, UI_KEYS)
    };
  }

  function readForm(schema, ui) {
    schema = schema || {};
    ui = ui || {};
    var props = schema.properties || {};
    var required = schema.required || [];
    var order = Array.isArray(ui["ui:order"]) ? ui["ui:order"] : [];
    var names = order.filter(function (n) { return n in props; });
    Object.keys(props).forEach(function (n) { if (names.indexOf(n) < 0) names.push(n); });
    return {
      title: schema.title || "",
      fields: names.map(function (n) { return fieldFrom(n, props[n], ui[n], required.indexOf(n) >= 0); }),
      extra: without(schema, ["type", "title", "properties", "required"]),
      uiExtra: without(ui, ["ui:order"].concat(Object.keys(props)))
    };
  }

  function typed(text, type) {
    if (type === "integer" || type === "number") {
      var n = Number(text);
      return text.trim() === "" || isNaN(n) ? text : n;
    }
    return text;
  }

  function defaultOf(field) {
    var text = field.defaultText.trim();
    if (!text) return undefined;
    if (field.kind === "boolean") return text === "true" ? true : text === "false" ? false : undefined;
    if (field.kind === "integer" || field.kind === "number") return typed(text, field.kind);
    if (field.kind === "choice") return typed(text, field.valueType);
    if (field.kind === "choices") return text.split(",").map(function (v) { return typed(v.trim(), field.valueType); }).filter(function (v) { return v !== ""; });
    return field.defaultText;
  }

  function choicesOf(field) {
    return field.options.filter(function (o) { return o.value.trim() !== ""; }).map(function (o) {
      var entry = { "const": typed(o.value.trim(), field.valueType), title: o.label || o.value };
      var words = o.synonyms.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
      if (words.length) entry["x-synonyms"] = words;
      return entry;
    });
  }

  function number(text) {
    var n = Number(text);
    return String(text).trim() === "" || isNaN(n) ? undefined : n;
  }

  function propertyOf(field) {
    if (field.kind === "kept") return field.original.prop;
    var prop = Object.assign({}, field.extra);
    if (field.kind !== "date" && prop.format === "date") delete prop.format;
    var limits = field.kind === "integer" || field.kind === "number" ? ["minimum", "maximum"] : ["minLength", "maxLength"];
    if (field.kind === "choices") {
      prop.type = "array";
      prop.items = { type: field.valueType, oneOf: choicesOf(field) };
      prop.uniqueItems = true;
    } else if (field.kind === "choice") {
      prop.type = field.valueType;
      prop.oneOf = choicesOf(field);
    } else if (field.kind === "boolean") {
      prop.type = "boolean";
    } else if (field.kind === "integer" || field.kind === "number") {
      prop.type = field.kind;
    } else {
      prop.type = "string";
      if (field.kind === "date") prop.format = "date";
      if (field.pattern) prop.pattern = field.pattern;
    }
    if (field.label) prop.title = field.label;
    if (field.kind !== "choice" && field.kind !== "choices" && field.kind !== "boolean" && field.kind !== "date") {
      if (number(field.min) !== undefined) prop[limits[0]] = number(field.min);
      if (number(field.max) !== undefined) prop[limits[1]] = number(field.max);
    }
    var value = defaultOf(field);
    if (value !== undefined) prop.default = value;
    if (field.readOnly) prop.readOnly = true;
    return prop;
  }

  function uiOf(field) {
    if (field.kind === "kept") return field.original.ui;
    var ui = Object.assign({}, field.uiExtra);
    if (!field.readOnly) delete ui["ui:readonly"];
    var dated = field.widget === "date" || field.widget === "alt-date";
    if (field.hidden) ui["ui:widget"] = "hidden";
    else if (field.kind === "textarea") ui["ui:widget"] = "textarea";
    else if (field.kind === "choices") ui["ui:widget"] = "checkboxes";
    else if (field.kind === "choice" && field.widget && !dated) ui["ui:widget"] = field.widget;
    else if (field.kind === "date" && dated) ui["ui:widget"] = field.widget;
    if (field.help) ui["ui:help"] = field.help;
    if (field.placeholder) ui["ui:placeholder"] = field.placeholder;
    return ui;
  }

  function writeForm(form) {
    var schema = Object.assign({ type: "object" }, form.title ? { title: form.title } : {});
    var required = form.fields.filter(function (f) { return f.required; }).map(function (f) { return f.name; });
    if (required.length) schema.required = required;
    schema.properties = {};
    var ui = Object.assign({}, form.uiExtra, { "ui:order": form.fields.map(function (f) { return f.name; }) });
    form.fields.forEach(function (f) {
      schema.properties[f.name] = propertyOf(f);
      var fieldUi = uiOf(f);
      if (Object.keys(fieldUi).length) ui[f.name] = fieldUi;
    });
    Object.assign(schema, form.extra);
    return { schema: schema, ui: ui };
  }

  function problemOf(form, index) {
    var field = form.fields[index];
    if (!NAME.test(field.name)) return t("A variable name: a letter, then letters, digits or _.");
    var twice = form.fields.some(function (f, i) { return i !== index && f.name === field.name; });
    if (twice) return t("Another field has this name.");
    if ((field.kind === "choice" || field.kind === "choices") && !choicesOf(field).length) return t("Add at least one option.");
    if (field.pattern) {
      try { new RegExp(field.pattern); } catch (e) { return t("The pattern is not a regular expression."); }
    }
    return "";
  }

  /* The builder for one user task. `step` gives: element, files (names), store(form), and
   * changed() after each write. */
  function FormBuilder(step) {
    this.step = step;
    this.form = step.form;
    this.editing = -1;
    this.root = h("div", { "class": "cbp-form", "data-test": "form-builder" });
    this.render();
  }

  FormBuilder.prototype.save = function () {
    var problems = this.form.fields.map(function (f, i) { return problemOf(this.form, i); }, this);
    var bad = problems.filter(Boolean);
    if (bad.length) return bad[0];
    this.step.store(this.form);
    return "";
  };

  FormBuilder.prototype.render = function () {
    var self = this;
    var root = this.root;
    root.textContent = "";
    var form = this.form;
    root.appendChild(NS.textInput(t("Form title"), form.title, "form-title", function (v) { form.title = v; self.save(); }));
    var list = h("ol", { "class": "cbp-fields", "aria-label": t("Fields") });
    form.fields.forEach(function (field, index) { list.appendChild(self.row(field, index)); });
    root.appendChild(list);
    if (!form.fields.length) root.appendChild(h("p", { "class": "cbp-note" }, [t("No fields yet: the step only says its text.")]));
    if (this.editing >= 0 && form.fields[this.editing]) root.appendChild(this.editor(form.fields[this.editing], this.editing));
    root.appendChild(NS.button(t("Add field"), "form-add-field", function () { self.add(); }));
  };

  FormBuilder.prototype.row = function (field, index) {
    var self = this;
    var flags = [t(field.kind)];
    if (field.required) flags.push(t("required"));
    if (field.readOnly) flags.push(t("read-only"));
    if (field.hidden) flags.push(t("hidden"));
    var count = this.form.fields.length;
    return h("li", { "class": "cbp-field" + (index === this.editing ? " is-open" : ""), "data-test": "form-field", "data-field": field.name }, [
      h("span", { "class": "cbp-field-label" }, [field.label || field.name]),
      h("code", {}, [field.name]),
      h("span", { "class": "cbp-flags" }, [flags.join(" · ")]),
      h("span", { "class": "cbp-row-actions" }, [
        NS.button("↑", "field-up", function () { self.move(index, -1); }, { title: t("Move up"), disabled: index === 0 }),
        NS.button("↓", "field-down", function () { self.move(index, 1); }, { title: t("Move down"), disabled: index === count - 1 }),
        NS.button(index === this.editing ? t("Close") : t("Edit"), "field-edit", function () { self.toggle(index); }),
        NS.button("×", "field-remove", function () { self.remove(index); }, { title: t("Remove field") })
      ])
    ]);
  };

  FormBuilder.prototype.toggle = function (index) {
    this.editing = this.editing === index ? -1 : index;
    this.render();
  };

  FormBuilder.prototype.add = function () {
    var n = this.form.fields.length + 1;
    var names = this.form.fields.map(function (f) { return f.name; });
    while (names.indexOf("field_" + n) >= 0) n += 1;
    this.form.fields.push(fieldFrom("field_" + n, { type: "string", title: t("Field") + " " + n }, {}, false));
    this.editing = this.form.fields.length - 1;
    this.save();
    this.render();
    var name = this.root.querySelector("[data-test=field-name]");
    if (name) name.focus();
  };

  FormBuilder.prototype.move = function (index, by) {
    var fields = this.form.fields;
    var to = index + by;
    if (to < 0 || to >= fields.length) return;
    fields.splice(to, 0, fields.splice(index, 1)[0]);
    if (this.editing === index) this.editing = to;
    this.save();
    this.render();
  };

  FormBuilder.prototype.remove = function (index) {
    this.form.fields.splice(index, 1);
    this.editing = -1;
    this.save();
    this.render();
  };

  FormBuilder.prototype.editor = function (field, index) {
    var self = this;
    if (field.kind === "kept") {
      return h("fieldset", { "class": "cbp-editor", "data-test": "field-editor" }, [
        h("legend", {}, [t("Field") + " " + (index + 1)]),
        h("p", { "class": "cbp-note" }, [t("The builder keeps this field as it is (an object or list): edit it in the form's JSON file.")]),
        h("pre", { "class": "cbp-ssml" }, [JSON.stringify(field.original.prop, null, 1)]),
        NS.button(t("Done"), "field-done", function () { self.toggle(index); })
      ]);
    }
    var status = h("p", { "class": "cbp-problem", role: "alert", "data-test": "field-problem" });
    function changed(key, redraw) {
      return function (value) {
        field[key] = value;
        var problem = problemOf(self.form, index);
        status.textContent = problem;
        if (!problem) {
          status.textContent = self.save();
          var row = self.root.querySelectorAll("[data-test=form-field]")[index];
          if (row && !redraw) row.replaceWith(self.row(field, index));
        }
        if (redraw) {
          self.problem = problem;
          self.render();
        }
      };
    }
    var kinds = TYPES.map(function (k) { return [k, t(k)]; });
    var box = h("fieldset", { "class": "cbp-editor", "data-test": "field-editor" }, [
      h("legend", {}, [t("Field") + " " + (index + 1)]),
      NS.textInput(t("Variable name"), field.name, "field-name", changed("name"), { spellcheck: "false", autocomplete: "off" }),
      NS.textInput(t("Label"), field.label, "field-label", changed("label")),
      NS.select(t("Type"), field.kind, kinds, "field-type", changed("kind", true)),
      NS.checkbox(t("Required"), field.required, "field-required", changed("required")),
      NS.checkbox(t("Read-only (shown, not asked)"), field.readOnly, "field-readonly", changed("readOnly")),
      NS.checkbox(t("Hidden"), field.hidden, "field-hidden", changed("hidden")),
      NS.textInput(t("Help text"), field.help, "field-help", changed("help")),
      NS.textInput(t("Default value"), field.defaultText, "field-default", changed("defaultText"))
    ]);
    if (field.kind === "text" || field.kind === "textarea") {
      box.appendChild(NS.textInput(t("Placeholder"), field.placeholder, "field-placeholder", changed("placeholder")));
      box.appendChild(NS.textInput(t("Pattern (regular expression)"), field.pattern, "field-pattern", changed("pattern"), { spellcheck: "false" }));
    }
    if (["text", "textarea", "integer", "number"].indexOf(field.kind) >= 0) {
      var words = field.kind === "integer" || field.kind === "number" ? [t("Minimum"), t("Maximum")] : [t("Shortest (characters)"), t("Longest (characters)")];
      box.appendChild(h("div", { "class": "cbp-pair" }, [
        NS.textInput(words[0], field.min, "field-min", changed("min"), { inputmode: "numeric" }),
        NS.textInput(words[1], field.max, "field-max", changed("max"), { inputmode: "numeric" })
      ]));
    }
    if (field.kind === "choice") {
      box.appendChild(NS.select(t("Shown on the web as"), field.widget, [["", t("radios up to five options, else a list")], ["radio", t("radios")], ["select", t("a drop-down list")]], "field-widget", changed("widget")));
    }
    if (field.kind === "choice" || field.kind === "choices") box.appendChild(this.optionsEditor(field, changed("options")));
    status.textContent = this.problem || "";
    this.problem = "";
    box.appendChild(status);
    box.appendChild(NS.button(t("Done"), "field-done", function () { self.toggle(index); }));
    return box;
  };

  FormBuilder.prototype.optionsEditor = function (field, changed) {
    var rows = h("ol", { "class": "cbp-options" });
    function redraw() {
      rows.textContent = "";
      field.options.forEach(function (option, i) {
        function set(key) { return function (v) { option[key] = v; changed(field.options); }; }
        rows.appendChild(h("li", { "data-test": "option-row" }, [
          h("span", { "class": "cbp-digit", title: t("IVR digit") }, [String(i + 1)]),
          NS.bare("input", option.value, "option-value", set("value"), { "aria-label": t("Value"), placeholder: t("value") }),
          NS.bare("input", option.label, "option-label", set("label"), { "aria-label": t("Label"), placeholder: t("label") }),
          NS.bare("input", option.synonyms, "option-synonyms", set("synonyms"), { "aria-label": t("Synonyms, comma-separated"), placeholder: t("synonyms, comma-separated") }),
          NS.button("×", "option-remove", function () { field.options.splice(i, 1); changed(field.options); redraw(); }, { title: t("Remove option") })
        ]));
      });
    }
    redraw();
    var add = NS.button(t("Add option"), "option-add", function () {
      field.options.push({ value: "", label: "", synonyms: "" });
      redraw();
      var inputs = rows.querySelectorAll("[data-test=option-value]");
      if (inputs.length) inputs[inputs.length - 1].focus();
    });
    return h("div", { "class": "cbp-options-box" }, [
      h("p", { "class": "cbp-label" }, [t("Options (in the order read and pressed: IVR digit 1 is the first)")]),
      rows, add
    ]);
  };

  NS.parts.forms = { FormBuilder: FormBuilder, readForm: readForm, writeForm: writeForm, TYPES: TYPES };
})();
