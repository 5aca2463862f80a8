"""Validate a bundle and compile it into a runnable script (parsed once per version).

Every problem names its file and, where there is one, the BPMN element id, so a
methodologist can find it in the editor. Nothing here runs methodologists' code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask as NoneTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.bpmn.bundle import Bundle, load_json
from engine.bpmn.callees import Callee, CalleeLookup, attach, external_calls, resolve
from engine.bpmn.data_stores import BundleStores, data_store_problems
from engine.bpmn.elements import SUPPORTED_BPMN, unsupported
from engine.bpmn.event_kinds import normalise_events
from engine.bpmn.links import resolve_links
from engine.bpmn.loops import loop_without_exit
from engine.bpmn.namespaces import BPMN_NS, SPIFF_NS
from engine.bpmn.payloads import payload_schema_problems
from engine.bpmn.routing import RoutingRules, load_routing
from engine.bpmn.safe_xml import parse_xml
from engine.bpmn.sandbox import check_code
from engine.bpmn.spiff_extensions import extension_problems
from engine.errors import CuebookError, Detail, MalformedInput, ValidationFailed
from engine.form_options import choice_field, form_options
from engine.model import Option
from engine.task_data_forms import is_templated, option_vars, template_problems, without_markers

PROP_FORM = "formJsonSchemaFilename"
PROP_UI = "formUiSchemaFilename"
PROP_VOICE = "cuebook:voice"
PROP_MAX_MISSES = "cuebook:max_misses"
PROP_HANDOFF = "cuebook:handoff"
PROP_BACK = "cuebook:can_go_back"
OPERATOR_LANES = frozenset({"operator", "оператор", "operators", "операторы"})
DEFAULT_MAX_MISSES = 3


@dataclass(frozen=True)
class Problem:
    file: str
    element: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.element}" if self.element else self.file
        return f"{where}: {self.message}"

    def as_detail(self) -> Detail:
        path = f"{self.file}#{self.element}" if self.element else self.file
        return Detail(path, self.message)


@dataclass(frozen=True)
class StepSpec:
    """What Cuebook knows about a human step before it runs (from the diagram and forms)."""

    id: str
    kind: str  # form | choice | message
    title: str
    instructions: str
    hints: str
    schema: dict[str, Any] | None
    ui_schema: dict[str, Any] | None
    validator: Draft202012Validator | None
    options: tuple[Option, ...]
    field_options: dict[str, tuple[Option, ...]]  # every choice field of the form
    field: str | None
    voice: str | None
    max_misses: int
    handoff_queue: str | None
    needs_person: bool
    can_go_back: bool
    lane: str | None
    option_vars: tuple[str, ...] = ()  # variables the form takes options from (task_data_forms)
    templated: bool = False  # the form's strings hold Jinja templates (task_data_forms)


@dataclass
class CompiledScript:
    """A parsed, validated script version: immutable once built, shared by threads."""

    process_id: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    manifest: dict[str, Any]
    steps: dict[str, StepSpec]
    end_texts: dict[str, str]
    service_tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    routing: RoutingRules | None = None  # a routing bundle's groups.json
    callees: dict[str, Callee] = field(default_factory=dict)  # other scripts' processes called
    external_calls: tuple[str, ...] = ()  # called processes that are not in the bundle

    @property
    def title(self) -> str:
        manifest = self.manifest  # cuebook.json, else process_model.json (SpiffArena)
        return str(manifest.get("title") or manifest.get("display_name") or self.process_id)

    @property
    def defaults(self) -> dict[str, Any]:
        value = self.manifest.get("defaults") or {}
        return dict(value) if isinstance(value, dict) else {}


FunctionLookup = Callable[[str], "FunctionInfo | None"]


@dataclass(frozen=True)
class FunctionInfo:
    """What validation needs to know of an integration function."""

    name: str
    parameters: tuple[str, ...]
    required: tuple[str, ...]


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, element: str, message: str) -> None:
        self.problems.append(Problem(file, element, message))


def _local(tag: Any) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    q = etree.QName(tag)
    return q.namespace or "", q.localname


def _element_id(node: Any) -> str:
    while node is not None:
        ident = node.get("id") if hasattr(node, "get") else None
        if ident:
            return str(ident)
        node = node.getparent()
    return ""


def _spiff_properties(node: Any) -> dict[str, str]:
    props: dict[str, str] = {}
    for prop in node.iterfind(
        f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"
    ):
        name = prop.get("name")
        if name:
            props[name] = prop.get("value", "")
    return props


def _check_bpmn_tree(
    file: str,
    root: Any,
    bundle: Bundle,
    out: _Collector,
    functions: FunctionLookup | None,
) -> None:
    for node in root.iter():
        ns, name = _local(node.tag)
        if ns != BPMN_NS:
            continue
        elem = _element_id(node)
        if name not in SUPPORTED_BPMN:
            out.add(file, elem, unsupported(name))
            continue
        if name == "scriptTask":
            script = node.find(f"{{{BPMN_NS}}}script")
            for problem in check_code(script.text or "" if script is not None else "", "exec"):
                out.add(file, elem, f"script: {problem}")
        elif name == "conditionExpression":
            for problem in check_code((node.text or "").strip(), "eval"):
                out.add(file, elem, f"condition: {problem}")
        for problem in extension_problems(node, name):
            out.add(file, elem, problem)
        if name == "userTask":
            props = _spiff_properties(node)
            for prop in (PROP_FORM, PROP_UI):
                form = props.get(prop)
                if form and form not in bundle.files:
                    out.add(file, elem, f"{prop}: unknown form file {form!r}")
            queue = props.get(PROP_HANDOFF, "")
            if len(queue) > 60 or (queue and not queue.replace("_", "").replace("-", "").isalnum()):
                out.add(
                    file, elem, f"{PROP_HANDOFF}: a queue name is up to 60 letters, digits, - or _"
                )
            if PROP_MAX_MISSES in props and not props[PROP_MAX_MISSES].strip().isdigit():
                out.add(file, elem, f"{PROP_MAX_MISSES}: must be a whole number")
        if name == "serviceTask":
            _check_service_task(file, node, elem, out, functions)


def _check_loops(file: str, root: Any, out: _Collector) -> None:
    """A loop must pass a gateway that can leave it; without one the engine would predict
    the loop's tasks forever."""
    cycle = loop_without_exit(root)
    if cycle:
        out.add(
            file,
            cycle[0],
            f"a loop through {', '.join(cycle)} has no exclusive or inclusive gateway to leave it",
        )


