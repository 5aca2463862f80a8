"""One exception tree for everything the engine refuses to do, named for the domain.

Each error carries a stable ``code`` (used in the API's error envelope) and an optional
list of ``details`` naming what was wrong (a field path, a BPMN element id, a file name).
The engine never speaks HTTP: ``web/errors.py`` maps the families below to statuses.

    CuebookError
    ├── ValidationFailed          input breaks its contract (a bundle, a request body)
    │   └── InvalidAnswer         an answer breaks the step's form
    ├── MalformedInput            input that cannot be read at all (bad XML, bad cursor)
    ├── DoesNotExist              ScriptNotFound, VersionNotFound, SessionNotFound,
    │                             FunctionNotFound, TicketNotFound, WorkItemNotFound,
    │                             CustomerNotFound
    ├── WrongState                the request does not fit where things stand now:
    │                             NotPublished, NothingToRollBack, FunctionExists,
    │                             SessionEnded, StaleStepToken, NotWaitingForAnswer,
    │                             NotWaitingForMessage, CannotGoBack, WithPerson,
    │                             NotClaimed, ClaimedByAnother, NotWithPerson,
    │                             NeedsPerson, MovedMeanwhile, IsATicket, WorkItemClosed,
    │                             TransferRefused, IdentityTaken
    ├── NotAuthenticated / NotPermitted
    ├── ScriptFailed              methodologists' code failed
    │   └── SandboxViolation
    ├── SavedStateUnreadable      a saved instance this build cannot read
    └── IntegrationFailed         an integration function could not be completed
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Detail:
    """One problem: where (``path``) and what (``message``)."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass
class CuebookError(Exception):
    """Base class of every error Cuebook raises on purpose."""

    message: str
    details: list[Detail] = field(default_factory=list)
    code: str = "error"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


# -- input ----------------------------------------------------------------------------------


@dataclass
class ValidationFailed(CuebookError):
    """Input does not meet its contract (a bundle, a request body)."""

    code: str = "validation_failed"


@dataclass
class InvalidAnswer(ValidationFailed):
    """An answer breaks the step's form schema."""

    code: str = "invalid_answer"


@dataclass
class MalformedInput(CuebookError):
    """Input that cannot be read at all (malformed XML, a cursor that is not ours)."""

    code: str = "bad_request"


# -- things that are not there --------------------------------------------------------------


@dataclass
class DoesNotExist(CuebookError):
    code: str = "not_found"


@dataclass
class ScriptNotFound(DoesNotExist):
    pass


@dataclass
class VersionNotFound(DoesNotExist):
    pass


@dataclass
class SessionNotFound(DoesNotExist):
    pass


@dataclass
class FunctionNotFound(DoesNotExist):
    pass


@dataclass
class TicketNotFound(DoesNotExist):
    pass


@dataclass
class WorkItemNotFound(DoesNotExist):
    pass


@dataclass
class DraftNotFound(DoesNotExist):
    """No editor draft has this id (or it was deleted)."""


@dataclass
class CustomerNotFound(DoesNotExist):
    """No identity, ticket or conversation is known for a customer key."""


@dataclass
class CallbackNotFound(DoesNotExist):
    """No call-back has this id."""


# -- requests that do not fit the current state ---------------------------------------------


@dataclass
class WrongState(CuebookError):
    """The request does not fit where things stand now."""

    code: str = "conflict"


@dataclass
class NotPublished(WrongState):
    """The script has no published version to start sessions on."""


@dataclass
class NothingToRollBack(WrongState):
    """No earlier release to go back to."""


@dataclass
class FunctionExists(WrongState):
    """Creating an integration function under a name that is taken."""


@dataclass
class SessionEnded(WrongState):
    pass


@dataclass
class StaleStepToken(WrongState):
    """The step token names no step of this session (neither current nor earlier)."""


@dataclass
class NotWaitingForAnswer(WrongState):
    """The session waits for an event (a timer, a message), not for an answer."""


@dataclass
class NotWaitingForMessage(WrongState):
    pass


@dataclass
class NotWaitingForSignal(WrongState):
    pass


@dataclass
class CannotGoBack(WrongState):
    pass


@dataclass
class WithPerson(WrongState):
    """A bot acts on a session that a person holds."""


@dataclass
class NotClaimed(WrongState):
    """An operator acts on a handed-off session nobody claimed."""


@dataclass
class ClaimedByAnother(WrongState):
    pass


@dataclass
class NotWithPerson(WrongState):
    """Claim or hand back of a session that is not handed off."""


@dataclass
class NeedsPerson(WrongState):
    """Handing back a step that only a person may take."""


@dataclass
class MovedMeanwhile(WrongState):
    """The session moved while a step was calling an integration function outside the lock."""


@dataclass
class IsATicket(WrongState):
    """A session command on a ticket's workflow, which moves only through its work items."""


@dataclass
class WorkItemClosed(WrongState):
    """The work item was completed or cancelled (its task is no longer waiting)."""


@dataclass
class TransferRefused(WrongState):
    """The routing rules do not let the ticket's group hand it to the group asked for."""


@dataclass
class DraftConflict(WrongState):
    """Someone saved the draft after the revision a save started from (``extra["conflict"]``
    says who, when and what changed since)."""

    code: str = "draft_conflict"


@dataclass
class IdentityTaken(WrongState):
    """A customer identity (phone, e-mail, chat id) already belongs to another customer."""


@dataclass
class CallbackNotScheduled(WrongState):
    """The call-back has fired or was cancelled already, or could not become a ticket."""


# -- who may act ----------------------------------------------------------------------------


@dataclass
class NotAuthenticated(CuebookError):
    code: str = "unauthorized"


@dataclass
class NotPermitted(CuebookError):
    code: str = "forbidden"


# -- failures of what runs ------------------------------------------------------------------


@dataclass
class ScriptFailed(CuebookError):
    """Methodologist code (a script task, a condition, a template) failed or was refused."""

    code: str = "script_failed"


@dataclass
class SandboxViolation(ScriptFailed):
    """Methodologist code tried something the sandbox does not allow."""

    code: str = "sandbox_violation"


@dataclass
class SavedStateUnreadable(CuebookError):
    """A saved instance's state is in a format this build cannot read."""

    code: str = "saved_state_unreadable"


@dataclass
class IntegrationFailed(CuebookError):
    """An integration function could not be completed (after retries, or breaker open)."""

    code: str = "integration_failed"


# -- the operator workspace -----------------------------------------------------------------


@dataclass
class OperatorNotFound(DoesNotExist):
    """No operator profile has this id, or the token has none."""


@dataclass
class OfferNotFound(DoesNotExist):
    """No offer has this id."""


@dataclass
class OperatorExists(WrongState):
    """Creating an operator under a login (or token) that already has a profile."""

    code: str = "operator_exists"


@dataclass
class OfferClosed(WrongState):
    """The offer was accepted, declined or withdrawn already, or is another operator's."""

    code: str = "offer_closed"


@dataclass
class OfferExpired(WrongState):
    """The offer's time to answer passed; the item went back to its queue."""

    code: str = "offer_expired"


@dataclass
class WouldStrandWork(WrongState):
    """A presence or capacity change that would leave accepted work with nobody."""

    code: str = "would_strand_work"
