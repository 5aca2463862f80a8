/*
 * The editor's pages call the JSON API with a bearer token; the sign-in cookie holds only its
 * hash. Signing in keeps the token for this tab (sessionStorage, gone when the tab closes);
 * signing out forgets it.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  var key = me ? me.getAttribute("data-token-key") : "cuebook.editor.token";
  var signin = document.getElementById("signin-form");
  if (signin) {
    signin.addEventListener("submit", function () {
      var field = signin.querySelector("input[name=token]");
      if (field && field.value.trim()) sessionStorage.setItem(key, field.value.trim());
    });
  }
  document.querySelectorAll("form[data-forget-token]").forEach(function (form) {
    form.addEventListener("submit", function () { sessionStorage.removeItem(key); });
  });
})();
