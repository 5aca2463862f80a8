"""Service tasks call integration functions, never while an instance row is locked.

A step that reaches a service task takes the function's results from its cache when it
holds them (no request sent, nothing waited for). Otherwise it stops there (``CallNeeded``)
and its transaction rolls back, releasing the row lock and the database connection.
``calls_outside_the_lock`` then makes the call with nothing held, records its outcome in a
``CallBook``, and runs the use case again in a new transaction: the row is locked and the
step token checked afresh (so a session that moved meanwhile is noticed), and the service
task now finds its outcome in the book. A step with several calls repeats this once per
call. The instance changes only when the whole step commits, so a failed step leaves it
exactly as it was.

A failed call (after the function's own retries, or with its breaker open) raises the BPMN
error ``integration_failed``. A boundary error event on the service task that catches it
(by that code, or any error) takes the flow; otherwise the step fails with a clear "could
not reach X".

Without a book (a caller that does not use ``calls_outside_the_lock``) the call is made in
place, as a plain synchronous call.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.runner import FlowDiverted, Suspended, find_cause
from engine.builtin_functions import BuiltinFunctions
from engine.errors import CuebookError, IntegrationFailed
from engine.functions import FunctionCatalog
from engine.persistence.database import Database, UnitOfWork
from integrations import CallFailed, Invoker

ERROR_CODE = "integration_failed"
MAX_CALLS_PER_STEP = 20
T = TypeVar("T")


class Diverted(FlowDiverted):
    """The call failed and a boundary error event took the flow: not a failure of the step."""

    def __init__(self, task: Any, error: IntegrationFailed) -> None:
        super().__init__(task, error.message)
        self.error = error


@dataclass(frozen=True)
class CallRequest:
    """One call a service task asks for: the function, the element, evaluated arguments."""

    function: str
    element: str
    args: dict[str, Any]

    @property
    def key(self) -> str:
        return json.dumps([self.function, self.element, self.args], sort_keys=True, default=str)


class CallNeeded(Suspended):
    """A service task needs a call made outside the transaction before the step goes on."""

    def __init__(self, request: CallRequest) -> None:
        super().__init__(f"{request.element} calls {request.function}")
        self.request = request
        self.suspension: Suspension | None = None


@dataclass
class Suspension:
    """A step stopped at a service task, kept to go on from when it runs again: the
    workflow as it stood, the task that asked for the call, the elements left so far, and
    what the use case needs to finish (``context``). Valid only while the session is at the
    same ``lock_version`` (nobody moved it meanwhile)."""

    session_id: str
    lock_version: int
    workflow: Any
    task: Any
    ran: list[Any]
    context: Any


@dataclass
class CallBook:
    """Outcomes of the calls made for one step: the results, or the failure to replay."""

    outcomes: dict[str, dict[str, Any] | IntegrationFailed] = field(default_factory=dict)
    made: int = 0
    suspended: Suspension | None = None


def keep_suspended(exc: BaseException, session_id: str, lock_version: int, context: Any) -> None:
    """Let a step that stops for a call go on from where it stopped when it runs again
    (instead of restoring the workflow and running the step from its start)."""
    needed = find_cause(exc, CallNeeded)
    if needed is not None and needed.workflow is not None and needed.task is not None:
        needed.suspension = Suspension(
            session_id, lock_version, needed.workflow, needed.task, needed.ran or [], context
        )


def suspended_step(session_id: str, lock_version: int) -> Suspension | None:
    """The step this attempt may go on from: the one the last attempt stopped at, if it was
    this session's at this ``lock_version``."""
    book = _BOOK.get()
    if book is None or book.suspended is None:
        return None
    found, book.suspended = book.suspended, None
    if found.session_id != session_id or found.lock_version != lock_version:
        return None
    return found


_BOOK: ContextVar[CallBook | None] = ContextVar("cuebook_call_book", default=None)


@contextmanager
def _open(book: CallBook) -> Iterator[None]:
    token = _BOOK.set(book)
    try:
        yield
    finally:
        _BOOK.reset(token)


def _catcher(task: Any) -> bool:
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return False
    for sibling in parent.children:
        definition = getattr(sibling.task_spec, "event_definition", None)
        if (
            isinstance(definition, ErrorEventDefinition)
            and sibling.has_state(TaskState.WAITING)
            and definition.code in (None, "", ERROR_CODE)
        ):
            return True
    return False