def _check_service_task(
    file: str, node: Any, elem: str, out: _Collector, functions: FunctionLookup | None
) -> None:
    operator = node.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}serviceTaskOperator")
    if operator is None:
        out.add(file, elem, "a service task needs spiffworkflow:serviceTaskOperator")
        return
    fname = operator.get("id", "")
    given: set[str] = set()
    for param in operator.iter(f"{{{SPIFF_NS}}}parameter"):
        given.add(param.get("id", ""))
        value = param.get("value")
        if value is not None:
            for problem in check_code(value, "eval"):
                out.add(file, elem, f"parameter {param.get('id')}: {problem}")
    if functions is None:
        return
    info = functions(fname)
    if info is None:
        out.add(file, elem, f"unknown integration function {fname!r}")
        return
    for missing in [p for p in info.required if p not in given]:
        out.add(
            file,
            elem,
            f"integration function {fname!r}: required parameter {missing!r} is not given",
        )
    for extra in sorted(given - set(info.parameters)):
        out.add(file, elem, f"integration function {fname!r} has no parameter {extra!r}")


def _load_form(bundle: Bundle, name: str, out: _Collector, elem: str) -> dict[str, Any] | None:
    if name not in bundle.files:
        return None
    try:
        data = load_json(bundle, name)
    except ValidationFailed as exc:
        out.add(name, elem, exc.message)
        return None
    if not isinstance(data, dict):
        out.add(name, elem, "a form schema must be a JSON object")
        return None
    return data


