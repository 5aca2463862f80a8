// Cuebook analytics heatmap: draws the version's diagram with the bpmn-js NavigatedViewer
// (vendored, global BpmnJS) and puts on each element the sessions that reached it and its
// drop-off, coloured by the drop-off. The same figures are in the tables on the page, so
// nothing is lost without JavaScript.
(function () {
  "use strict";
  var box = document.getElementById("analytics-diagram");
  var dataNode = document.getElementById("analytics-data");
  if (!box || !dataNode) return;

  function fail() {
    box.setAttribute("data-state", "failed");
    var note = document.createElement("p");
    note.className = "diagram-note";
    note.textContent = box.getAttribute("data-failed");
    box.textContent = "";
    box.appendChild(note);
  }

  // 0: no drop-off, 1: under 10%, 2: 10-30%, 3: over 30% (the legend's keys).
  function heat(rate) {
    if (!rate) return 0;
    if (rate < 0.1) return 1;
    if (rate <= 0.3) return 2;
    return 3;
  }

  function badge(step) {
    var el = document.createElement("span");
    el.className = "cb-heat heat-" + heat(step.drop_rate);
    var count = document.createElement("b");
    count.textContent = String(step.sessions);
    el.appendChild(count);
    if (step.dropped) {
      var drop = document.createElement("span");
      drop.textContent = " \u2193" + step.drop;
      el.appendChild(drop);
    }
    el.title = step.element + (step.p50_seconds !== null ? " \u00b7 p50 " + step.p50 : "");
    return el;
  }

  function mark(viewer, steps) {
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    var shown = 0;
    steps.forEach(function (step) {
      var shape = registry.get(step.element);
      // Not drawn: a step inside a called process; a flow; a gateway (no one waits there).
      if (!shape || shape.waypoints || /Gateway$/.test(shape.type)) return;
      shown++;
      canvas.addMarker(step.element, "cb-heat-" + heat(step.drop_rate));
      overlays.add(step.element, "cb-heat", {
        position: { top: -14, right: 14 },
        html: badge(step)
      });
    });
    return shown;
  }

  function place(viewer) {
    var canvas = viewer.get("canvas");
    var inner = canvas.viewbox().inner;
    var fit = inner.width > 0 ? (box.clientWidth - 48) / inner.width : 1;
    var scale = Math.max(0.5, Math.min(1, fit));
    box.style.height = Math.round(Math.max(240, Math.min(640, inner.height * scale + 96))) + "px";
    canvas.resized();
    canvas.zoom("fit-viewport", "auto");
    canvas.zoom(canvas.zoom() * 0.94, "auto");  // room for the labels and badges at the edges
  }

  function draw() {
    if (!window.BpmnJS) { fail(); return; }
    var steps = JSON.parse(dataNode.textContent);
    var viewer = new window.BpmnJS({ container: box });
    fetch(box.getAttribute("data-diagram-url"), { credentials: "same-origin" })
      .then(function (resp) {
        if (!resp.ok) throw new Error("diagram: HTTP " + resp.status);
        return resp.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        place(viewer);
        box.setAttribute("data-marked", String(mark(viewer, steps)));
        box.setAttribute("data-state", "ready");
      })
      .catch(fail);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
