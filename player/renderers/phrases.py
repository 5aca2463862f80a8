"""Fixed wording the chat and IVR renderers add around a script's own text.

The wording is in the script's language (decided by :func:`engine.language.script_language`
and carried by the StepView), looked up in the engine's ``cuebook`` catalogues: the
message ids below are the English wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from engine.errors import Detail, MalformedInput
from engine.language import DEFAULT_LANGUAGE, N_, SUPPORTED, normalise, translate
from engine.model import Step, StepView


@dataclass(frozen=True)
class Phrases:
    language: str
    yes: str
    no: str
    proceed: str
    chat_handoff: str
    chat_end: str
    chat_failed: str
    press_option: str
    press_person: str
    press_yes_no: str
    enter_number: str
    enter_date: str
    say_answer: str
    transfer: str
    goodbye: str
    call_failed: str
    item_of: str
    item: str


_WORDING = {
    "yes": N_("Yes"),
    "no": N_("No"),
    "proceed": N_("Continue"),
    "chat_handoff": N_("An operator will take over this conversation shortly."),
    "chat_end": N_("Thank you! The conversation is over."),
    "chat_failed": N_("Sorry, something went wrong."),
    "press_option": N_("Press {digit} for {label}."),
    "press_person": N_("Press {digit} for an operator."),
    "press_yes_no": N_("Press 1 for yes or 2 for no."),
    "enter_number": N_("Enter the number on your keypad, then press the hash key."),
    "enter_date": N_("Enter the date as eight digits: day, month and year."),
    "say_answer": N_("Please say your answer."),
    "transfer": N_("Transferring you to an operator. Please stay on the line."),
    "goodbye": N_("Thank you for calling. Goodbye."),
    "call_failed": N_("Sorry, something went wrong. Please call again later."),
    "item_of": N_("Item {index} of {count}."),
    "item": N_("Item {index}."),
}


@lru_cache(maxsize=len(SUPPORTED))
def phrases_in(language: str) -> Phrases:
    """The wording in ``language`` (a supported code); ``{digit}``/``{label}`` left to fill."""
    return Phrases(
        language=language,
        **{name: translate(language, message) for name, message in _WORDING.items()},
    )


def language_of(view: StepView) -> str:
    """The script's language as the view carries it (from the script's manifest); a view
    without one speaks the default language."""
    return normalise(view.language) or DEFAULT_LANGUAGE


def phrases_for(view: StepView, language: str | None = None) -> Phrases:
    """The wording for ``language`` ("ru", "en-US", ...) when a caller asks for one, else
    for the script's language. An unsupported language is refused, naming the choices."""
    if language is None:
        return phrases_in(language_of(view))
    code = normalise(language)
    if code is None:
        known = ", ".join(SUPPORTED)
        raise MalformedInput(
            f"unknown language {language!r}; use one of {known}",
            details=[Detail("language", f"{language!r} is not supported")],
        )
    return phrases_in(code)


def item_phrase(step: Step | None, phrases: Phrases) -> str:
    """ "Item 2 of 5." for a step of a multi-instance or looping task; else nothing."""
    if step is None or step.item is None:
        return ""
    item = step.item
    if item.count is None:
        return phrases.item.format(index=item.index)
    return phrases.item_of.format(index=item.index, count=item.count)
