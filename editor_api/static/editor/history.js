/*
 * The history page's diagram: the newer version of the two compared, with the elements and
 * integration calls added (green) and changed (orange) marked. The same changes are listed
 * beside it, so the page says everything without JavaScript too.
 */
(function () {
  "use strict";
  var node = document.getElementById("diff-diagram");
  var data = document.getElementById("diff-data");
  if (!node || !data || !window.BpmnJS) return;
  var diff = JSON.parse(data.textContent);
  var viewer = new window.BpmnJS({ container: node });
  fetch(node.getAttribute("data-diagram-url"), { credentials: "same-origin" }).then(function (resp) {
    if (!resp.ok) throw new Error(resp.statusText);
    return resp.text();
  }).then(function (xml) {
    return viewer.importXML(xml);
  }).then(function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport", "auto");
    ["elements", "calls", "flows"].forEach(function (section) {
      var part = diff[section] || {};
      (part.added || []).forEach(function (item) {
        if (item.id && registry.get(item.id)) canvas.addMarker(item.id, "cb-added");
      });
      (part.changed || []).forEach(function (item) {
        if (item.id && registry.get(item.id)) canvas.addMarker(item.id, "cb-changed");
      });
    });
    node.setAttribute("data-state", "ready");
  }).catch(function () {
    node.setAttribute("data-state", "failed");
  });
})();
