/*
 * Reading and writing Cuebook's settings on BPMN elements through the modeler's own
 * services (moddle + modeling), so every change is one command on the undo stack.
 *
 * SpiffWorkflow's extensions (spiffworkflow:properties, instructionsForEndUser,
 * serviceTaskOperator, calledDecisionId) are kept by bpmn-moddle as generic elements when no
 * descriptor is registered: attributes on the object, child elements in $children, text in
 * $body. New ones are made with moddle.createAny so they serialise the same way.
 */
(function () {
  "use strict";
  var NS = window.CuebookProperties;
  var SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core";

  function bo(element) { return element.businessObject; }

  function localName(node) {
    var d = node && node.$descriptor;
    if (d && d.ns && d.ns.localName) return d.ns.localName;
    var type = (node && node.$type) || "";
    return type.slice(type.indexOf(":") + 1);
  }

  function isSpiff(node, name) {
    if (!node) return false;
    var d = node.$descriptor;
    var uri = d && d.ns ? d.ns.uri : null;
    var prefixed = (node.$type || "").indexOf("spiffworkflow:") === 0;
    return (uri === SPIFF || prefixed) && localName(node).toLowerCase() === name.toLowerCase();
  }

  function children(node) { return (node && node.$children) || []; }

  function extensions(element) {
    var ext = bo(element).extensionElements;
    return ext ? (ext.get ? ext.get("values") : ext.values) || [] : [];
  }

  function findExtension(element, name) {
    return extensions(element).filter(function (v) { return isSpiff(v, name); })[0] || null;
  }

  function Writer(modeler) {
    this.moddle = modeler.get("moddle");
    this.modeling = modeler.get("modeling");
  }

  Writer.prototype.any = function (name, props) {
    return this.moddle.createAny("spiffworkflow:" + name, SPIFF, props || {});
  };

  /* Replace (or add, or with null remove) the extension element called `name`. */
  Writer.prototype.setExtension = function (element, name, replacement) {
    var ext = bo(element).extensionElements;
    var values = extensions(element);
    var old = findExtension(element, name);
    var next = values.filter(function (v) { return v !== old; });
    if (replacement) {
      var at = old ? values.indexOf(old) : next.length;
      next.splice(at, 0, replacement);
    }
    if (!ext) {
      if (!replacement) return;
      ext = this.moddle.create("bpmn:ExtensionElements", { values: next });
      replacement.$parent = ext;
      this.modeling.updateProperties(element, { extensionElements: ext });
      return;
    }
    if (replacement) replacement.$parent = ext;
    if (!next.length) {
      this.modeling.updateProperties(element, { extensionElements: undefined });
      return;
    }
    this.modeling.updateModdleProperties(element, ext, { values: next });
  };

  /* spiffworkflow:properties as a plain {name: value} object, in document order. */
  function properties(element) {
    var found = {};
    children(findExtension(element, "properties")).forEach(function (p) {
      if (isSpiff(p, "property") && p.name) found[p.name] = p.value == null ? "" : String(p.value);
    });
    return found;
  }

  Writer.prototype.setProperty = function (element, name, value) {
    var self = this;
    var current = properties(element);
    if (value === "" || value == null) delete current[name];
    else current[name] = String(value);
    var names = Object.keys(current);
    if (!names.length) { this.setExtension(element, "properties", null); return; }
    var list = this.any("properties");
    list.$children = names.map(function (key) {
      var prop = self.any("property", { name: key, value: current[key] });
      prop.$parent = list;
      return prop;
    });
    this.setExtension(element, "properties", list);
  };

  function text(element, name) {
    var node = findExtension(element, name);
    return node ? String(node.$body || "") : "";
  }

  Writer.prototype.setText = function (element, name, value) {
    this.setExtension(element, name, value ? this.any(name, { $body: value }) : null);
  };

  function documentation(element) {
    var docs = bo(element).documentation || [];
    return docs.length ? String(docs[0].text || "") : "";
  }

  Writer.prototype.setDocumentation = function (element, value) {
    var docs = value ? [this.moddle.create("bpmn:Documentation", { text: value })] : [];
    this.modeling.updateProperties(element, { documentation: docs });
  };

  /* The service task's call: {fn, result, params: [{id, type, value}]} or null. */
  function serviceCall(element) {
    var op = findExtension(element, "serviceTaskOperator");
    if (!op) return null;
    var params = [];
    children(op).forEach(function (list) {
      if (!isSpiff(list, "parameters")) return;
      children(list).forEach(function (p) {
        if (isSpiff(p, "parameter")) params.push({ id: p.id || "", type: p.type || "", value: p.value == null ? "" : String(p.value) });
      });
    });
    return { fn: op.id || "", result: op.resultVariable || "", params: params };
  }

  Writer.prototype.setServiceCall = function (element, call) {
    if (!call || !call.fn) { this.setExtension(element, "serviceTaskOperator", null); return; }
    var self = this;
    var attrs = { id: call.fn };
    if (call.result) attrs.resultVariable = call.result;
    var op = this.any("serviceTaskOperator", attrs);
    var list = this.any("parameters");
    list.$parent = op;
    list.$children = call.params.filter(function (p) { return p.value !== ""; }).map(function (p) {
      var node = self.any("parameter", { id: p.id, type: p.type || "any", value: p.value });
      node.$parent = list;
      return node;
    });
    op.$children = [list];
    this.setExtension(element, "serviceTaskOperator", op);
  };

  Writer.prototype.setCondition = function (flow, source) {
    var expr = source.trim() ? this.moddle.create("bpmn:FormalExpression", { body: source }) : undefined;
    this.modeling.updateProperties(flow, { conditionExpression: expr });
  };

  function condition(flow) {
    var expr = bo(flow).conditionExpression;
    return expr ? String(expr.body || "") : "";
  }

  /* The lane a flow node is drawn in (its name), or "". */
  function laneOf(element) {
    var node = bo(element);
    var process = node.$parent;
    while (process && process.$type !== "bpmn:Process") process = process.$parent;
    var found = "";
    (process && process.laneSets || []).forEach(function walk(set) {
      (set.lanes || []).forEach(function (lane) {
        if ((lane.flowNodeRef || []).indexOf(node) >= 0) found = lane.name || lane.id;
        if (lane.childLaneSet) walk(lane.childLaneSet);
      });
    });
    return found;
  }

  NS.parts.bpmn = {
    SPIFF: SPIFF,
    Writer: Writer,
    bo: bo,
    isSpiff: isSpiff,
    findExtension: findExtension,
    properties: properties,
    text: text,
    documentation: documentation,
    serviceCall: serviceCall,
    condition: condition,
    laneOf: laneOf
  };
})();
