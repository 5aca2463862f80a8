"""Step tokens: ``<seq>.<random>``, one per step a session waits at.

A client sends the token of the step it answers. The current token proceeds; an older one
(lower sequence number) is a retry of a step already taken and changes nothing, so bots may
retry safely; anything else is refused.
"""

from __future__ import annotations

import secrets

from engine.errors import Detail, SessionEnded, StaleStepToken
from engine.sessions.model import Session


def new_token(seq: int) -> str:
    return f"{seq}.{secrets.token_hex(8)}"


def token_seq(token: str) -> int | None:
    head = token.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def is_retry(session: Session, step_token: str) -> bool:
    """True for a token of a step this session already took."""
    seq = token_seq(step_token or "")
    return seq is not None and seq < session.step_seq


def check_token(session: Session, step_token: str) -> bool:
    """True if the token is the current one; False for a retry of an earlier step.

    An ended session refuses anything but a retry; an unknown token is refused.
    """
    if session.ended:
        if is_retry(session, step_token):
            return False
        raise SessionEnded(f"session {session.id} has ended ({session.status.value})")
    if step_token == session.step_token:
        return True
    if is_retry(session, step_token):
        return False
    raise StaleStepToken(
        "step_token does not match the waiting step; fetch the session and retry",
        [Detail("step_token", "stale or unknown")],
    )
