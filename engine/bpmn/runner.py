"""The SpiffWorkflow adapter: start, restore, advance, describe and save an instance.

Everything SpiffWorkflow-specific in the step path lives here; the use cases in
``engine.sessions`` speak only Cuebook's model.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask as NoneTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.compaction import compact
from engine.bpmn.compiler import CompiledScript, StepSpec
from engine.bpmn.instances import item_of
from engine.bpmn.state import StateCodec
from engine.errors import CuebookError, ScriptFailed
from engine.model import Step
from engine.task_data_forms import needs_task_data, with_task_data
from engine.templates import TemplateRenderer

ScriptEngineFactory = Callable[[], Any]


@dataclass(frozen=True)
class TaskEvent:
    """One BPMN element the engine left (ran) during a step."""

    element: str
    name: str
    kind: str


@dataclass
class Position:
    """Where a workflow stands after engine steps."""

    status: str  # waiting | completed | failed
    task: Any | None = None  # the READY human task, if any
    step_spec: StepSpec | None = None
    waiting_for: list[str] = field(default_factory=list)  # event names waited on
    next_timer_at: str | None = None
    end_element: str | None = None


def _element(task: Any) -> str:
    return task.task_spec.bpmn_id or task.task_spec.name


def _kind(task_spec: Any) -> str:
    return type(task_spec).__name__


class FlowDiverted(Exception):
    """Raised inside a task when a BPMN event already took the flow elsewhere.

    ``task`` is the task that failed; the runner cancels it and carries on.
    """

    def __init__(self, task: Any, message: str = "") -> None:
        super().__init__(message)
        self.task = task


class Suspended(Exception):
    """Raised inside a task to stop the step so its caller can do something outside the
    transaction (a service call) and run the step again. Never converted to an error.

    The runner records where it stopped: the workflow as it stands, the task that raised
    it, and the elements left so far, so that the step can go on from there (``go_on``)
    instead of being run again from the start."""

    workflow: Any = None
    task: Any = None
    ran: list[TaskEvent] | None = None


def find_cause(exc: BaseException, kind: type[BaseException]) -> Any:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        nested = getattr(current, "error", None)  # SpiffWorkflow keeps the original here
        if isinstance(nested, kind):
            return nested
        current = current.__cause__ or current.__context__
    return None


def engine_error(exc: Exception) -> CuebookError:
    """Turn whatever SpiffWorkflow raised into a Cuebook error naming the element."""
    found: CuebookError | None = find_cause(exc, CuebookError)
    task = getattr(exc, "task", None)
    element = _element(task) if task is not None else ""
    if found is not None:
        if element and element not in found.message:
            found.message = f"{element}: {found.message}"
        found.extra.setdefault("element", element)
        return found
    message = str(exc).split("\n")[0]
    return ScriptFailed(f"{element}: {message}" if element else message, extra={"element": element})


class Runner:
    """Runs compiled scripts. One per process; thread-safe (no per-instance state)."""

    def __init__(
        self,
        script_engine_factory: ScriptEngineFactory,
        renderer: TemplateRenderer,
        *,
        stock_spiff: bool = False,
    ) -> None:
        """``stock_spiff``: SpiffWorkflow's own workflow class and state converter instead of
        ``ScannedWorkflow`` and the codec's task writer (for comparison: bench/step.py)."""
        self._codec = StateCodec(stock=stock_spiff)
        self._script_engine_factory = script_engine_factory
        self._script_engine = script_engine_factory()
        self.renderer = renderer

    @property
    def script_engine(self) -> Any:
        return self._script_engine

    def start(self, compiled: CompiledScript, variables: dict[str, Any]) -> BpmnWorkflow:
        workflow = self._codec.workflow_class(
            compiled.spec, compiled.subprocess_specs, script_engine=self._script_engine
        )
        data = compiled.defaults
        data.update(copy.deepcopy(variables))
        workflow.task_tree.data.update(data)
        return workflow

    def restore(self, compiled: CompiledScript, state: str) -> BpmnWorkflow:
        return self._codec.load(
            state, compiled.spec, compiled.subprocess_specs, self._script_engine
        )

    def save(self, workflow: BpmnWorkflow) -> str:
        compact(workflow)
        for sub in workflow.subprocesses.values():
            if not sub.completed:
                compact(sub)
        return self._codec.dump(workflow)

    def advance(self, workflow: BpmnWorkflow, ran: list[TaskEvent]) -> None:
        """Run engine tasks until the workflow waits; record each element left."""

        def did_complete(task: Any) -> None:
            spec = task.task_spec
            if spec.bpmn_id:
                ran.append(TaskEvent(spec.bpmn_id, spec.bpmn_name or "", _kind(spec)))

        for _ in range(100):
            try:
                workflow.do_engine_steps(did_complete_task=did_complete)
                return
            except SpiffWorkflowException as exc:
                suspended = find_cause(exc, Suspended)
                if suspended is not None:
                    suspended.workflow, suspended.ran = workflow, ran
                    suspended.task = getattr(exc, "task", None)
                    raise suspended from None
                diverted = find_cause(exc, FlowDiverted)
                if diverted is None:
                    raise engine_error(exc) from exc
                # A BPMN event took the flow away from the failed task: it ends cancelled.
                diverted.task._set_state(TaskState.CANCELLED)
                spec = diverted.task.task_spec
                ran.append(TaskEvent(spec.bpmn_id or spec.name, spec.bpmn_name or "", "diverted"))
        raise ScriptFailed("the workflow keeps failing over to error events; giving up")

    def complete(
        self, workflow: BpmnWorkflow, task: Any, answer: dict[str, Any], ran: list[TaskEvent]
    ) -> None:
        task.data = dict(task.data)
        task.data.update(copy.deepcopy(answer))
        try:
            task.run()
        except SpiffWorkflowException as exc:
            raise engine_error(exc) from exc
        self.advance(workflow, ran)

    def go_on(self, workflow: BpmnWorkflow, task: Any, ran: list[TaskEvent]) -> None:
        """Run on from the task a step was suspended at (its call's outcome is at hand now):
        the task runs again, then the engine steps that follow it."""
        task._set_state(TaskState.READY)
        self.advance(workflow, ran)

    def human_tasks(self, workflow: BpmnWorkflow) -> list[Any]:
        """Every READY user, manual or plain task (in subprocesses too): what people must do now."""
        # A scan of the task dicts, not a walk of the tree: cheaper, and the same set.
        return [
            t
            for wf in (workflow, *workflow.subprocesses.values())
            for t in wf.tasks.values()
            if t.state == TaskState.READY
            and isinstance(t.task_spec, UserTaskMixin | ManualTaskMixin | NoneTaskMixin)
        ]

    def waiting_task(self, workflow: BpmnWorkflow, task_id: str) -> Any | None:
        """The READY human task with this id, if the workflow still waits at it."""
        for task in self.human_tasks(workflow):
            if str(task.id) == task_id:
                return task
        return None

    def set_variable(self, workflow: BpmnWorkflow, name: str, value: Any) -> None:
        """Set a variable in the data the workflow goes on with: every task waiting (READY or
        WAITING), the task each inherits from again when it fires, and the last one completed
        (read while nothing waits for a person)."""
        seen: set[int] = set()
        live = (TaskState.READY, TaskState.WAITING)
        for wf in (workflow, *workflow.subprocesses.values()):
            for task in list(wf.tasks.values()):
                if task.state in live:
                    for owner in (task, task.parent):
                        _set_data(owner, name, value, seen)
        _set_data(workflow.last_task, name, value, seen)

    def position(self, compiled: CompiledScript, workflow: BpmnWorkflow) -> Position:
        human = self.human_tasks(workflow)
        if workflow.completed and not human:
            end = workflow.last_task
            end_element = _element(end) if end is not None else None
            if not workflow.success:
                return Position("failed", end_element=end_element)
            return Position("completed", end_element=self._end_element(workflow))
        next_timer = _next_timer(workflow)
        if human:
            task = human[0]
            return Position(
                "waiting",
                task=task,
                step_spec=compiled.steps.get(task.task_spec.name),
                next_timer_at=next_timer,
            )
        waiting = [t for t in _waiting_tasks(workflow) if isinstance(t.task_spec, CatchingEvent)]
        return Position(
            "waiting", waiting_for=[_element(t) for t in waiting], next_timer_at=next_timer
        )

    def _end_element(self, workflow: BpmnWorkflow) -> str | None:
        ends = [
            t
            for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if isinstance(t.task_spec, EndEvent) and t.task_spec.bpmn_id
        ]
        if not ends:
            return None
        return str(max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_id)

    def describe(self, compiled: CompiledScript, position: Position, data: dict[str, Any]) -> Step:
        """A channel-neutral description of where the instance waits."""
        spec = position.step_spec
        if spec is not None:
            text = (
                self.renderer.render(spec.instructions, data, where=spec.id)
                if spec.instructions
                else ""
            )
            schema = spec.schema
            if schema is not None and spec.kind == "form":
                schema = _with_current_values(schema, data)
            step = Step(
                id=spec.id,
                kind=spec.kind,  # type: ignore[arg-type]
                title=spec.title,
                text=text,
                hints=spec.hints,
                schema=schema,
                ui_schema=spec.ui_schema,
                options=spec.options,
                field_options=spec.field_options,
                can_go_back=False,
                field=spec.field,
                voice=self.renderer.render(spec.voice, data, where=spec.id) if spec.voice else None,
                max_misses=spec.max_misses,
                lane=spec.lane,
                item=item_of(position.task) if position.task is not None else None,
            )
            if not needs_task_data(spec, data):
                return step
            return with_task_data(
                step, spec, data, lambda text: self.renderer.render(text, data, where=spec.id)
            )
        if position.status in ("completed", "failed"):
            element = position.end_element or ""
            source = compiled.end_texts.get(element, "")
            text = self.renderer.render(source, data, where=element) if source else ""
            return Step(id=element, kind="end", title="", text=text)
        # Waiting for an event (a message, a signal, a timer, a condition): nobody answers.
        element = position.waiting_for[0] if position.waiting_for else ""
        source = compiled.end_texts.get(element, "")  # a catch event's instructionsForEndUser
        text = self.renderer.render(source, data, where=element) if source else ""
        return Step(id=element, kind="wait", title=_name_of(compiled, element), text=text)

    def waiting_data(self, state: str) -> dict[str, Any]:
        """The data of the task a saved instance waits at, read from its state as JSON
        (no workflow is restored: for lists of many instances)."""
        dct = json.loads(state) if state else {}
        workflows = [dct, *dict(dct.get("subprocesses") or {}).values()]
        for wf in workflows:
            tasks = dict(wf.get("tasks") or {})
            for task in tasks.values():
                if task.get("state") == TaskState.READY:
                    return _inherited_data(tasks, task)
        return dict(dct.get("data") or {})

    def data_of(self, workflow: BpmnWorkflow, position: Position) -> dict[str, Any]:
        if position.task is not None:
            return dict(position.task.data)
        if workflow.last_task is not None:
            return dict(workflow.last_task.data)
        return dict(workflow.data)

    def back_target(self, compiled: CompiledScript, task: Any) -> Any | None:
        """The previous human step, if it allows going back to it (and is still in the tree).
        Never back past an event the session waited for (a message, a signal, a timer): it
        would wait again for what already came."""
        node = task.parent
        while node is not None:
            if isinstance(node.task_spec, CatchingEvent) and node.has_state(TaskState.COMPLETED):
                return None
            if isinstance(
                node.task_spec, UserTaskMixin | ManualTaskMixin | NoneTaskMixin
            ) and node.has_state(TaskState.COMPLETED):
                spec = compiled.steps.get(node.task_spec.name)
                return node if spec is not None and spec.can_go_back else None
            node = node.parent
        return None

    def reset_to(self, workflow: BpmnWorkflow, task: Any) -> None:
        data = dict(task.parent.data) if task.parent is not None else None
        try:
            workflow.reset_from_task_id(task.id, data=data)
        except SpiffWorkflowException as exc:
            raise engine_error(exc) from exc