def _choice(
    schema: dict[str, Any], options: dict[str, tuple[Option, ...]]
) -> tuple[str, tuple[Option, ...]] | None:
    """The field and options of a choice step: a form whose only property is a choice."""
    return choice_field(schema, options)


def form_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """The validator of a step's answers (raises SchemaError for a bad schema)."""
    schema = without_markers(schema)  # options from task data are checked when shown
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _step_spec(task_spec: Any, bundle: Bundle, out: _Collector) -> StepSpec:
    ext = getattr(task_spec, "extensions", None) or {}
    props: dict[str, str] = ext.get("properties") or {}
    elem = task_spec.bpmn_id or task_spec.name
    schema = ui = None
    validator = None
    if isinstance(task_spec, UserTaskMixin) and props.get(PROP_FORM):
        schema = _load_form(bundle, props[PROP_FORM], out, elem)
        if schema is not None:
            try:
                validator = form_validator(schema)
            except SchemaError as exc:
                path = "/".join(str(p) for p in exc.path)
                out.add(props[PROP_FORM], elem, f"invalid JSON Schema at '{path}': {exc.message}")
                schema = None
    if schema is not None and props.get(PROP_UI):
        ui = _load_form(bundle, props[PROP_UI], out, elem)
    for problem in template_problems(schema, ui):  # SpiffArena renders form files as Jinja
        out.add(props[PROP_FORM], elem, problem)
    kind = "message"
    options: tuple[Option, ...] = ()
    field_name = None
    choices = form_options(schema, ui)
    if schema is not None:
        choice = _choice(schema, choices)
        if choice is not None:
            kind = "choice"
            field_name, options = choice
        else:
            kind = "form"
    lane = task_spec.lane
    max_misses = props.get(PROP_MAX_MISSES, "").strip()
    return StepSpec(
        id=elem,
        kind=kind,
        title=task_spec.bpmn_name or elem,
        instructions=ext.get("instructionsForEndUser") or "",
        hints=(task_spec.documentation or "").strip(),
        schema=schema,
        ui_schema=ui,
        validator=validator,
        options=options,
        field_options=choices,
        field=field_name,
        voice=props.get(PROP_VOICE) or None,
        max_misses=int(max_misses) if max_misses.isdigit() else DEFAULT_MAX_MISSES,
        handoff_queue=props.get(PROP_HANDOFF) or None,
        needs_person=bool(props.get(PROP_HANDOFF))
        or (lane or "").strip().lower() in OPERATOR_LANES,
        can_go_back=props.get(PROP_BACK, "true").strip().lower() != "false",
        lane=lane,
        option_vars=option_vars(schema),
        templated=is_templated(schema, ui),
    )


def _all_specs(compiled_specs: dict[str, BpmnProcessSpec]) -> Iterator[Any]:
    for spec in compiled_specs.values():
        yield from spec.task_specs.values()


def _entry_process(parser: SpiffBpmnParser, manifest: dict[str, Any], roots: dict[str, Any]) -> str:
    primary = manifest.get("primary_process_id")
    if primary:
        return str(primary)
    called: set[str] = set()
    executable: list[str] = []
    for root in roots.values():
        for ca in root.iter(f"{{{BPMN_NS}}}callActivity"):
            called.add(ca.get("calledElement", ""))
        for proc in root.iter(f"{{{BPMN_NS}}}process"):
            if proc.get("isExecutable", "true") != "false":
                executable.append(proc.get("id", ""))
    candidates = [p for p in executable if p not in called]
    if len(candidates) != 1:
        raise ValidationFailed(
            "cannot tell the entry process: set primary_process_id in cuebook.json "
            f"(candidates: {', '.join(candidates) or 'none'})",
            [Detail("cuebook.json", "primary_process_id is needed")],
        )
    return candidates[0]


