"""The language of a script, and the wording Cuebook adds to what the customer hears.

One place decides a script's language: the ``language`` of its manifest (``cuebook.json``),
normalised to a supported code; a script that names none, or one Cuebook does not speak,
gets the default (``CUEBOOK_DEFAULT_LANGUAGE``, English when unset). Channels never guess a
language from the letters of a text.

Wording is looked up with :mod:`gettext` in the ``cuebook`` catalogues under
``engine/locale/<code>/LC_MESSAGES/``. Message ids are the English wording, with
``{name}`` fields filled by :meth:`str.format` after translation. The catalogues hold what
the engine and the chat and IVR renderers say to a customer; the operator player's own
screens have a catalogue of their own (``player/locale``), in the reader's language.

Both the ``.po`` sources and the compiled ``.mo`` files are committed, so nothing compiles
at run time; ``make messages`` re-extracts, updates and compiles them, and a unit test fails
when a ``.mo`` does not match its ``.po`` or a marked message has no Russian translation.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

SUPPORTED = ("en", "ru")
DEFAULT_LANGUAGE = "en"
DOMAIN = "cuebook"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it here."""
    return message


def normalise(value: object) -> str | None:
    """``"ru"``, ``"ru-RU"``, ``"RU_ru"`` -> ``"ru"``; anything Cuebook does not speak -> None."""
    if not isinstance(value, str):
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in SUPPORTED else None


def supported_or_default(value: object, default: str = DEFAULT_LANGUAGE) -> str:
    """``value`` normalised, else ``default`` normalised, else English."""
    return normalise(value) or normalise(default) or DEFAULT_LANGUAGE


def script_language(manifest: Mapping[str, Any] | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The language a script speaks to customers: its manifest's ``language``, or ``default``."""
    return supported_or_default((manifest or {}).get("language"), default)


@cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The ``cuebook`` catalogue of ``language``; untranslated wording stays English."""
    return gettext.translation(
        DOMAIN, LOCALE_DIR, languages=[supported_or_default(language)], fallback=True
    )


def translate(language: str, message: str, **fields: Any) -> str:
    """``message`` (an English message id) in ``language``, its ``{fields}`` filled in."""
    text = catalogue(language).gettext(message)
    return text.format(**fields) if fields else text


# -- why a reply was not understood -----------------------------------------------------
# engine/replies explains a miss in an English sentence built with an f-string, and a value
# the step's form refuses is explained by the form's JSON Schema validator as
# "<field>: <message>". Each sentence shape is listed here as a message id whose
# ``{fields}`` stand for the varying parts, so the explanation reaches the customer in the
# script's language. A ``{problem}`` is itself translated; a reason of no listed shape is
# passed on as it is.

REPLY_REASONS = (
    N_("the customer asked for a person"),
    N_("the dialogue is over"),
    N_("a person is taking over the dialogue"),
    N_("this step needs a form"),
    N_("press 1 for yes or 2 for no"),
    N_("there is no option {number}; press 1 to {count}"),
    N_("there is no option {number}; choose 1 to {count}"),
    N_("no keys were pressed"),
    N_("{keys} is not a sequence of phone keys"),
    N_("{date} is not a real date"),
    N_("expected a date such as 23.11.2026 or 2026-11-23"),
    N_("expected yes or no"),
    N_("the reply is neither yes nor no"),
    N_("the reply says both yes and no"),
    N_("cannot read {text} as a number"),
    N_("expected a number"),
    N_("the reply has several numbers ({numbers}); expected one"),
    N_("expected a whole number, got {value}"),
    N_("the reply is empty"),
    N_("expected one e-mail address"),
    N_("expected a phone number"),
    N_("{reply} fits several options: {options}"),
    N_("{reply} matches no option"),
    N_("not understood {misses} times at step {step}"),
    N_("step {step} needs a person"),
)
# The form's validator (jsonschema) on a single field's value.
FORM_REASONS = (
    N_("{field}: {problem}"),
    N_("{value} is less than the minimum of {bound}"),
    N_("{value} is greater than the maximum of {bound}"),
    N_("{value} is less than or equal to the minimum of {bound}"),
    N_("{value} is greater than or equal to the maximum of {bound}"),
    N_("{value} is not a multiple of {step}"),
    N_("{value} should be non-empty"),
    N_("{value} is too short"),
    N_("{value} is expected to be empty"),
    N_("{value} is too long"),
    N_("{value} does not match {pattern}"),
    N_("{value} is not one of {options}"),
    N_("{value} is not of type {type}"),
    N_("{value} is not a {format}"),
    N_("{value} was expected"),
)
REASONS = REPLY_REASONS + FORM_REASONS
_FIELD = re.compile(r"\{(\w+)\}")
# What a field may stand for when it is narrower than "any text": a form field's name,
# a quoted format name.
_FIELD_PATTERNS = {"field": r"[^\s:'\"]+", "format": r"'[^']*'"}


def _shapes() -> tuple[tuple[re.Pattern[str], str], ...]:
    shapes = []
    for message in REASONS:
        pieces = _FIELD.split(message)  # literal, field, literal, field, ...
        pattern = "".join(
            f"(?P<{piece}>{_FIELD_PATTERNS.get(piece, '.+?')})" if index % 2 else re.escape(piece)
            for index, piece in enumerate(pieces)
        )
        shapes.append((re.compile(pattern, re.DOTALL), message))
    return tuple(shapes)


_SHAPES = _shapes()


def reason_shape(reason: str) -> tuple[str, dict[str, str]] | None:
    """The listed message id ``reason`` is an instance of, with its fields; None if none."""
    reason = reason.strip()
    for pattern, message in _SHAPES:
        found = pattern.fullmatch(reason)
        if found is not None:
            return message, found.groupdict()
    return None


def reason_text(language: str, reason: str) -> str:
    """An English reason from engine/replies (or a hand-off reason) in ``language``."""
    shape = reason_shape(reason)
    if shape is None:
        return reason.strip()
    message, fields = shape
    if "problem" in fields:
        fields["problem"] = reason_text(language, fields["problem"])
    return translate(language, message, **fields)


# -- did not understand ----------------------------------------------------------------

_SORRY = N_("Sorry, I did not understand ({misses} of {max_misses}).")
_SORRY_BECAUSE = N_("Sorry, I did not understand ({misses} of {max_misses}): {reason}.")
_PICK = N_("Please pick one of the options.")
_AGAIN = N_("Please answer again.")


def not_understood_notice(
    language: str, *, misses: int, max_misses: int, kind: str, reason: str
) -> str:
    """The prompt after a reply that was not understood: the count, the reason, what to do.

    ``kind`` "choice" asks the customer to pick an option; any other asks for a new answer.
    """
    why = reason_text(language, reason).rstrip(". ")
    counted = {"misses": misses, "max_misses": max_misses}
    sorry = (
        translate(language, _SORRY_BECAUSE, reason=why, **counted)
        if why
        else translate(language, _SORRY, **counted)
    )
    return f"{sorry} {translate(language, _PICK if kind == 'choice' else _AGAIN)}"
