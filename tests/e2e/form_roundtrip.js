// The form builder's reading and writing of every sample form, without a browser: each
// form read into the builder's fields and written back (nothing edited). Prints one JSON
// line: per file and field, the schema and UI schema before and after where they differ.
// Args: bundle folders.
"use strict";
const fs = require("fs");
const path = require("path");

global.window = { CuebookProperties: { parts: {}, h: () => null, t: (x) => x } };
require(path.join(__dirname, "..", "..", "editor_api", "static", "editor", "properties", "form-builder.js"));
const forms = window.CuebookProperties.parts.forms;

function sorted(value) {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === "object") {
    return Object.keys(value).sort().reduce((out, k) => { out[k] = sorted(value[k]); return out; }, {});
  }
  return value;
}
const same = (a, b) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

const result = { files: 0, differences: [] };
for (const dir of process.argv.slice(2)) {
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith(".schema.json")).sort()) {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
    const uiFile = path.join(dir, name.replace(/\.schema\.json$/, ".uischema.json"));
    const ui = fs.existsSync(uiFile) ? JSON.parse(fs.readFileSync(uiFile, "utf8")) : {};
    const out = forms.writeForm(forms.readForm(schema, ui));
    result.files += 1;
    const where = path.basename(dir) + "/" + name;
    const keys = new Set([...Object.keys(schema), ...Object.keys(out.schema)]);
    keys.forEach((k) => {
      if (k === "properties") return;
      if (!same(schema[k], out.schema[k])) result.differences.push({ where, key: k, before: schema[k], after: out.schema[k] });
    });
    Object.keys(schema.properties || {}).forEach((field) => {
      const before = schema.properties[field];
      const after = out.schema.properties[field];
      if (!same(before, after)) result.differences.push({ where, field, before, after });
      if (!same(ui[field] || {}, out.ui[field] || {})) result.differences.push({ where, field, ui: true, before: ui[field], after: out.ui[field] });
    });
  }
}
process.stdout.write(JSON.stringify(result) + "\n");
