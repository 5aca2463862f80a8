"""Errors raised by integration functions.

``SpecInvalid`` and ``ArgumentsInvalid`` carry ``problems``: a list of ``(path, message)``
pairs such as ``("parameters[2].type", "'strin' is not one of ...")``. Every failure of a
call is a ``CallFailed`` with a ``kind`` the caller can branch on. Messages never hold
secret values: the invoker masks them before an error is built.
"""

from __future__ import annotations

from typing import Any, Literal

FailureKind = Literal[
    "timeout",
    "http_status",
    "network",
    "refused",
    "breaker_open",
    "bad_response",
    "too_large",
    "bad_arguments",
]

Problem = tuple[str, str]


def _format_problems(problems: list[Problem], limit: int = 5) -> str:
    shown = [f"{path or '<root>'}: {message}" for path, message in problems[:limit]]
    more = len(problems) - limit
    if more > 0:
        shown.append(f"... and {more} more")
    return "; ".join(shown)


class IntegrationError(Exception):
    """Base class of every error this package raises on purpose."""

    code = "integration_error"


class SpecInvalid(IntegrationError):
    """A function spec (or a file of them) breaks its schema; ``problems`` name each place."""

    code = "spec_invalid"

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}invalid integration function: {_format_problems(problems)}")


class SecretMissing(IntegrationError):
    """A secret a function declares is not configured."""

    code = "secret_missing"

    def __init__(self, name: str, where: str) -> None:
        self.name = name
        super().__init__(f"secret {name!r} is not configured (expected {where})")


class AllowListInvalid(IntegrationError):
    """An entry of the allowed-hosts setting cannot be understood."""

    code = "allow_list_invalid"

    def __init__(self, entry: str, reason: str) -> None:
        self.entry = entry
        super().__init__(f"allowed-hosts entry {entry!r}: {reason}")


class HostRefused(IntegrationError):
    """A URL's host is not on the allow-list or resolves to a forbidden address."""

    code = "host_refused"


class HostUnresolved(IntegrationError):
    """A URL's host name could not be resolved."""

    code = "host_unresolved"


class CallFailed(IntegrationError):
    """A call of an integration function failed; ``kind`` says how.

    ``request`` is the rendered request with secrets masked, when rendering got that far.
    """

    code = "integration_failed"

    def __init__(
        self,
        function: str,
        status: int | None,
        message: str,
        kind: FailureKind,
        attempts: int = 0,
    ) -> None:
        self.function = function
        self.status = status
        self.message = message
        self.kind: FailureKind = kind
        self.attempts = attempts
        self.request: dict[str, Any] | None = None
        super().__init__(f"integration {function!r} failed ({kind}): {message}")

    def __reduce__(self) -> tuple[object, ...]:
        return (
            type(self),
            (self.function, self.status, self.message, self.kind, self.attempts),
        )


class ArgumentsInvalid(CallFailed):
    """Arguments do not fit the function's parameters; ``problems`` name each parameter."""

    code = "arguments_invalid"

    def __init__(self, function: str, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(function, None, _format_problems(problems), "bad_arguments")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.function, self.problems))