def _name_of(compiled: CompiledScript, element: str) -> str:
    """The name an element is drawn with ("" if none, or not found)."""
    for spec in (compiled.spec, *compiled.subprocess_specs.values()):
        task_spec = spec.task_specs.get(element)
        if task_spec is not None:
            return str(task_spec.bpmn_name or "")
    return ""


def _set_data(task: Any, name: str, value: Any, seen: set[int]) -> None:
    if task is None or id(task) in seen:
        return
    seen.add(id(task))
    if task.data.get(name) != value:
        task.data = dict(task.data)  # a task's dict may be shared: never change it in place
        task.data[name] = value


def _inherited_data(tasks: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    """A saved task's data: a READY task keeps none of its own until it runs, so the
    nearest ancestor that has data supplies it."""
    node: dict[str, Any] | None = task
    for _ in range(len(tasks) + 1):
        if node is None:
            break
        if node.get("data"):
            return dict(node["data"])
        node = tasks.get(str(node.get("parent")))
    return {}


TIMER_EVENTS = (
    "TimeDateEventDefinition",
    "DurationTimerEventDefinition",
    "CycleTimerEventDefinition",
)


def _waiting_tasks(workflow: BpmnWorkflow) -> list[Any]:
    """Every WAITING task, in running subprocesses too.

    A scan of the task dicts rather than ``get_tasks(state=WAITING)``, which walks the whole
    tree (every task ever created, a loop's included) node by node: the same set, and it
    runs on every step."""
    return [
        t
        for wf in (workflow, *workflow.subprocesses.values())
        if not wf.completed
        for t in wf.tasks.values()
        if t.state == TaskState.WAITING
    ]


def _gateway_timers(workflow: BpmnWorkflow) -> list[Any]:
    """Due times of timers behind waiting event-based gateways: SpiffWorkflow reports such a
    gateway as one event of several kinds, and keeps the timer's due time on the task."""
    values = []
    for task in _waiting_tasks(workflow):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MultipleEventDefinition) and any(
            isinstance(d, TimerEventDefinition) for d in definition.event_definitions
        ):
            values.append(task.internal_data.get("event_value"))
    return values


def _next_timer(workflow: BpmnWorkflow) -> str | None:
    """When the earliest waiting timer is due (ISO 8601, UTC), if any."""
    due: list[datetime] = []
    values = [e.value for e in workflow.waiting_events() if e.event_type in TIMER_EVENTS]
    for value in values + _gateway_timers(workflow):
        if isinstance(value, dict):
            value = value.get("next")
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                continue
        else:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        due.append(moment.astimezone(UTC))
    return min(due).isoformat() if due else None


def _with_current_values(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The form as shown: defaults filled from instance data where a field already has a value."""
    props = schema.get("properties")
    if not isinstance(props, dict) or not any(k in data for k in props):
        return schema
    shown = dict(schema)
    shown["properties"] = {
        k: (
            {**v, "default": data[k]}
            if isinstance(v, dict) and k in data and _jsonable(data[k])
            else v
        )
        for k, v in props.items()
    }
    return shown


def _jsonable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | list | dict) or value is None
