"""A channel reply (chat text, DTMF digits, speech) read as an answer to the waiting step."""

from __future__ import annotations

from engine.errors import Detail, MalformedInput
from engine.model import Step
from engine.replies import (
    Interpretation,
    Validator,
    interpret_digits,
    interpret_speech,
    interpret_text,
)
from engine.sessions.model import Reply
from engine.sessions.runtime import Engine


def read_reply(
    engine: Engine, step: Step, reply: Reply, validator: Validator | None = None
) -> Interpretation:
    """``validator``: the step's; a value its form refuses is a reply not understood."""
    if reply.text is not None:
        return interpret_text(step, reply.text, engine.policy, validator=validator)
    if reply.digits is not None:
        return interpret_digits(step, reply.digits, engine.policy, validator=validator)
    if reply.speech is not None:
        return interpret_speech(step, reply.speech, engine.policy, validator=validator)
    if step.kind == "message":  # the Continue button's own value: an acknowledgement
        return Interpretation({})
    raise MalformedInput(
        "a step needs one of: answer, text, digits, speech", [Detail("answer", "missing")]
    )
