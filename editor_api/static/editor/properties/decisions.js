/*
 * A business rule task's decision: spiffworkflow:calledDecisionId names a <decision> of a
 * .dmn file in the draft. "Edit decision table" opens that file in dmn-js (vendored under
 * /editor/vendor/dmn-js/) in a dialog; without dmn-js the dialog edits the XML as text.
 * Saving writes draft.files[<file>.dmn] and marks the draft changed.
 */
(function () {
  "use strict";
  var NS = window.CuebookProperties;
  var h = NS.h;
  var t = NS.t;

  function decisionsIn(files) {
    var found = [];
    Object.keys(files).sort().forEach(function (name) {
      if (!/\.dmn$/i.test(name)) return;
      var doc = new DOMParser().parseFromString(files[name], "application/xml");
      if (doc.getElementsByTagName("parsererror").length) return;
      Array.prototype.forEach.call(doc.getElementsByTagNameNS("*", "decision"), function (d) {
        found.push({ id: d.getAttribute("id"), name: d.getAttribute("name") || "", file: name });
      });
    });
    return found;
  }

  function escapeXml(text) {
    return String(text).replace(/[<>&"']/g, function (c) {
      return { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" }[c];
    });
  }

  function newTable(id, title) {
    var i = escapeXml(id);
    return '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="' + i + '_definitions" name="' + escapeXml(title || id) + '" namespace="http://cuebook.org/dmn">\n' +
      '  <decision id="' + i + '" name="' + escapeXml(title || id) + '">\n' +
      '    <decisionTable id="' + i + '_table" hitPolicy="FIRST">\n' +
      '      <input id="' + i + '_in1" label="Input">\n' +
      '        <inputExpression id="' + i + '_in1_expr" typeRef="string"><text></text></inputExpression>\n' +
      '      </input>\n' +
      '      <output id="' + i + '_out1" label="Result" name="result" typeRef="string" />\n' +
      '    </decisionTable>\n' +
      '  </decision>\n' +
      '</definitions>\n';
  }

  /* The dialog editing one DMN file; resolves when closed. */
  function openEditor(ctx, file, decisionId) {
    var overlay = h("div", { "class": "cbp-dialog-back" });
    var body = h("div", { "class": "cbp-dialog-body" });
    var problem = h("p", { "class": "cbp-problem", role: "alert" });
    var dialog = h("div", { "class": "cbp-dialog", role: "dialog", "aria-modal": "true", "aria-label": t("Decision table") + " " + file, "data-test": "decision-editor" }, [
      h("h3", {}, [t("Decision table") + ": " + file]), body, problem
    ]);
    overlay.appendChild(dialog);
    document.body.appendChild(overlay);
    var editor = null;
    var area = null;
    function close() { if (editor && editor.destroy) editor.destroy(); overlay.remove(); }
    function save() {
      var xml = area ? Promise.resolve({ xml: area.value }) : editor.saveXML({ format: true });
      return xml.then(function (result) {
        var doc = new DOMParser().parseFromString(result.xml, "application/xml");
        if (doc.getElementsByTagName("parsererror").length) throw new Error(t("The XML is not well-formed."));
        ctx.draft.files[file] = result.xml;
        ctx.onFilesChanged();
        close();
      }).catch(function (e) { problem.textContent = String(e.message || e); });
    }
    dialog.appendChild(h("div", { "class": "cbp-actions" }, [
      NS.button(t("Save table"), "decision-save", save, { "class": "primary" }),
      NS.button(t("Cancel"), "decision-cancel", close)
    ]));
    overlay.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
    NS.dmnReady(ctx.dmnScript).then(function () {
      var canvas = h("div", { "class": "cbp-dmn", "data-test": "decision-canvas" });
      body.appendChild(canvas);
      editor = new window.DmnJS({ container: canvas });
      return editor.importXML(ctx.draft.files[file]).then(function () {
        var views = editor.getViews();
        var table = views.filter(function (v) { return v.type === "decisionTable" && v.element.id === decisionId; })[0] ||
          views.filter(function (v) { return v.type === "decisionTable"; })[0];
        if (table) return editor.open(table);
        return null;
      });
    }).catch(function () {
      if (editor && editor.destroy) editor.destroy();
      editor = null;
      body.textContent = "";
      body.appendChild(h("p", { "class": "cbp-note" }, [t("The table editor is not available here: edit the DMN XML.")]));
      area = h("textarea", { rows: "18", spellcheck: "false", "data-test": "decision-xml", "aria-label": file });
      area.value = ctx.draft.files[file];
      body.appendChild(area);
      area.focus();
    });
  }

  /* The business rule task's section. */
  function decisionSection(ctx, element, writer, bpmn) {
    var found = bpmn.findExtension(element, "calledDecisionId");
    var current = found ? String(found.$body || "").trim() : "";
    var decisions = decisionsIn(ctx.draft.files);
    var box = h("section", { "class": "cbp-section", "aria-label": t("Decision") }, [h("h3", {}, [t("Decision (DMN)")])]);
    var options = [["", t("— choose —")]].concat(decisions.map(function (d) {
      return [d.id, (d.name ? d.name + " — " : "") + d.id + " (" + d.file + ")"];
    }));
    if (current && !decisions.some(function (d) { return d.id === current; })) options.push([current, current + " — " + t("not in any .dmn file of the draft")]);
    box.appendChild(NS.select(t("Decision table"), current, options, "decision-id", function (value) {
      writer.setText(element, "calledDecisionId", value);
    }));
    var chosen = decisions.filter(function (d) { return d.id === current; })[0];
    if (chosen) {
      box.appendChild(NS.button(t("Edit decision table"), "decision-edit", function () { openEditor(ctx, chosen.file, chosen.id); }));
    }
    var newId = NS.bare("input", "", "decision-new-id", function () {}, { "aria-label": t("New decision id"), placeholder: t("new decision id"), spellcheck: "false" });
    box.appendChild(h("div", { "class": "cbp-inline" }, [newId, NS.button(t("New table"), "decision-new", function () {
      var id = newId.value.trim();
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(id) || decisions.some(function (d) { return d.id === id; }) || ctx.draft.files[id + ".dmn"]) {
        newId.setAttribute("aria-invalid", "true");
        return;
      }
      ctx.draft.files[id + ".dmn"] = newTable(id, element.businessObject.name);
      ctx.onFilesChanged();
      writer.setText(element, "calledDecisionId", id);
      openEditor(ctx, id + ".dmn", id);
    })]));
    box.appendChild(h("p", { "class": "cbp-note" }, [t("Cells are Python: a bare value means ==, ? stands for the input, - means any value; each output's name becomes a variable.")]));
    return box;
  }

  NS.parts.decisions = { decisionSection: decisionSection, decisionsIn: decisionsIn, openEditor: openEditor };
})();