def _fail(problems: list[Problem]) -> ValidationFailed:
    first = str(problems[0])
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return ValidationFailed(f"invalid bundle: {first}{more}", [p.as_detail() for p in problems])


def _raise_problems(out: _Collector) -> None:
    if out.problems:
        raise _fail(out.problems)


def _read_manifest(bundle: Bundle) -> dict[str, Any]:
    try:
        return bundle.manifest()
    except ValidationFailed as exc:
        raise _fail(
            [Problem(d.path, "", d.message) for d in exc.details]
            or [Problem("manifest", "", exc.message)]
        ) from exc


def _parse_files(bundle: Bundle, out: _Collector) -> tuple[dict[str, Any], dict[str, Any]]:
    """The XML trees of the bundle's BPMN and DMN files (unsafe XML is refused outright)."""
    roots: dict[str, Any] = {}
    dmn_roots: dict[str, Any] = {}
    for name in bundle.names(".bpmn") + bundle.names(".dmn"):
        try:
            root = parse_xml(bundle.files[name], name)
        except MalformedInput:
            raise  # unsafe XML (entities, DTDs) is refused outright: 400, not a list of problems
        except CuebookError as exc:
            if exc.details:
                for d in exc.details:
                    out.add(name, "", d.message)
            else:
                out.add(name, "", exc.message)
            continue
        if name.lower().endswith(".bpmn"):
            problems = resolve_links(root) + normalise_events(root)
            for element, message in problems + data_store_problems(root, bundle.files):
                out.add(name, element, message)
            roots[name] = root
        else:
            dmn_roots[name] = root
    return roots, dmn_roots


def _check_trees(
    bundle: Bundle, roots: dict[str, Any], out: _Collector, functions: FunctionLookup | None
) -> dict[str, str]:
    """Check every BPMN tree; returns the file of each process id."""
    process_ids: dict[str, str] = {}
    for name, root in roots.items():
        for proc in root.iter(f"{{{BPMN_NS}}}process"):
            process_ids[proc.get("id", "")] = name
    for name, root in roots.items():
        _check_bpmn_tree(name, root, bundle, out, functions)
        _check_loops(name, root, out)
    return process_ids


def _load_parser(
    roots: dict[str, Any], dmn_roots: dict[str, Any], out: _Collector, bundle: Bundle
) -> SpiffBpmnParser:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.DATA_STORE_CLASSES = BundleStores(bundle.files)  # type: ignore[assignment]
    for name, root in dmn_roots.items():
        _guard(out, name, partial(parser.add_dmn_xml, root, filename=name))
    for name, root in roots.items():
        _guard(out, name, partial(parser.add_bpmn_xml, root, filename=name))
    _raise_problems(out)
    return parser


def _pick_entry(
    parser: SpiffBpmnParser,
    manifest: dict[str, Any],
    roots: dict[str, Any],
    process_ids: dict[str, str],
) -> str:
    try:
        process_id = _entry_process(parser, manifest, roots)
    except ValidationFailed as exc:
        raise _fail([Problem("cuebook.json", "", exc.message)]) from exc
    if process_id not in process_ids:
        raise _fail(
            [
                Problem(
                    "cuebook.json",
                    "",
                    f"primary_process_id {process_id!r} is not a process in the bundle",
                )
            ]
        )
    return process_id


def _build_specs(
    parser: SpiffBpmnParser, process_id: str, file: str, out: _Collector
) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """The entry process's spec and the specs of the processes it calls."""
    result: list[Any] = []
    _guard(
        out,
        file,
        lambda: result.append(
            (
                parser.get_spec(process_id),
                parser.get_subprocess_specs(process_id, require_call_activity_specs=False),
            )
        ),
    )
    _raise_problems(out)
    spec, subprocess_specs = result[0]
    return spec, {k: v for k, v in subprocess_specs.items() if v is not None}


