"""How many models drawn for SpiffArena and Camunda Modeler validate and run to the end.

    python bench/compat.py [--code DIR] [--verbose]

The corpus is every model under tests/fixtures: Cuebook/SpiffWorkflow bundles
(tests/fixtures/bundles), a SpiffArena process-model repository (tests/fixtures/spiffarena,
one model per folder with process_model.json) and Camunda 7 models (tests/fixtures/camunda:
.bpmn files, folders, zips). Each model is validated as Cuebook's deploy would, and then
driven in-process from start to end: each person's step gets an answer made from its form
(a default, the first option, the smallest valid number, a date, ...), each message or
signal waited for is delivered, each timer is made due. A model "runs to the end" when its
workflow completes. Service tasks need integration functions and are not called here: a
model that reaches one is counted as stopping there.

``--code DIR`` runs the same corpus against another checkout of Cuebook (e.g. a git
worktree of an older commit) to compare before and after. Where that checkout has no
importers, SpiffArena models are read as bundles as they are (process_model.json as the
manifest) and Camunda models as plain BPMN.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
INPUTS = FIXTURES / "compat_inputs.json"  # by model: start "variables", message "payloads"
MAX_MOVES = 80


@dataclass
class Outcome:
    corpus: str
    model: str
    validates: bool
    ran_to_end: bool
    note: str


# -- answers made from a form ---------------------------------------------------------------


def sample(schema: Any) -> Any:
    """A value that fits ``schema`` in the common cases forms use."""
    if not isinstance(schema, dict):
        return None
    for key in ("default", "const"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        options = [o for o in schema.get(key) or [] if isinstance(o, dict)]
        if options:
            return sample(options[0])
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {k: sample(v) for k, v in props.items() if not (v or {}).get("readOnly")}
    if kind == "array":
        return [sample(schema.get("items") or {}) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return int(low) + 1 if kind == "integer" else float(low) + 1
    fmt = schema.get("format")
    if fmt == "date":
        return "2026-12-03"
    if fmt == "date-time":
        return "2026-12-03T10:00:00+00:00"
    if fmt == "email":
        return "customer@example.com"
    return "1" * max(7, int(schema.get("minLength", 1)))


def answer_for(spec: Any) -> dict[str, Any]:
    if spec is None:
        return {}
    if getattr(spec, "field", None) and spec.options:
        return {spec.field: spec.options[0].value}
    if spec.schema is None:
        return {}
    value = sample(spec.schema)
    return value if isinstance(value, dict) else {}


# -- driving a workflow ---------------------------------------------------------------------


def _definitions(task: Any) -> list[Any]:
    definition = getattr(task.task_spec, "event_definition", None)
    return list(getattr(definition, "event_definitions", None) or [definition])


def _deliver(workflow: Any, payloads: dict[str, Any]) -> str | None:
    """Deliver one event a waiting task waits for (its payload from the model's inputs);
    None when nothing could be delivered."""
    from SpiffWorkflow.bpmn.util.event import BpmnEvent
    from SpiffWorkflow.util.task import TaskState

    past = (datetime.now(UTC) - timedelta(days=400)).isoformat()
    for task in workflow.get_tasks(state=TaskState.WAITING):
        for definition in _definitions(task):
            kind = type(definition).__name__
            if kind in ("MessageEventDefinition", "SignalEventDefinition"):
                payload = payloads.get(definition.name, {})
                workflow.send_event(BpmnEvent(definition, payload=payload))
                return kind
            if "Timer" in kind:
                value = task.internal_data.get("event_value")
                if isinstance(value, dict):
                    value["next"] = past
                else:
                    task.internal_data["event_value"] = past
                workflow.refresh_timers()
                return kind
    return None


def drive(compiled: Any, variables: dict[str, Any], payloads: dict[str, Any]) -> tuple[bool, str]:
    """Start the script and walk it; (ran to the end, what stopped it)."""
    from engine.bpmn.runner import Runner
    from engine.bpmn.sandbox import make_script_engine
    from engine.templates import TemplateRenderer

    runner = Runner(make_script_engine, TemplateRenderer())
    workflow = runner.start(compiled, variables)
    ran: list[Any] = []
    try:
        runner.advance(workflow, ran)
        for _ in range(MAX_MOVES):
            position = runner.position(compiled, workflow)
            if position.status == "completed":
                return True, "completed"
            if position.status == "failed":
                return False, "failed"
            if position.task is not None:
                runner.complete(workflow, position.task, answer_for(position.step_spec), ran)
                continue
            if _deliver(workflow, payloads) is None:
                return False, f"waits at {', '.join(position.waiting_for) or 'nothing'}"
            runner.advance(workflow, ran)
        return False, f"still running after {MAX_MOVES} moves"
    except Exception as exc:  # a model stopping is the result, not a crash of the count
        message = getattr(exc, "message", None) or str(exc)
        return False, f"{type(exc).__name__}: {message.splitlines()[0][:160]}"


# -- the corpora ----------------------------------------------------------------------------


CALLEES: dict[str, Any] = {}  # entry process id -> compiled bundle of the corpus


def _compile(bundle: Any) -> Any:
    """Compiled as a deploy would, a call into another script of the corpus served by it
    (a checkout without cross-script calls compiles the bundle alone)."""
    from engine.bpmn.compiler import compile_bundle

    try:
        from engine.bpmn.callees import Callee
    except ImportError:
        return compile_bundle(bundle)

    def lookup(process_id: str, pin: Any) -> Any:
        found = CALLEES.get(process_id)
        return None if found is None else Callee(process_id, 1, found)

    compiled = compile_bundle(bundle, None, lookup)
    CALLEES.setdefault(compiled.process_id, compiled)
    return compiled


def _try(corpus: str, model: str, make_bundle: Any, inputs: dict[str, Any]) -> Outcome:
    try:
        bundle = make_bundle()
        compiled = _compile(bundle)
    except Exception as exc:
        first = getattr(exc, "message", None) or str(exc)
        return Outcome(corpus, model, False, False, first.splitlines()[0][:200])
    given = inputs.get(model, {})
    variables = dict(compiled.defaults) | given.get("variables", {})
    done, note = drive(compiled, variables, given.get("payloads", {}))
    return Outcome(corpus, model, True, done, note)


def bundles(inputs: dict[str, Any]) -> list[Outcome]:
    from engine.bpmn.bundle import bundle_from_path

    return [
        _try("spiffworkflow bundles", f.name, lambda f=f: bundle_from_path(f), inputs)
        for f in sorted((FIXTURES / "bundles").iterdir())
        if f.is_dir()
    ]


def spiffarena(inputs: dict[str, Any]) -> list[Outcome]:
    root = FIXTURES / "spiffarena"
    models = sorted(p.parent for p in root.rglob("process_model.json"))
    try:
        from importers.spiffarena.bundles import Catalogue, bundle_of
        from importers.spiffarena.repository import read_repository
    except ImportError:  # a checkout without the importer: each folder as a bundle
        from engine.bpmn.bundle import bundle_from_path

        return [
            _try("spiffarena", str(m.relative_to(root)), lambda m=m: bundle_from_path(m), inputs)
            for m in models
        ]
    read = read_repository(root)
    catalogue = Catalogue(read)
    out = []
    for model in read:

        def make(model: Any = model) -> Any:
            bundle = bundle_of(model, catalogue)
            if not hasattr(bundle, "files"):
                raise ValueError(f"skipped: {bundle.reason}")
            return bundle

        out.append(_try("spiffarena", model.path, make, inputs))
    return out


def camunda(inputs: dict[str, Any]) -> list[Outcome]:
    root = FIXTURES / "camunda"
    paths = sorted(p for p in root.iterdir() if p.suffix in (".bpmn", ".zip") or p.is_dir())
    try:
        from importers.camunda import import_camunda
    except ImportError:
        import_camunda = None
    from engine.bpmn.bundle import Bundle, bundle_from_path

    out = []
    for path in paths:

        def make(path: Path = path) -> Any:
            if import_camunda is not None:
                return Bundle(dict(import_camunda(path).files))
            if path.suffix == ".bpmn":
                return Bundle({path.name: path.read_bytes()})
            return bundle_from_path(path)

        out.append(_try("camunda 7", path.name, make, inputs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the Cuebook checkout to use")
    parser.add_argument("--verbose", action="store_true", help="one line per model")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    if args.code.resolve() != ROOT:  # nothing of this checkout may fill in for the other's gaps
        sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    inputs = json.loads(INPUTS.read_text()) if INPUTS.exists() else {}
    outcomes = bundles(inputs) + spiffarena(inputs) + camunda(inputs)
    if args.verbose:
        for o in outcomes:
            state = "runs" if o.ran_to_end else ("valid" if o.validates else "REFUSED")
            print(f"{o.corpus:22} {o.model:40} {state:8} {o.note}")
        print()
    totals: Counter[str] = Counter()
    print(f"code: {args.code.resolve()}")
    print(f"{'corpus':22} {'models':>6} {'validate':>9} {'run to end':>11}")
    for corpus in dict.fromkeys(o.corpus for o in outcomes):
        mine = [o for o in outcomes if o.corpus == corpus]
        row = (len(mine), sum(o.validates for o in mine), sum(o.ran_to_end for o in mine))
        totals.update(models=row[0], valid=row[1], runs=row[2])
        print(f"{corpus:22} {row[0]:>6} {row[1]:>9} {row[2]:>11}")
    print(f"{'all':22} {totals['models']:>6} {totals['valid']:>9} {totals['runs']:>11}")


if __name__ == "__main__":
    main()
