/*
 * The script's manifest (cuebook.json), shown when the process itself is selected: its
 * title, description, language and the default variables (which the preview and the
 * variable picker use too). Keys the section does not show are kept.
 */
(function () {
  "use strict";
  var NS = window.CuebookProperties;
  var h = NS.h;
  var t = NS.t;
  var FILE = "cuebook.json";

  function manifestSection(ctx) {
    var box = h("section", { "class": "cbp-section", "aria-label": t("Script") }, [h("h3", {}, [t("Script (cuebook.json)")])]);
    var problem = h("p", { "class": "cbp-problem", role: "alert", "data-test": "manifest-problem" });
    var manifest;
    try {
      manifest = JSON.parse(ctx.draft.files[FILE] || "{}");
      if (!manifest || typeof manifest !== "object" || Array.isArray(manifest)) throw new Error("not an object");
    } catch (e) {
      box.appendChild(h("p", { "class": "cbp-problem" }, [FILE + ": " + t("not a JSON object; fix the file first.")]));
      return box;
    }
    function store() {
      ctx.draft.files[FILE] = JSON.stringify(manifest, null, 2) + "\n";
      ctx.filesChanged();
    }
    function set(key) {
      return function (value) {
        if (value) manifest[key] = value; else delete manifest[key];
        store();
      };
    }
    box.appendChild(NS.textInput(t("Title"), manifest.title || "", "manifest-title", set("title")));
    box.appendChild(NS.textArea(t("Description"), manifest.description || "", "manifest-description", set("description"), { rows: "2" }));
    box.appendChild(NS.select(t("Language of texts and voice"), manifest.language || "", [["", t("English (the default)")], ["en", "English"], ["ru", "Русский"]], "manifest-language", set("language"),
      t("Also the language of the wording Cuebook adds: key prompts, buttons, did-not-understand.")));
    var defaults = manifest.defaults && typeof manifest.defaults === "object" ? JSON.stringify(manifest.defaults, null, 1) : "";
    box.appendChild(NS.textArea(t("Default variables (JSON)"), defaults, "manifest-defaults", function (value) {
      problem.textContent = "";
      if (!value.trim()) { delete manifest.defaults; store(); return; }
      var parsed;
      try { parsed = JSON.parse(value); } catch (e) { problem.textContent = t("Not JSON") + ": " + e.message; return; }
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) { problem.textContent = t("Write a JSON object: {\"name\": value}."); return; }
      manifest.defaults = parsed;
      store();
    }, { rows: "4", spellcheck: "false", "class": "cbp-code" }, t("Start variables used when the caller does not pass them; the preview uses them as samples.")));
    box.appendChild(problem);
    return box;
  }

  NS.parts.manifest = { manifestSection: manifestSection };
})();
