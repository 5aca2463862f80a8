"""One SpiffArena process model as a Cuebook bundle (files + a synthesized cuebook.json).

SpiffArena resolves a call activity's ``calledElement`` and a rule task's
``calledDecisionId`` across the whole repository; the bundle of a model carries the files of
every model it calls (transitively) and of every model whose DMN holds a decision it names,
so it runs as it did there whatever order the models are deployed in. A process no model of
the repository defines is left to the deploy (a published Cuebook script may serve it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from engine.bpmn.bundle import Bundle, bundle_from_files
from engine.errors import CuebookError
from engine.versions import check_key
from importers.spiffarena.repository import ProcessModel

MANIFEST = "cuebook.json"


@dataclass(frozen=True)
class Skip:
    """Why a model is not imported; ``problems`` are the validation's own lines."""

    reason: str
    problems: tuple[str, ...] = ()


def script_key(model: ProcessModel) -> str:
    """``group/sub/model`` -> ``group-sub-model``."""
    return model.path.replace("/", "-")


def key_problem(key: str) -> str | None:
    try:
        check_key(key)
    except CuebookError as exc:
        return exc.message
    return None


class Catalogue:
    """Which model defines each process id and decision id of the repository."""

    def __init__(self, models: Iterable[ProcessModel]) -> None:
        self.process_owner: dict[str, ProcessModel] = {}
        self.decision_owner: dict[str, ProcessModel] = {}
        for model in models:
            for pid in sorted(model.processes):
                self.process_owner.setdefault(pid, model)
            for did in sorted(model.decisions):
                self.decision_owner.setdefault(did, model)

    def needed(self, model: ProcessModel) -> tuple[list[ProcessModel], list[str]]:
        """The other models ``model`` needs (callees, decision owners; transitively), and
        the decisions no model of the repository defines. A called process no model defines
        is left to the deploy, which serves it by a published script of that process id."""
        needed: list[ProcessModel] = []
        missing: list[str] = []
        queue = [model]
        seen = {model.path}
        while queue:
            current = queue.pop(0)
            wants = [(pid, self.process_owner, "process") for pid in sorted(current.calls)]
            wants += [(did, self.decision_owner, "decision") for did in sorted(current.decides)]
            for ident, owners, kind in wants:
                if ident in current.processes or ident in current.decisions:
                    continue
                owner = owners.get(ident)
                if owner is None:
                    if kind == "decision":  # a process may be a published script's: deploy
                        missing.append(
                            f"{current.path} names the decision {ident!r}, which no model defines"
                        )
                elif owner.path not in seen:
                    seen.add(owner.path)
                    needed.append(owner)
                    queue.append(owner)
        return needed, missing


def _merge(model: ProcessModel, others: list[ProcessModel]) -> dict[str, bytes] | Skip:
    files = dict(model.files)
    for other in others:
        for name, data in other.files.items():
            if name in files and files[name] != data:
                return Skip(
                    f"the file {name} of {other.path}, which it needs, differs from a file of "
                    "the same name it already has: rename one of them in SpiffArena"
                )
            files.setdefault(name, data)
    return files


def manifest_of(model: ProcessModel) -> dict[str, object]:
    manifest: dict[str, object] = {
        "primary_process_id": model.info.get("primary_process_id") or "",
        "title": model.title,
        "description": model.description,
        "imported_from": {"tool": "spiffarena", "model": model.path, "groups": list(model.groups)},
    }
    if not manifest["primary_process_id"]:
        del manifest["primary_process_id"]  # the compiler then finds the one entry process
    return manifest


def bundle_of(model: ProcessModel, catalogue: Catalogue) -> Bundle | Skip:
    """The bundle of ``model``, or why there is none. Nothing in the files is run."""
    if model.problems:
        return Skip("the model cannot be read", tuple(model.problems))
    if not any(n.lower().endswith(".bpmn") for n in model.files):
        return Skip("the model has no .bpmn file")
    primary = model.info.get("primary_process_id")
    if primary and primary not in model.processes:
        return Skip(f"primary_process_id {primary!r} is not a process of the model's files")
    needed, missing = catalogue.needed(model)
    if missing:
        return Skip("it calls what the repository does not hold", tuple(missing))
    files = _merge(model, needed)
    if isinstance(files, Skip):
        return files
    files[MANIFEST] = json.dumps(manifest_of(model), ensure_ascii=False, indent=2).encode()
    try:
        return bundle_from_files(files)
    except CuebookError as exc:
        return Skip(exc.message, tuple(f"{d.path}: {d.message}" for d in exc.details))
