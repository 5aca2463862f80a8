"""A Camunda 7 model in, a Cuebook bundle and a report out.

Nothing from the imported files runs: XML is parsed with the project's safe parser
(no entities, no DTDs, no network), expressions are translated by a parser of our own,
and the resulting bundle is checked by the same validation as ``cuebook validate --offline``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from engine.bpmn.bundle import BUNDLE_SUFFIXES, Bundle
from engine.bpmn.compiler import validate_bundle
from engine.bpmn.safe_xml import parse_xml
from engine.errors import CuebookError
from importers.camunda.bpmn import convert_bpmn, is_camunda7
from importers.camunda.dmn import Decisions, convert_dmn
from importers.camunda.namespaces import BPMN_NS
from importers.camunda.output import Output
from importers.camunda.report import Report
from importers.camunda.source import NotAModel, SourceFile, read_source

REPORT_FILE = "import-report.txt"
MANIFEST = "cuebook.json"


@dataclass
class ImportResult:
    report: Report
    files: dict[str, bytes]
    process_id: str


def _parse(source: SourceFile, report: Report, single: bool) -> Any | None:
    try:
        return parse_xml(source.data, source.name)
    except CuebookError as exc:
        if single:
            raise NotAModel(f"{source.name}: {exc.message}") from exc
        report.marked(source.name, "", "", f"not read: {exc.message}", "fix or remove the file")
        return None


def _bpmn_name(source: SourceFile, taken: dict[str, bytes]) -> str:
    stem = source.name
    for suffix in (".bpmn20.xml", ".bpmn2", ".bpmn"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    name, number = f"{stem}.bpmn", 2
    while name in taken:
        name, number = f"{stem}_{number}.bpmn", number + 1
    return name


def _entry_process(roots: dict[str, Any], report: Report) -> tuple[str, str]:
    """The process a session starts in (id, name): executable and called by no other."""
    called = {
        node.get("calledElement", "")
        for root in roots.values()
        for node in root.iter(f"{{{BPMN_NS}}}callActivity")
    }
    candidates = [
        (proc.get("id", ""), proc.get("name") or proc.get("id", ""))
        for root in roots.values()
        for proc in root.iter(f"{{{BPMN_NS}}}process")
        if proc.get("isExecutable", "true") != "false" and proc.get("id") not in called
    ]
    if not candidates:
        candidates = [
            (proc.get("id", ""), proc.get("name") or proc.get("id", ""))
            for root in roots.values()
            for proc in root.iter(f"{{{BPMN_NS}}}process")
        ]
    if len(candidates) > 1:
        report.note(
            MANIFEST,
            "",
            "",
            f"several processes could start a session ({', '.join(c[0] for c in candidates)}); "
            f"{candidates[0][0]} was chosen as primary_process_id",
        )
    return candidates[0]


def _form_documents(sources: list[SourceFile], report: Report) -> dict[str, dict[str, Any]]:
    """Camunda Forms by their id and by their file name, for the steps that link them."""
    documents: dict[str, dict[str, Any]] = {}
    for source in sources:
        if source.kind != "form":
            continue
        try:
            document = json.loads(source.data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            report.marked(source.name, "", "", f"not a readable Camunda Form: {exc}", "fix it")
            continue
        if not isinstance(document, dict):
            report.marked(source.name, "", "", "not a Camunda Form", "fix or remove the file")
            continue
        documents[source.name] = document
        if isinstance(document.get("id"), str):
            documents[document["id"]] = document
    return documents


def _form_id(documents: dict[str, dict[str, Any]], name: str) -> str:
    ident = documents.get(name, {}).get("id")
    return ident if isinstance(ident, str) else name


def _convert_all(sources: list[SourceFile], report: Report) -> tuple[dict[str, bytes], str]:
    files: dict[str, bytes] = {}
    decisions = Decisions()
    single = len(sources) == 1
    documents = _form_documents(sources, report)
    for source in sources:
        if source.kind == "dmn":
            root = _parse(source, report, single)
            if root is not None:
                convert_dmn(root, source.name, report, decisions)
    files.update(decisions.files)
    parsed = [(s, _parse(s, report, single)) for s in sources if s.kind == "bpmn"]
    parsed = [(s, root) for s, root in parsed if root is not None]
    flags = [is_camunda7(root, s.name) for s, root in parsed]
    if not any(flags):
        raise NotAModel(
            f"{report.source}: no Camunda 7 model found (no camunda: namespace or Camunda "
            "Platform exporter)"
        )
    forms: dict[str, bytes] = {}
    used: set[str] = set()
    converted: dict[str, Any] = {}
    for source, root in parsed:
        out = Output(
            forms=forms, decisions=decisions.outputs, form_documents=documents, used_forms=used
        )
        name = _bpmn_name(source, files)
        clean = convert_bpmn(root, name, report, out)
        converted[name] = clean
        files[name] = etree.tostring(clean, xml_declaration=True, encoding="UTF-8")
    files.update(forms)
    for source in sources:
        if source.kind == "form" and not {source.name, _form_id(documents, source.name)} & used:
            report.note(source.name, "", "", "a Camunda Form no step links to; left out")
    process_id, title = _entry_process(converted, report)
    manifest = {
        "primary_process_id": process_id,
        "title": title,
        "description": f"Imported from the Camunda 7 model {report.source}.",
    }
    files[MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    return files, process_id


def import_camunda(path: Path) -> ImportResult:
    """Translate the model at ``path``; raises NotAModel when it is no Camunda 7 model."""
    sources = read_source(path)
    report = Report(path.name)
    files, process_id = _convert_all(sources, report)
    report.files = sorted(files)
    report.validation = [str(p) for p in validate_bundle(Bundle(files))]
    return ImportResult(report, files, process_id)


def write_bundle(result: ImportResult, out_dir: Path, *, force: bool = False) -> None:
    """Write the bundle and the report into ``out_dir`` (created when missing).

    A folder that already holds bundle files is refused unless ``force``; then those files
    are replaced.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    existing = [p for p in out_dir.iterdir() if p.is_file() and p.name.endswith(BUNDLE_SUFFIXES)]
    if existing and not force:
        raise FileExistsError(f"{out_dir} already holds a bundle (use --force to replace it)")
    for old in existing:
        old.unlink()
    for name, data in result.files.items():
        (out_dir / name).write_bytes(data)
    (out_dir / REPORT_FILE).write_text(result.report.render(str(out_dir)), encoding="utf-8")
