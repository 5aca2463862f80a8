"""Drafts: a methodologist's mutable working copy of a script, edited in the editor.

A draft holds the files of a bundle as text (the .bpmn, forms, DMN, cuebook.json) and a
revision bumped on every save. A save names the revision it started from; when someone
saved in between, it is refused (``DraftConflict``) with what changed since that revision,
never written over. Publishing deploys the files as a new immutable version of the script
and publishes it; a test run deploys them as a version of the hidden script
``<key>~draft``, so test sessions run on the real engine but stay out of the script's
lists and analytics (those count sessions by script key). Real keys never contain ``~``
(``versions.check_key``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from engine.bpmn.bundle import BUNDLE_SUFFIXES, MAX_BUNDLE_BYTES, MAX_FILES, Bundle, bundle_from_zip
from engine.bpmn.compiler import compile_bundle, problems_of
from engine.bpmn.diff import diff_bundles
from engine.bpmn.layout import with_layout
from engine.errors import (
    CuebookError,
    Detail,
    DraftConflict,
    DraftNotFound,
    ScriptNotFound,
    SessionNotFound,
    ValidationFailed,
    VersionNotFound,
)
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.drafts import DraftRepository
from engine.sessions.loading import load_session
from engine.sessions.runtime import Engine
from engine.versions import (
    HIDDEN_MARK,
    MANIFEST,
    SpecCache,
    callees_in,
    check_key,
    deploy,
    store_bundle,
)

TEST_SUFFIX = "~draft"
MAX_KEY = 100 - len(TEST_SUFFIX)


def trial_key(key: str) -> str:
    """The hidden script a draft of ``key`` is tried out on."""
    return f"{key}{TEST_SUFFIX}"


def is_hidden(key: str) -> bool:
    """Scripts lists leave these out: test copies of drafts."""
    return HIDDEN_MARK in key


def _check_key(key: str) -> str:
    check_key(key)
    if len(key) > MAX_KEY:
        raise ValidationFailed(
            f"script key {key!r} is too long for the editor (at most {MAX_KEY} characters)",
            [Detail("script", f"at most {MAX_KEY} characters")],
        )
    return key


# -- files ------------------------------------------------------------------------------


def blank_files(key: str, title: str) -> dict[str, str]:
    """A new script: a process with one start event, and its manifest."""
    process = "process_" + key.replace("-", "_")
    bpmn = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" \
xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" \
id="{process}_definitions" targetNamespace="http://cuebook.org/bpmn" exporter="Cuebook">
  <bpmn:process id="{process}" isExecutable="true">
    <bpmn:startEvent id="start" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="{process}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
    manifest = {"primary_process_id": process, "title": title or key}
    return {
        f"{key}.bpmn": bpmn,
        MANIFEST: json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
    }


def checked_files(files: Any) -> dict[str, str]:
    """The files of a save: flat names of bundle files, text, within the bundle limits."""
    if not isinstance(files, dict) or not files:
        raise ValidationFailed(
            "files must be an object of file name -> text", [Detail("files", "")]
        )
    problems: list[Detail] = []
    total = 0
    for name, text in files.items():
        path = f"files.{name}"
        if not isinstance(text, str):
            problems.append(Detail(path, "must be text"))
            continue
        total += len(text.encode("utf-8"))
        if (
            not name
            or "/" in name
            or "\\" in name
            or name.startswith(".")
            or not name.lower().endswith(BUNDLE_SUFFIXES)
        ):
            problems.append(Detail(path, "a flat file name ending .bpmn, .dmn or .json"))
    if not any(str(n).lower().endswith(".bpmn") for n in files):
        problems.append(Detail("files", "no .bpmn file"))
    if len(files) > MAX_FILES:
        problems.append(Detail("files", f"at most {MAX_FILES} files"))
    if total > MAX_BUNDLE_BYTES:
        problems.append(Detail("files", f"at most {MAX_BUNDLE_BYTES} bytes in all"))
    if problems:
        raise ValidationFailed(f"the draft's files are not a bundle: {problems[0].path}", problems)
    return dict(files)


def bundle_of(files: dict[str, str]) -> Bundle:
    return Bundle({name: text.encode("utf-8") for name, text in files.items()})


def _text_files(bundle: Bundle) -> dict[str, str]:
    return {name: data.decode("utf-8", errors="replace") for name, data in bundle.files.items()}


def _editable(bundle: Bundle) -> dict[str, str]:
    """A version's files as a draft holds them: a .bpmn without a layout gets one
    (engine/bpmn/layout.py), so the modeler can draw it."""
    files = dict(bundle.files)
    for name in bundle.names(".bpmn"):
        files[name] = with_layout(files[name], name)
    return _text_files(Bundle(files))


def changes_between(before: dict[str, str], after: dict[str, str]) -> dict[str, Any]:
    """What changed between two sets of files: the bundle diff (elements, flows, forms,
    decisions, calls) plus the files added, removed and changed."""
    files = {
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "changed": sorted(n for n in before.keys() & after.keys() if before[n] != after[n]),
    }
    try:
        diff = diff_bundles(bundle_of(before), bundle_of(after))
    except CuebookError:  # a file that does not parse: the file list still says what moved
        diff = {}
    return {"files": files, **diff}


# -- reading ----------------------------------------------------------------------------


def _view(row: dict[str, Any], *, with_files: bool = True) -> dict[str, Any]:
    found = {
        "id": row["id"],
        "script": row["script_key"],
        "revision": row["revision"],
        "based_on_version": row["based_on_version"],
        "created_by": row["created_by"],
        "created_at": row["created_at"].isoformat(),
        "updated_by": row["updated_by"],
        "updated_at": row["updated_at"].isoformat(),
        "test_script": trial_key(row["script_key"]),
    }
    if with_files:
        found["files"] = row["files"]
    return found


def _row(uow: UnitOfWork, draft_id: int, *, for_update: bool = False) -> dict[str, Any]:
    row = DraftRepository(uow.conn).get(draft_id, for_update=for_update)
    if row is None:
        raise DraftNotFound(f"draft {draft_id} not found", [Detail("draft", "not found")])
    return row


def get_draft(uow: UnitOfWork, draft_id: int) -> dict[str, Any]:
    return _view(_row(uow, draft_id))


def draft_summaries(uow: UnitOfWork, script: str | None = None) -> list[dict[str, Any]]:
    """Every draft (or a script's), without files, the latest change first."""
    return [_view(r, with_files=False) for r in DraftRepository(uow.conn).summaries(script)]


# -- changing ---------------------------------------------------------------------------


def create_draft(
    database: Database,
    *,
    script: str,
    title: str = "",
    from_version: int | None,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """A draft of a new script (a blank diagram), or of a version of an existing one (the
    one asked for, else the published one, else the newest)."""
    _check_key(script)
    with database.unit_of_work() as uow:
        existing = uow.scripts.get(script)
        if existing is None:
            if from_version is not None:
                raise ScriptNotFound(f"script {script!r} not found", [Detail("script", "")])
            files, based_on = blank_files(script, title), None
        else:
            number = from_version or existing["published_version"]
            if number is None:
                newest = uow.scripts.versions(existing["id"])
                number = max((int(v["number"]) for v in newest), default=None)
            row = uow.scripts.version(existing["id"], number) if number else None
            if row is None:
                raise VersionNotFound(
                    f"script {script!r} has no version {number}", [Detail("version", "")]
                )
            files, based_on = _editable(bundle_from_zip(row["bundle"])), int(row["number"])
        repo = DraftRepository(uow.conn)
        draft_id = repo.add(script, files, based_on, actor, now)
        return _view(_row(uow, draft_id))


def _conflict(uow: UnitOfWork, row: dict[str, Any], revision: int, files: dict[str, str]) -> Any:
    """The refusal of a save from ``revision``: who saved since, and what changed."""
    since = DraftRepository(uow.conn).revision_files(row["id"], revision)
    if since is not None:
        changes, compared = changes_between(since, row["files"]), f"revision {revision}"
    else:  # a revision this draft never had (or long gone): compare with the save's files
        changes, compared = changes_between(files, row["files"]), "your files"
    return DraftConflict(
        f"draft {row['id']} was saved by {row['updated_by']} at {row['updated_at'].isoformat()} "
        f"(revision {row['revision']}) after revision {revision}: load it again and re-apply "
        "your changes",
        [Detail("revision", f"the current revision is {row['revision']}")],
        extra={
            "conflict": {
                "current_revision": row["revision"],
                "your_revision": revision,
                "updated_by": row["updated_by"],
                "updated_at": row["updated_at"].isoformat(),
                "compared_with": compared,
                "changes": changes,
            }
        },
    )


def save_draft(
    database: Database,
    draft_id: int,
    *,
    revision: int,
    files: Any,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Store new files from ``revision`` (the one the editor loaded); the same files again
    change nothing. A stale revision is a DraftConflict naming what changed since."""
    clean = checked_files(files)
    with database.unit_of_work() as uow:
        row = _row(uow, draft_id, for_update=True)
        if row["revision"] != revision:
            raise _conflict(uow, row, revision, clean)
        if clean != row["files"]:
            DraftRepository(uow.conn).save(draft_id, revision + 1, clean, actor, now)
            row = _row(uow, draft_id)
        return _view(row)


def delete_draft(database: Database, draft_id: int) -> dict[str, Any]:
    """Throw a draft away; says whose it was and whether that script exists (has versions)."""
    with database.unit_of_work() as uow:
        row = _row(uow, draft_id, for_update=True)
        DraftRepository(uow.conn).delete(draft_id)
        key = row["script_key"]
        return {"script": key, "script_exists": uow.scripts.get(key) is not None}


def validate_files(uow: UnitOfWork, specs: SpecCache, files: Any) -> dict[str, Any]:
    """What ``cuebook validate`` says of the files: one problem per file and element."""
    clean = checked_files(files)
    try:
        compile_bundle(bundle_of(clean), specs.functions, callees_in(uow, specs))
    except ValidationFailed as exc:
        problems = [
            {"file": p.file, "element": p.element, "message": p.message} for p in problems_of(exc)
        ]
        return {"valid": False, "problems": problems}
    except CuebookError as exc:  # a file that cannot be read at all (malformed XML)
        found = [{"file": d.path, "element": "", "message": d.message} for d in exc.details] or [
            {"file": "", "element": "", "message": exc.message}
        ]
        return {"valid": False, "problems": found}
    return {"valid": True, "problems": []}


def validate_draft(
    database: Database, specs: SpecCache, draft_id: int, files: Any | None = None
) -> dict[str, Any]:
    """Problems of the draft's saved files, or of ``files`` the editor holds unsaved."""
    with database.unit_of_work() as uow:
        row = _row(uow, draft_id)
        return validate_files(uow, specs, row["files"] if files is None else files)


def _current(row: dict[str, Any], revision: int | None) -> None:
    if revision is not None and revision != row["revision"]:
        raise DraftConflict(
            f"draft {row['id']} is at revision {row['revision']}, not {revision}: save or load "
            "it again first",
            [Detail("revision", f"the current revision is {row['revision']}")],
        )


def deploy_for_trial(
    database: Database,
    specs: SpecCache,
    draft_id: int,
    *,
    revision: int | None,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Deploy the saved draft as the published version of its hidden test script."""
    with database.unit_of_work() as uow:
        row = _row(uow, draft_id)
        _current(row, revision)
        key = trial_key(row["script_key"])
        result = store_bundle(
            uow, specs, key, bundle_of(row["files"]), publish=True, actor=actor, now=now
        )
    return {"draft": draft_id, "revision": row["revision"], **result.as_dict()}


def publish_draft(
    database: Database,
    specs: SpecCache,
    draft_id: int,
    *,
    revision: int,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Deploy the saved draft as a new version of its script and publish it; the draft then
    continues from that version."""
    with database.unit_of_work() as uow:
        row = _row(uow, draft_id, for_update=True)
        _current(row, revision)
        result = deploy(
            uow,
            specs,
            row["script_key"],
            bundle_of(row["files"]),
            publish=True,
            actor=actor,
            now=now,
        )
        DraftRepository(uow.conn).mark_based_on(draft_id, result.number)
    return {"draft": draft_id, "revision": row["revision"], **result.as_dict()}


PATH_EVENTS = frozenset({"left", "entered", "ended"})
READY, COMPLETED = 16, 64  # SpiffWorkflow's TaskState values, as saved


def variables_of(state: str) -> dict[str, Any]:
    """A session's variables, read from its saved state as data: the task it waits at (else
    the last one completed), its data rebuilt down the task tree from the nearest snapshot
    by each task's saved delta (updates, deletions)."""
    saved = json.loads(state) if state else {}
    workflows = [saved, *dict(saved.get("subprocesses") or {}).values()]
    for wf in workflows:
        tasks = dict(wf.get("tasks") or {})
        here = [t for t in tasks.values() if t.get("state") == READY]
        if not here:
            done = [t for t in tasks.values() if t.get("state") == COMPLETED]
            here = sorted(done, key=lambda t: float(t.get("last_state_change") or 0))[-1:]
        if here:
            return _rebuilt(tasks, here[0], dict(saved.get("data") or {}))
    return dict(saved.get("data") or {})


def _rebuilt(tasks: dict[str, Any], task: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    chain: list[dict[str, Any]] = []
    node: dict[str, Any] | None = task
    while node is not None and len(chain) <= len(tasks):
        chain.append(node)
        if node.get("data"):
            break  # a snapshot: the tasks above it add nothing
        node = tasks.get(str(node.get("parent")))
    for step in reversed(chain):
        data.update(step.get("data") or {})
        delta = step.get("delta") or {}
        data.update(delta.get("updates") or {})
        for name in delta.get("deletions") or ():
            data.pop(name, None)
    return data


def _path(history: Any) -> list[dict[str, Any]]:
    """Elements in the order the session went through them: each one left (gateways, script
    and service tasks included) and the one it waits at or ended on."""
    path: list[dict[str, Any]] = []
    for h in history:
        if h["event"] not in PATH_EVENTS or not h["element"]:
            continue
        if path and path[-1]["element"] == h["element"]:
            continue  # entered, then left: one visit
        path.append(
            {
                "element": h["element"],
                "name": h["name"],
                "kind": h["kind"],
                "event": h["event"],
                "at": h["at"].isoformat(),
            }
        )
    return path


def trial_trace(
    database: Database, engine: Engine, draft_id: int, session_id: str
) -> dict[str, Any]:
    """Where a test session of the draft went (elements entered, in order) and its
    variables now: what the editor draws on the diagram after each step."""
    with database.unit_of_work() as uow:
        row = _row(uow, draft_id)
        session = load_session(uow, session_id, for_update=False)
        if session.script_key != trial_key(row["script_key"]):
            raise SessionNotFound(
                f"session {session_id} is not a test session of draft {draft_id}",
                [Detail("session", "not a test session of this draft")],
            )
        path = _path(uow.history.for_instance(session_id))
        variables = variables_of(session.state or "")
    return {
        "draft": draft_id,
        "session_id": session_id,
        "status": str(session.status),
        "version": session.version_number,
        "path": path,
        "variables": json.loads(json.dumps(variables, default=str)),
    }


__all__ = [
    "blank_files",
    "changes_between",
    "create_draft",
    "delete_draft",
    "deploy_for_trial",
    "draft_summaries",
    "get_draft",
    "is_hidden",
    "publish_draft",
    "save_draft",
    "trial_key",
    "trial_trace",
    "validate_draft",
    "validate_files",
]
