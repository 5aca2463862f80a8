"""Moving running sessions from one version of a script to another.

A methodologist fixes a script and publishes it; new sessions take the new version, and
those already running may be moved to it too. A plan (``dry_run``) says, per element where
sessions wait, how many can move and why the others cannot:

- the element they wait at (or one they passed, still in their task tree) is not in the new
  version and the request's ``map`` names none for it;
- a sub-process they are in is not in the new version;
- the form open at their step changed incompatibly (a field it now requires was not in the
  old form, or a field's type changed): the answer being typed would be refused.

Applied, each batch of sessions moves in one transaction: the workflow is restored with the
old version, every task is given its counterpart in the new one, the branches where the
session waits are predicted again from the new diagram (waiting timers keep their due
times), variables are renamed or given defaults as asked, and the result is restored with
the new version once more before it is written, so a session is never left unreadable. A
moved session keeps its step token and records a ``moved`` history row; the others stay on
their version and keep working.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.util.task import TaskState

from engine.errors import Detail, ScriptNotFound, ValidationFailed, VersionNotFound
from engine.outbox import event_row
from engine.persistence.database import Database, UnitOfWork
from engine.sessions.runtime import Engine

BATCH = 50
_LIVE = TaskState.READY | TaskState.WAITING
_PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE


@dataclass(frozen=True)
class MoveRequest:
    key: str
    from_number: int
    to_number: int
    element_map: dict[str, str] = field(default_factory=dict)
    rename: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = True


@dataclass
class ElementPlan:
    sessions: int = 0
    movable: int = 0
    blocked: Counter[str] = field(default_factory=Counter)


@dataclass
class MovePlan:
    request: MoveRequest
    elements: dict[str, ElementPlan] = field(default_factory=dict)
    moved: int = 0

    def as_dict(self) -> dict[str, Any]:
        r = self.request
        return {
            "script": r.key,
            "from": r.from_number,
            "to": r.to_number,
            "dry_run": r.dry_run,
            "sessions": sum(e.sessions for e in self.elements.values()),
            "movable": sum(e.movable for e in self.elements.values()),
            "moved": self.moved,
            "elements": [
                {
                    "element": element,
                    "sessions": plan.sessions,
                    "movable": plan.movable,
                    "blocked": [
                        {"reason": reason, "sessions": n}
                        for reason, n in plan.blocked.most_common()
                    ],
                }
                for element, plan in sorted(self.elements.items())
            ],
        }


def _versions(uow: UnitOfWork, request: MoveRequest) -> tuple[Any, Any]:
    script = uow.scripts.get(request.key)
    if script is None:
        raise ScriptNotFound(f"script {request.key!r} not found")
    rows = []
    for number, name in ((request.from_number, "from"), (request.to_number, "to")):
        row = uow.scripts.version(script["id"], number)
        if row is None:
            raise VersionNotFound(
                f"script {request.key!r} has no version {number}",
                [Detail(name, f"no version {number}")],
            )
        rows.append(row)
    if request.from_number == request.to_number:
        raise ValidationFailed(
            "sessions move between two different versions", [Detail("to", "same as from")]
        )
    return rows[0], rows[1]


def _check_map(request: MoveRequest, new: Any) -> None:
    names = {ts.bpmn_id for s in (new.spec, *new.subprocess_specs.values())
             for ts in s.task_specs.values() if ts.bpmn_id}  # fmt: skip
    bad = [Detail(f"map.{old}", f"{target!r} is not an element of the new version")
           for old, target in request.element_map.items() if target not in names]  # fmt: skip
    if bad:
        raise ValidationFailed(f"map: {bad[0].message}", bad)


def _counterpart(name: str, element_map: dict[str, str], target: Any) -> Any | None:
    """The new version's task spec for a task spec name (mapped by its element id)."""
    found = target.task_specs.get(name)
    if found is not None:
        return found
    for old, new in element_map.items():
        for suffix in ("", " [child]", ".BoundaryEventSplit", ".BoundaryEventJoin"):
            if name == old + suffix:
                return target.task_specs.get(new + suffix)
    return None


def _form_change(old: Any, new: Any) -> str | None:
    old_props = (old.schema or {}).get("properties") or {} if old else {}
    new_schema = (new.schema or {}) if new else {}
    for name in new_schema.get("required") or []:
        if name not in old_props:
            return f"the open form of {new.id} now requires {name!r}"
    for name, prop in (new_schema.get("properties") or {}).items():
        was = old_props.get(name)
        if isinstance(was, dict) and isinstance(prop, dict) and was.get("type") != prop.get("type"):
            return f"the open form of {new.id} changed the type of {name!r}"
    return None


def _where(engine: Engine, compiled: Any, workflow: Any) -> str:
    position = engine.runner.position(compiled, workflow)
    if position.step_spec is not None:
        return str(position.step_spec.id)
    return ", ".join(position.waiting_for) or "(nothing)"


