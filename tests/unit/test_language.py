"""A script's language comes from its manifest; the engine's wording from its catalogues."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from cuebook.settings import Settings
from engine.language import (
    FORM_REASONS,
    REPLY_REASONS,
    normalise,
    not_understood_notice,
    reason_shape,
    reason_text,
    script_language,
)
from engine.model import Option, Step
from engine.replies import interpret_digits, interpret_text

TWO = (Option("balance", "Balance"), Option("rates", "Rates"))
CHOICE = Step(id="menu", kind="choice", field="topic", options=TWO)
TWINS = Step(
    id="menu", kind="choice", field="topic", options=(Option("a", "Same"), Option("b", "Same"))
)


def form(**schema: Any) -> Step:
    return Step(
        id="ask",
        kind="form",
        schema={"type": "object", "properties": {"x": schema}, "required": ["x"]},
    )


TWO_FIELDS = Step(
    id="ask",
    kind="form",
    schema={
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "required": ["a", "b"],
    },
)

# (step, how the reply comes, the reply): one of each reason engine/replies gives, and
# some of the form validator's (a reply the step's schema refuses).
MISSES = [
    (CHOICE, "text", "operator"),
    (Step(id="end", kind="end"), "text", "hi"),
    (Step(id="wait", kind="handoff"), "text", "hi"),
    (TWO_FIELDS, "text", "hello"),
    (form(type="boolean"), "digits", "3"),
    (CHOICE, "digits", "7"),
    (CHOICE, "text", "option 7"),
    (CHOICE, "digits", "#"),
    (CHOICE, "digits", "12a"),
    (form(type="string", format="date"), "text", "31.02.2026"),
    (form(type="string", format="date"), "text", "some day"),
    (form(type="boolean"), "text", "hmm"),
    (form(type="boolean"), "text", "не знаю"),
    (form(type="boolean"), "text", "yes no"),
    (form(type="number"), "text", "1.2.3"),
    (form(type="number"), "text", "none at all"),
    (form(type="number"), "text", "3 or 4"),
    (form(type="integer"), "text", "2.5"),
    (form(type="string"), "text", " "),
    (form(type="string", format="email"), "text", "no address"),
    (form(type="string", format="phone"), "text", "call me"),
    (TWINS, "text", "same"),
    (CHOICE, "text", "xyzzy"),
    (form(type="integer", minimum=1), "text", "0"),
    (form(type="integer", maximum=10), "text", "11"),
    (form(type="integer", exclusiveMinimum=0), "text", "0"),
    (form(type="integer", exclusiveMaximum=10), "text", "10"),
    (form(type="integer", multipleOf=5), "text", "7"),
    (form(type="string", minLength=3), "text", "ab"),
    (form(type="string", maxLength=3), "text", "abcd"),
    (form(type="string", maxLength=0), "text", "a"),
    (form(type="string", pattern="^[0-9]+$"), "text", "abc"),
    (form(type="string", format="ipv4"), "text", "abc"),
]
# Validator messages a single reply cannot bring about, made by the validator itself.
FORM_ONLY = [
    ({"type": "string", "minLength": 1}, ""),
    ({"enum": ["a", "b"]}, "c"),
    ({"type": "integer"}, "c"),
    ({"const": "yes"}, "c"),
]


def reason_of(step: Step, how: str, reply: str) -> str:
    read = interpret_digits if how == "digits" else interpret_text
    validator = Draft202012Validator(
        step.schema or {}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    found = read(step, reply, validator=validator)
    assert not found.understood, (step.id, reply)
    return found.reason


def test_a_script_speaks_its_manifest_language_or_the_default() -> None:
    assert script_language({"language": "ru"}) == "ru"
    assert script_language({"language": "ru-RU"}) == "ru"
    assert script_language({"language": " EN_gb "}) == "en"
    assert script_language({}) == "en"
    assert script_language(None) == "en"
    assert script_language({"language": "de"}) == "en"
    assert script_language({}, default="ru") == "ru"
    assert script_language({"language": 7}, default="ru-RU") == "ru"
    assert normalise("fr") is None and normalise(None) is None


def test_a_russian_notice_is_russian_with_the_reason() -> None:
    reason = reason_of(CHOICE, "text", "xyzzy")
    notice = not_understood_notice("ru", misses=1, max_misses=3, kind="choice", reason=reason)
    assert notice == (
        "Извините, не удалось понять ответ (1 из 3): "
        "'xyzzy' не подходит ни к одному варианту. Пожалуйста, выберите один из вариантов."
    )


def test_an_english_notice_is_english_with_the_reason() -> None:
    reason = reason_of(CHOICE, "text", "xyzzy")
    assert not_understood_notice("en", misses=1, max_misses=3, kind="choice", reason=reason) == (
        "Sorry, I did not understand (1 of 3): 'xyzzy' matches no option. "
        "Please pick one of the options."
    )
    assert not_understood_notice("en-US", misses=3, max_misses=3, kind="form", reason="") == (
        "Sorry, I did not understand (3 of 3). Please answer again."
    )


def test_an_unknown_reason_is_passed_on_as_it_is() -> None:
    notice = not_understood_notice("ru", misses=1, max_misses=2, kind="form", reason="odd thing.")
    assert (
        notice
        == "Извините, не удалось понять ответ (1 из 2): odd thing. Пожалуйста, ответьте ещё раз."
    )


@pytest.mark.parametrize(("step", "how", "reply"), MISSES)
def test_every_reason_the_replies_give_has_a_russian_translation(
    step: Step, how: str, reply: str
) -> None:
    reason = reason_of(step, how, reply)
    translated = reason_text("ru", reason)
    assert translated != reason, f"no catalogue entry fits {reason!r}"
    assert reason_text("en", reason) == reason


def test_every_listed_reason_is_one_the_replies_or_the_form_give() -> None:
    given = {reason_of(*miss) for miss in MISSES} | {"not understood 3 times at step ask"}
    given.add("step operator_check needs a person")  # a hand-off's reason (sessions.transitions)
    for schema, value in FORM_ONLY:
        errors = list(Draft202012Validator({"properties": {"x": schema}}).iter_errors({"x": value}))
        given.add(f"x: {errors[0].message}")
    shapes = set()
    for reason in given:
        shape = reason_shape(reason)
        assert shape is not None, reason
        shapes.add(shape[0])
        if shape[0] == "{field}: {problem}":
            inner = reason_shape(shape[1]["problem"])
            assert inner is not None, reason
            shapes.add(inner[0])
    assert shapes == set(REPLY_REASONS + FORM_REASONS)


def test_a_refused_value_is_explained_in_the_scripts_language() -> None:
    reason = reason_of(form(type="integer", maximum=150), "text", "200")
    assert reason == "x: 200 is greater than the maximum of 150"
    assert not_understood_notice("ru", misses=2, max_misses=3, kind="form", reason=reason) == (
        "Извините, не удалось понять ответ (2 из 3): "
        "x: 200 больше наибольшего допустимого значения 150. Пожалуйста, ответьте ещё раз."
    )


def test_a_handoff_reason_is_translated_too() -> None:
    assert reason_text("ru", "not understood 3 times at step ask") == (
        "ответ не понят на шаге ask (попыток: 3)"
    )
    assert reason_text("ru", "the customer asked for a person") == (
        "клиент попросил соединить его с оператором"
    )


def test_the_default_language_is_a_setting(tmp_path: Any) -> None:
    def default(value: str | None) -> str:
        env = {"CUEBOOK_VAR_DIR": str(tmp_path)}
        if value is not None:
            env["CUEBOOK_DEFAULT_LANGUAGE"] = value
        return Settings.from_env(env).default_language

    assert default(None) == default("") == "en"
    assert default("ru_RU") == "ru"
    with pytest.raises(ValueError, match="CUEBOOK_DEFAULT_LANGUAGE='de' is not supported"):
        default("de")
