"""Replies in a channel's own terms (chat text, DTMF digits, speech) read as step answers.

Pure functions, no I/O: the step transaction calls them before validating the answer.
"""

from engine.replies.fields import FieldKind, FieldSpec, Validator, single_field
from engine.replies.interpretation import (
    Interpretation,
    interpret_digits,
    interpret_speech,
    interpret_text,
)
from engine.replies.person import DEFAULT_PERSON_PHRASES, DEFAULT_POLICY, ReplyPolicy
from engine.replies.yesno import NO_WORDS, YES_WORDS

__all__ = [
    "DEFAULT_PERSON_PHRASES",
    "DEFAULT_POLICY",
    "NO_WORDS",
    "YES_WORDS",
    "FieldKind",
    "FieldSpec",
    "Interpretation",
    "ReplyPolicy",
    "Validator",
    "interpret_digits",
    "interpret_speech",
    "interpret_text",
    "single_field",
]