def _align(workflow: Any, request: MoveRequest, old: Any, new: Any) -> tuple[dict, str | None]:
    """Each task's counterpart in the new version, or why the session cannot move."""
    aligned: dict[Any, Any] = {}
    for wf in (workflow, *workflow.subprocesses.values()):
        name = wf.spec.name
        target = new.spec if wf is workflow else new.subprocess_specs.get(name)
        if target is None:
            return aligned, f"it runs sub-process {name}, which version {request.to_number} lacks"
        for task in wf.tasks.values():
            spec = _counterpart(task.task_spec.name, request.element_map, target)
            if spec is None and task.has_state(_PREDICTED):
                continue  # not reached yet: predicted again from the new diagram
            if spec is None:
                element = task.task_spec.bpmn_id or task.task_spec.name
                verb = "waits at" if task.has_state(_LIVE) else "went through"
                return aligned, (
                    f"it {verb} {element}, which version {request.to_number} lacks (map it)"
                )
            aligned[task] = (wf, target, spec)
            if task.has_state(TaskState.READY) and getattr(task.task_spec, "manual", False):
                change = _form_change(old.steps.get(task.task_spec.name), new.steps.get(spec.name))
                if change:
                    return aligned, change
    return aligned, None


def _move(workflow: Any, aligned: dict, request: MoveRequest) -> None:
    for task, (wf, target, spec) in aligned.items():
        task.task_spec = spec
        wf.spec = target
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in [t for t in wf.tasks.values() if t.has_state(_LIVE)]:
            if task.id not in wf.tasks:
                continue  # dropped with a branch reset before it
            kept = dict(task.internal_data)  # a waiting timer keeps its due time
            task.reset_branch(dict(task.data))
            task.internal_data.update(kept)
        for task in wf.tasks.values():
            if task.has_state(_LIVE) or task is workflow.last_task:
                _variables(task, request)


def _variables(task: Any, request: MoveRequest) -> None:
    data = dict(task.data)
    for old, new in request.rename.items():
        if old in data:
            data[new] = data.pop(old)
    for name, value in request.defaults.items():
        data.setdefault(name, value)
    task.data = data


def _one(
    uow: UnitOfWork, engine: Engine, row: Any, request: MoveRequest, ctx: Any
) -> tuple[str, str | None]:
    old, new, new_row, plan_only, actor = ctx
    workflow = engine.runner.restore(old, row["state"])
    where = _where(engine, old, workflow)
    aligned, reason = _align(workflow, request, old, new)
    if reason is not None or plan_only:
        return where, reason
    try:
        _move(workflow, aligned, request)
        state = engine.runner.save(workflow)
        arrived = _where(engine, new, engine.runner.restore(new, state))  # readable by it
    except Exception as exc:  # a session the engine cannot move stays where it is
        return where, f"it could not be moved: {str(exc).splitlines()[0][:200]}"
    now = engine.clock()
    history = [{
        "instance_id": row["id"], "at": now, "event": "moved", "element": where, "name": "",
        "kind": "", "actor": actor, "channel": row["channel"], "answer": None,
        "text": f"version {request.from_number} -> {request.to_number}",
    }]  # fmt: skip
    data = {"script": request.key, "from": request.from_number, "to": request.to_number}
    values = {
        "state": state, "version_id": new_row["id"], "version_number": new_row["number"],
        "lock_version": row["lock_version"] + 1, "updated_at": now, "current_element": arrived,
    }  # fmt: skip
    uow.instances.write_step(
        row["id"], values, history, [event_row("session.moved", row["id"], data, now)]
    )
    uow.after_commit(lambda: engine.live.drop(row["id"]))
    return where, None


def move_sessions(
    database: Database, engine: Engine, request: MoveRequest, *, actor: str
) -> MovePlan:
    """Plan (``dry_run``) or move the open sessions of one version to another."""
    with database.unit_of_work() as uow:
        old_row, new_row = _versions(uow, request)
        old, new = engine.specs.get(uow, old_row["id"]), engine.specs.get(uow, new_row["id"])
    _check_map(request, new)
    plan = MovePlan(request)
    ctx = (old, new, new_row, request.dry_run, actor)
    with database.unit_of_work() as uow:
        ids = uow.instances.open_of_version(old_row["id"])
    for start in range(0, len(ids), BATCH):
        with database.unit_of_work() as uow:
            batch = ids[start : start + BATCH]
            rows = uow.instances.still_open_of_version(
                batch, old_row["id"], lock=not request.dry_run
            )
            for row in rows:
                where, reason = _one(uow, engine, row, request, ctx)
                element = plan.elements.setdefault(where, ElementPlan())
                element.sessions += 1
                if reason is None:
                    element.movable += 1
                    plan.moved += 0 if request.dry_run else 1
                else:
                    element.blocked[reason] += 1
    return plan
