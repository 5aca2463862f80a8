// Cuebook player page: focus the new step, and send each form once.
(function () {
  "use strict";
  function focusStep() {
    if (window.self !== window.top && !document.hasFocus()) return;
    var target = document.querySelector("[autofocus]");
    if (target && document.activeElement !== target) target.focus();
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[data-sent]").forEach(function (f) { f.removeAttribute("data-sent"); });
    }
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusStep);
  else focusStep();
})();