class ServiceCaller:
    """The script engine's service hook: name + evaluated parameters -> the function's results."""

    def __init__(
        self,
        catalog: FunctionCatalog,
        invoker: Invoker,
        builtins: BuiltinFunctions | None = None,
    ) -> None:
        self.catalog = catalog
        self.invoker = invoker
        self.builtins = builtins or BuiltinFunctions()

    def __call__(self, context: dict[str, Any], **kwargs: Any) -> str:
        task = kwargs["task"]
        operation_params: dict[str, Any] = kwargs.get("operation_params") or {}
        request = CallRequest(
            function=kwargs["operation_name"],
            element=task.task_spec.bpmn_id or task.task_spec.name,
            args={name: param.get("value") for name, param in operation_params.items()},
        )
        book = _BOOK.get()
        if book is None:
            outcome = self.perform(request)
        elif request.key in book.outcomes:
            outcome = book.outcomes[request.key]
        else:
            found = self.cached(request)
            if found is None:
                raise CallNeeded(request)
            outcome = book.outcomes[request.key] = found
        if isinstance(outcome, IntegrationFailed):
            raise self._fail(task, outcome)
        return json.dumps(outcome, ensure_ascii=False, default=str)

    def cached(self, request: CallRequest) -> dict[str, Any] | None:
        """The function's results from its cache, if it has them: a step takes them in its
        transaction, without stopping to make the call outside it (nothing is sent, nothing
        waited for). Built-in functions are always made outside."""
        if self.builtins.get(request.function) is not None:
            return None
        spec = self.catalog.get(request.function)
        if spec is None:
            return None
        hit = self.invoker.cached(spec, request.args)
        return None if hit is None else dict(hit.results)

    def perform(self, request: CallRequest) -> dict[str, Any] | IntegrationFailed:
        """Make the call (look the function up, invoke it); a failure is returned, not raised."""
        builtin = self.builtins.get(request.function)
        if builtin is not None:
            try:
                return dict(builtin.run(request.args))
            except CuebookError as exc:
                return IntegrationFailed(
                    f"{request.function} failed: {exc.message}",
                    list(exc.details),
                    extra={"function": request.function, "retry": False},
                )
        spec = self.catalog.get(request.function)
        if spec is None:
            return IntegrationFailed(
                f"could not reach {request.function}: no such integration function",
                extra={"function": request.function, "retry": False},
            )
        try:
            return dict(self.invoker.call(spec, request.args).results)
        except CallFailed as exc:
            return IntegrationFailed(
                f"could not reach {spec.name}: {exc.message}",
                extra={
                    "function": spec.name,
                    "status": exc.status,
                    "kind": exc.kind,
                    "retry": exc.kind != "bad_arguments",
                },
            )

    @staticmethod
    def _fail(task: Any, failure: IntegrationFailed) -> Exception:
        # A fresh error each time: the book's copy is replayed if the step runs again.
        error = IntegrationFailed(failure.message, list(failure.details), extra=dict(failure.extra))
        error.extra["element"] = task.task_spec.bpmn_id or task.task_spec.name
        if not _catcher(task):
            return error
        payload = {
            "function": error.extra.get("function"),
            "status": error.extra.get("status"),
            "message": error.message,
        }
        event = BpmnEvent(ErrorEventDefinition(ERROR_CODE, code=ERROR_CODE), payload=payload)
        task.workflow.top_workflow.catch(event)
        return Diverted(task, error)


def calls_outside_the_lock(
    database: Database, caller: ServiceCaller | None, use_case: Callable[[UnitOfWork], T]
) -> T:
    """Run ``use_case`` in a transaction; each call it needs is made between two attempts.

    Each attempt that stops at a service task rolls back (the lock and the connection are
    released), the call is made with nothing held, and the use case runs again with the
    outcomes so far. The last attempt commits.
    """
    book = CallBook()
    for _ in range(MAX_CALLS_PER_STEP + 1):
        try:
            with _open(book), database.unit_of_work() as uow:
                return use_case(uow)
        except Exception as exc:
            needed = find_cause(exc, CallNeeded)
            if needed is None or caller is None:
                raise
        book.outcomes[needed.request.key] = caller.perform(needed.request)
        book.made += 1
        book.suspended = needed.suspension
    raise IntegrationFailed(
        f"a step may call at most {MAX_CALLS_PER_STEP} integration functions",
        extra={"retry": False},
    )
