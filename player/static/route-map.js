// Cuebook route map: draws the ticket's routing diagram with the bpmn-js NavigatedViewer
// (vendored, global BpmnJS), marks the elements the ticket passed, the one it is in now and
// the flows it took, and puts the time spent on each element next to it. The route is also
// listed in tables on the page, so nothing is lost without JavaScript.
(function () {
  "use strict";
  var box = document.getElementById("route-diagram");
  var dataNode = document.getElementById("route-data");
  if (!box || !dataNode) return;

  function fail() {
    box.setAttribute("data-state", "failed");
    var note = document.createElement("p");
    note.className = "diagram-note";
    note.textContent = box.getAttribute("data-failed");
    box.textContent = "";
    box.appendChild(note);
  }

  function badge(step) {
    var el = document.createElement("span");
    el.className = "cb-time" + (step.current ? " cb-time-current" : "");
    el.textContent = step.visits > 1 ? step.label + " \u00d7" + step.visits : step.label;
    return el;
  }

  function takenFlows(registry, path) {
    var flows = [];
    for (var i = 1; i < path.length; i++) {
      var from = path[i - 1], to = path[i];
      registry.filter(function (e) {
        return e.waypoints && e.source && e.target && e.source.id === from && e.target.id === to;
      }).forEach(function (e) { if (flows.indexOf(e.id) < 0) flows.push(e.id); });
    }
    return flows;
  }

  function mark(viewer, data) {
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    var shown = 0;
    data.elements.forEach(function (step) {
      if (!registry.get(step.element)) return;  // e.g. a step inside a called process
      shown++;
      canvas.addMarker(step.element, "cb-passed");
      if (step.current) canvas.addMarker(step.element, "cb-current");
      if (step.timed || step.current) {  // a gateway or script passed in no time gets no badge
        overlays.add(step.element, "cb-time", { position: { top: -24, left: 0 }, html: badge(step) });
      }
    });
    takenFlows(registry, data.path).forEach(function (id) { canvas.addMarker(id, "cb-taken"); });
    return shown;
  }

  var READABLE = 0.75;  // below this scale task names are too small to read

  function clamp(value, low, high) { return Math.max(low, Math.min(high, value)); }

  // Size the box to the diagram: the whole diagram when it is readable so, else a readable
  // part centred on where the ticket is now (pan, zoom or show the whole with the tools).
  function place(viewer, data) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var inner = canvas.viewbox().inner;
    var fit = inner.width > 0 ? (box.clientWidth - 48) / inner.width : 1;
    var scale = clamp(fit, READABLE, 1);
    var tall = inner.height * scale + 72;
    box.style.height = Math.round(clamp(tall, 240, 600)) + "px";
    canvas.resized();
    canvas.zoom("fit-viewport", "auto");
    if (fit >= READABLE) return;
    var here = data.elements.filter(function (s) { return s.current && registry.get(s.element); })
      .concat(data.elements.filter(function (s) { return registry.get(s.element); }).slice(-1))[0];
    var el = here ? registry.get(here.element) : null;
    var outer = canvas.viewbox().outer;
    var w = outer.width / scale, h = outer.height / scale;
    var cx = el ? el.x + el.width / 2 : inner.x + w / 2;
    var cy = el && tall > 600 ? el.y + el.height / 2 : inner.y + inner.height / 2;
    canvas.viewbox({ x: cx - w / 2, y: cy - h / 2, width: w, height: h });
  }

  function tools(viewer) {
    var bar = document.querySelector(".map-tools");
    if (!bar) return;
    var canvas = viewer.get("canvas");
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-zoom]");
      if (!button) return;
      var how = button.getAttribute("data-zoom");
      if (how === "fit") canvas.zoom("fit-viewport", "auto");
      else canvas.zoom(clamp(canvas.zoom() * (how === "in" ? 1.25 : 0.8), 0.2, 4));
    });
    bar.hidden = false;
  }

  function draw() {
    if (!window.BpmnJS) { fail(); return; }
    var data = JSON.parse(dataNode.textContent);
    var viewer = new window.BpmnJS({ container: box });
    fetch(box.getAttribute("data-diagram-url"), { credentials: "same-origin" })
      .then(function (resp) {
        if (!resp.ok) throw new Error("diagram: HTTP " + resp.status);
        return resp.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        place(viewer, data);
        box.setAttribute("data-marked", String(mark(viewer, data)));
        tools(viewer);
        box.setAttribute("data-state", "ready");
      })
      .catch(fail);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
