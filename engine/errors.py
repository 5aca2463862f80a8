"""One exception tree for everything the engine refuses to do.

Each error carries a stable ``code`` (used in the API's error envelope) and an
optional list of ``details`` naming what was wrong (a field path, a BPMN
element id, a file name).
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


@dataclass
class ValidationFailed(CuebookError):
    """Input does not meet its contract (a bundle, a request body)."""

    code: str = "validation_failed"


@dataclass
class InvalidAnswer(ValidationFailed):
    """An answer breaks the step's form schema."""

    code: str = "invalid_answer"


@dataclass
class BadRequest(CuebookError):
    """A request that cannot be understood (malformed XML, unknown option)."""

    code: str = "bad_request"


@dataclass
class NotFound(CuebookError):
    code: str = "not_found"


@dataclass
class Conflict(CuebookError):
    """The request does not fit the current state (ended session, stale token)."""

    code: str = "conflict"


@dataclass
class Unauthorized(CuebookError):
    code: str = "unauthorized"


@dataclass
class Forbidden(CuebookError):
    code: str = "forbidden"


@dataclass
class ScriptFailed(CuebookError):
    """Methodologist code (a script task, a condition, a template) failed or was refused."""

    code: str = "script_failed"


@dataclass
class SandboxViolation(ScriptFailed):
    """Methodologist code tried something the sandbox does not allow."""

    code: str = "sandbox_violation"


@dataclass
class IntegrationFailed(CuebookError):
    """An integration function could not be completed (after retries, or breaker open)."""

    code: str = "integration_failed"