def _describe_tasks(
    specs: dict[str, BpmnProcessSpec], bundle: Bundle, out: _Collector
) -> tuple[dict[str, StepSpec], dict[str, str]]:
    """The human steps by task name, and the closing texts of the other tasks."""
    steps: dict[str, StepSpec] = {}
    end_texts: dict[str, str] = {}
    for task_spec in _all_specs(specs):
        if isinstance(task_spec, UserTaskMixin | ManualTaskMixin | NoneTaskMixin):
            steps[task_spec.name] = _step_spec(task_spec, bundle, out)
        else:
            ext = getattr(task_spec, "extensions", None) or {}
            if ext.get("instructionsForEndUser"):
                end_texts[task_spec.name] = ext["instructionsForEndUser"]
    _raise_problems(out)
    return steps, end_texts


def compile_bundle(
    bundle: Bundle, functions: FunctionLookup | None = None, callees: CalleeLookup | None = None
) -> CompiledScript:
    """Check every file and build the script, or raise ValidationFailed naming each problem.

    ``callees`` finds the scripts serving call activities whose process is not in the
    bundle (engine.bpmn.callees); without it such a call is a problem."""
    manifest = _read_manifest(bundle)
    out = _Collector()
    roots, dmn_roots = _parse_files(bundle, out)
    routing, problems = load_routing(dict(bundle.files), manifest, dmn_roots)
    problems += payload_schema_problems(bundle.files, manifest, roots.values())
    for file, element, message in problems:
        out.add(file, element, message)
    process_ids = _check_trees(bundle, roots, out, functions)
    external = external_calls(roots, process_ids)
    served = resolve(external, manifest, callees, out.add)
    _raise_problems(out)
    parser = _load_parser(roots, dmn_roots, out, bundle)
    process_id = _pick_entry(parser, manifest, roots, process_ids)
    spec, subprocess_specs = _build_specs(parser, process_id, process_ids[process_id], out)
    steps, end_texts = _describe_tasks({process_id: spec, **subprocess_specs}, bundle, out)
    attach(served, subprocess_specs)
    for callee in served.values():  # the callee's own forms and texts, from its own bundle
        steps = {**callee.compiled.steps, **steps}
        end_texts = {**callee.compiled.end_texts, **end_texts}
    return CompiledScript(
        process_id=process_id,
        spec=spec,
        subprocess_specs=subprocess_specs,
        manifest=manifest,
        steps=steps,
        end_texts=end_texts,
        routing=routing,
        callees=served,
        external_calls=tuple(sorted(external)),
    )


def _guard(out: _Collector, file: str, action: Callable[[], Any]) -> None:
    try:
        action()
    except ValidationException as exc:
        out.add(exc.file_name or file, getattr(exc, "id", "") or "", str(exc).split("\n")[0])
    except SpiffWorkflowException as exc:
        out.add(file, "", str(exc).split("\n")[0])
    except (KeyError, ValueError, TypeError, AttributeError, etree.LxmlError) as exc:
        out.add(file, "", f"{type(exc).__name__}: {exc}")


def _problem(detail: Detail) -> Problem:
    file, _, element = detail.path.partition("#")
    return Problem(file, element, detail.message)


def validate_bundle(
    bundle: Bundle, functions: FunctionLookup | None = None, callees: CalleeLookup | None = None
) -> list[Problem]:
    """Every problem of a bundle (empty list: it compiles)."""
    try:
        compile_bundle(bundle, functions, callees)
    except ValidationFailed as exc:
        return problems_of(exc)
    return []


def problems_of(exc: ValidationFailed) -> list[Problem]:
    """The problems a failed validation names, one per file and element."""
    return [_problem(d) for d in exc.details] or [Problem("", "", exc.message)]


def dumps_schema(schema: dict[str, Any] | None) -> str:
    return json.dumps(schema, ensure_ascii=False, sort_keys=True)
