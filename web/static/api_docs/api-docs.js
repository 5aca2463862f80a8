// The docs page: Swagger UI over this server's OpenAPI document; "Authorize" takes a token.
(function () {
  var root = document.getElementById("api-docs");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-document"),
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
    validatorUrl: null,
  });
})();
