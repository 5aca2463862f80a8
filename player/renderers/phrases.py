"""Fixed wording the chat and IVR renderers add around a script's own text, in ru and en."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.errors import BadRequest, Detail
from engine.model import StepView

_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


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


RUSSIAN = Phrases(
    language="ru",
    yes="Да",
    no="Нет",
    proceed="Продолжить",
    chat_handoff="Передаю разговор оператору, он скоро ответит.",
    chat_end="Спасибо! Разговор завершён.",
    chat_failed="Извините, что-то пошло не так.",
    press_option="Нажмите {digit}, чтобы выбрать: {label}.",
    press_person="Чтобы поговорить с оператором, нажмите {digit}.",
    press_yes_no="Нажмите 1, если да, или 2, если нет.",
    enter_number="Введите число на клавиатуре телефона и нажмите решётку.",
    enter_date="Введите дату восемью цифрами: день, месяц и год.",
    say_answer="Пожалуйста, скажите ваш ответ.",
    transfer="Соединяю вас с оператором. Пожалуйста, оставайтесь на линии.",
    goodbye="Спасибо за звонок. До свидания.",
    call_failed="Извините, что-то пошло не так. Пожалуйста, позвоните позже.",
)
ENGLISH = Phrases(
    language="en",
    yes="Yes",
    no="No",
    proceed="Continue",
    chat_handoff="An operator will take over this conversation shortly.",
    chat_end="Thank you! The conversation is over.",
    chat_failed="Sorry, something went wrong.",
    press_option="Press {digit} for {label}.",
    press_person="Press {digit} for an operator.",
    press_yes_no="Press 1 for yes or 2 for no.",
    enter_number="Enter the number on your keypad, then press the hash key.",
    enter_date="Enter the date as eight digits: day, month and year.",
    say_answer="Please say your answer.",
    transfer="Transferring you to an operator. Please stay on the line.",
    goodbye="Thank you for calling. Goodbye.",
    call_failed="Sorry, something went wrong. Please call again later.",
)
_BY_LANGUAGE = {"ru": RUSSIAN, "en": ENGLISH}


def _script_text(view: StepView) -> str:
    step = view.step
    if step is None:
        return ""
    labels = " ".join(option.label for option in step.options)
    return " ".join((step.title, step.text, step.voice or "", labels))


def phrases_for(view: StepView, language: str | None = None) -> Phrases:
    """The wording for ``language`` ("ru", "en-US", ...); without one, Russian for Cyrillic
    script text and English for other text (Russian when the view has no text)."""
    if language is None:
        text = _script_text(view)
        if text.strip() and not _CYRILLIC.search(text):
            return ENGLISH
        return RUSSIAN
    found = _BY_LANGUAGE.get(language.strip().lower().replace("_", "-").split("-")[0])
    if found is None:
        known = ", ".join(sorted(_BY_LANGUAGE))
        raise BadRequest(
            f"unknown language {language!r}; use one of {known}",
            details=[Detail("language", f"{language!r} is not supported")],
        )
    return found
