"""A SpiffArena process-model repository read as data: its groups, models and their files.

The repository is a tree of folders. A folder with ``process_group.json`` is a group
(``display_name``, ``description``); a folder with ``process_model.json`` is a process model
(``display_name``, ``description``, ``primary_file_name``, ``primary_process_id``) whose files
(``.bpmn``, ``.dmn``, form schemas ``*-schema.json`` and ``*-uischema.json``) sit beside it.
Nothing here runs anything from the files: the XML is parsed with entities and network off
only to learn which processes and decisions each model defines and calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.bpmn.bundle import BUNDLE_SUFFIXES, MAX_BUNDLE_BYTES
from engine.bpmn.namespaces import BPMN_NS, SPIFF_NS
from engine.bpmn.safe_xml import parse_xml
from engine.errors import CuebookError

MODEL_FILE = "process_model.json"
GROUP_FILE = "process_group.json"
SKIPPED_DIRS = frozenset({".git", "node_modules", "__pycache__"})


@dataclass
class ProcessModel:
    """One process model: where it is, what it says of itself, and what its files hold."""

    path: str  # relative, with "/" (SpiffArena's process model identifier)
    folder: Path
    info: dict[str, Any]
    groups: tuple[str, ...]  # display names of the groups it sits in, outermost first
    files: dict[str, bytes] = field(default_factory=dict)
    processes: set[str] = field(default_factory=set)  # process ids its BPMN defines
    decisions: set[str] = field(default_factory=set)  # decision ids its DMN defines
    calls: set[str] = field(default_factory=set)  # process ids its call activities name
    decides: set[str] = field(default_factory=set)  # decision ids its rule tasks name
    problems: list[str] = field(default_factory=list)  # why it cannot be read

    @property
    def title(self) -> str:
        return str(self.info.get("display_name") or self.path.rsplit("/", 1)[-1])

    @property
    def description(self) -> str:
        return str(self.info.get("description") or "")


def _read_json(path: Path) -> tuple[dict[str, Any], str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, f"{path.name}: not valid JSON ({exc})"
    if not isinstance(data, dict):
        return {}, f"{path.name}: must hold a JSON object"
    return data, ""


def _group_name(folder: Path) -> str | None:
    if not (folder / GROUP_FILE).is_file():
        return None
    data, _ = _read_json(folder / GROUP_FILE)
    return str(data.get("display_name") or folder.name)


def _model_files(model: ProcessModel) -> None:
    total = 0
    for item in sorted(model.folder.iterdir()):
        name = item.name
        if not item.is_file() or name.startswith(".") or name == MODEL_FILE:
            continue
        if not name.lower().endswith(BUNDLE_SUFFIXES):
            continue
        data = item.read_bytes()
        total += len(data)
        if total > MAX_BUNDLE_BYTES:
            model.problems.append(f"the model's files are over {MAX_BUNDLE_BYTES} bytes")
            return
        model.files[name] = data


def _scan_xml(model: ProcessModel) -> None:
    """The processes and decisions the model defines and the ones it calls."""
    for name, data in model.files.items():
        lowered = name.lower()
        if not lowered.endswith((".bpmn", ".dmn")):
            continue
        try:
            root = parse_xml(data, name)
        except CuebookError as exc:
            model.problems.append(exc.message)
            continue
        if lowered.endswith(".dmn"):
            model.decisions.update(
                str(d.get("id")) for d in root.iter("{*}decision") if d.get("id")
            )
            continue
        model.processes.update(
            str(p.get("id")) for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id")
        )
        model.calls.update(
            str(c.get("calledElement"))
            for c in root.iter(f"{{{BPMN_NS}}}callActivity")
            if c.get("calledElement")
        )
        model.decides.update(
            (d.text or "").strip()
            for d in root.iter(f"{{{SPIFF_NS}}}calledDecisionId")
            if (d.text or "").strip()
        )


def _read_model(root: Path, folder: Path, groups: tuple[str, ...]) -> ProcessModel:
    info, problem = _read_json(folder / MODEL_FILE)
    path = folder.relative_to(root).as_posix()
    model = ProcessModel(path=path, folder=folder, info=info, groups=groups)
    if problem:
        model.problems.append(problem)
        return model
    _model_files(model)
    _scan_xml(model)
    return model


def _walk(root: Path, folder: Path, groups: tuple[str, ...], found: list[ProcessModel]) -> None:
    if (folder / MODEL_FILE).is_file():
        found.append(_read_model(root, folder, groups))
        return  # a model's folder holds its files, not more models
    name = _group_name(folder) if folder != root else None
    inner = (*groups, name) if name else groups
    for child in sorted(folder.iterdir()):
        if child.is_dir() and child.name not in SKIPPED_DIRS and not child.name.startswith("."):
            _walk(root, child, inner, found)


def read_repository(root: Path) -> list[ProcessModel]:
    """Every process model under ``root``, in path order."""
    found: list[ProcessModel] = []
    _walk(root, root, (), found)
    return found
