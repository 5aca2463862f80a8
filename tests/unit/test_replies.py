"""Replies in a channel's own terms: chat text, DTMF digits and speech read as answers."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from engine.bpmn.compiler import form_validator
from engine.model import Option, Step
from engine.replies import (
    DEFAULT_POLICY,
    Interpretation,
    ReplyPolicy,
    interpret_digits,
    interpret_speech,
    interpret_text,
    single_field,
)

TODAY = date(2026, 11, 20)

RU_MENU = Step(
    id="menu",
    kind="choice",
    text="Что вы хотите сделать?",
    field="topic",
    options=(
        Option("balance", "Баланс", ("остаток", "сколько денег")),
        Option("tariff", "Сменить тариф"),
        Option("block", "Заблокировать карту"),
        Option("more", "Ещё вопрос"),
    ),
)
EN_MENU = Step(
    id="menu",
    kind="choice",
    text="What would you like to do?",
    field="topic",
    options=(
        Option("balance", "Check balance", ("how much money",)),
        Option("tariff", "Change tariff"),
        Option("block", "Block card"),
    ),
)


def form(name: str, schema: dict[str, Any], *, required: bool = True) -> Step:
    return Step(
        id="ask",
        kind="form",
        schema={
            "type": "object",
            "properties": {name: schema},
            "required": [name] if required else [],
        },
    )


def checked(step: Step) -> Any:
    """The step's validator, as the compiler builds it."""
    assert step.schema is not None
    return form_validator(step.schema)


def answer_of(result: Interpretation) -> dict[str, Any]:
    assert result.answer is not None, result.reason
    return result.answer


def missed(result: Interpretation) -> str:
    assert result.answer is None, result.answer
    assert not result.wants_person
    assert result.reason
    return result.reason


# --- choice steps -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Баланс", "balance"),
        ("  баланс!!! ", "balance"),
        ("БАЛАНС.", "balance"),
        ("балнс", "balance"),
        ("баланса", "balance"),
        ("остаток", "balance"),
        ("хочу узнать остаток", "balance"),
        ("сменить тариф", "tariff"),
        ("тариф", "tariff"),
        ("смнеить тариф", "tariff"),
        ("заблокируйте карту, пожалуйста", "block"),
        ("еще вопрос", "more"),
        ("ЕЩЁ вопрос?", "more"),
    ],
)
def test_russian_choice_matches_labels_synonyms_typos_and_inflections(text: str, value: str):
    assert answer_of(interpret_text(RU_MENU, text)) == {"topic": value}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Check balance", "balance"),
        ("check   BALANCE", "balance"),
        ("ballance", "balance"),
        ("I want to check my balance please", "balance"),
        ("how much money do I have?", "balance"),
        ("change my tariff", "tariff"),
        ("chnage tarif", "tariff"),
        ("block my card!", "block"),
        ("tariff", "tariff"),
    ],
)
def test_english_choice_matches_labels_synonyms_typos_and_phrases(text: str, value: str):
    assert answer_of(interpret_text(EN_MENU, text)) == {"topic": value}


def test_option_matches_by_its_value():
    assert answer_of(interpret_text(EN_MENU, "TARIFF")) == {"topic": "tariff"}
    step = Step(id="s", kind="choice", field="f", options=(Option("gold_plan", "Gold"),))
    assert answer_of(interpret_text(step, "gold plan")) == {"f": "gold_plan"}


@pytest.mark.parametrize(
    ("text", "value"),
    [("2", "tariff"), ("2.", "tariff"), ("#3", "block"), ("вариант 1", "balance"),
     ("второй", "tariff"), ("третий вариант", "block"), ("option two", "tariff"),
     ("the first one", "balance")],
)  # fmt: skip
def test_option_number_typed_as_text_selects_by_position(text: str, value: str):
    menu = RU_MENU if any("а" <= ch <= "я" for ch in text) else EN_MENU
    assert answer_of(interpret_text(menu, text)) == {"topic": value}


def test_option_number_out_of_range_says_which_numbers_exist():
    assert missed(interpret_text(EN_MENU, "7")) == "there is no option 7; choose 1 to 3"


def test_option_position_wins_over_a_numeric_value_of_another_option():
    step = Step(
        id="s",
        kind="choice",
        field="plan",
        options=(Option(2, "Basic"), Option(10, "Premium")),
    )
    assert answer_of(interpret_text(step, "2")) == {"plan": 10}
    assert answer_of(interpret_text(step, "10")) == {"plan": 10}
    assert answer_of(interpret_text(step, "1")) == {"plan": 2}


def test_two_options_equally_good_is_not_understood_and_names_both():
    step = Step(
        id="s",
        kind="choice",
        field="card",
        options=(Option("debit", "Debit card balance"), Option("credit", "Credit card balance")),
    )
    reason = missed(interpret_text(step, "balance"))
    assert "several options" in reason
    assert "Debit card balance" in reason and "Credit card balance" in reason
    assert answer_of(interpret_text(step, "credit")) == {"card": "credit"}


def test_reply_naming_two_options_is_ambiguous():
    reason = missed(interpret_text(EN_MENU, "balance or tariff?"))
    assert "Check balance" in reason and "Change tariff" in reason


def test_the_more_specific_option_wins_over_a_shorter_one():
    step = Step(
        id="s",
        kind="choice",
        field="f",
        options=(Option("b", "Balance"), Option("cb", "Check balance")),
    )
    assert answer_of(interpret_text(step, "please check the balance")) == {"f": "cb"}
    assert answer_of(interpret_text(step, "balance")) == {"f": "b"}


def test_short_words_get_no_typo_forgiveness():
    step = Step(
        id="s", kind="choice", field="pet", options=(Option("cat", "Cat"), Option("dog", "Dog"))
    )
    assert "matches no option" in missed(interpret_text(step, "car"))
    assert answer_of(interpret_text(step, "cat")) == {"pet": "cat"}


def test_two_typos_are_forgiven_only_in_long_words():
    step = Step(id="s", kind="choice", field="f", options=(Option("x", "Transfer"),))
    assert answer_of(interpret_text(step, "trasnfre")) == {"f": "x"}  # 8 letters: two typos
    step = Step(id="s", kind="choice", field="f", options=(Option("x", "Tariff"),))
    assert answer_of(interpret_text(step, "tarif")) == {"f": "x"}
    assert "matches no option" in missed(interpret_text(step, "trf"))
    assert "matches no option" in missed(interpret_text(step, "trafi"))  # 2 typos, 6 letters


def test_unrelated_text_matches_no_option_and_says_so():
    reason = missed(interpret_text(EN_MENU, "what is the weather like"))
    assert reason == "'what is the weather like' matches no option"


def test_empty_reply_is_not_understood():
    assert missed(interpret_text(EN_MENU, "  ...  ")) == "the reply is empty"


def test_yes_no_choice_understands_yes_and_no_words():
    step = Step(
        id="confirm",
        kind="choice",
        field="ok",
        options=(Option("y", "Да"), Option("n", "Нет")),
    )
    assert answer_of(interpret_text(step, "ага")) == {"ok": "y"}
    assert answer_of(interpret_text(step, "конечно")) == {"ok": "y"}
    assert answer_of(interpret_text(step, "неа")) == {"ok": "n"}
    bools = Step(
        id="c", kind="choice", field="ok", options=(Option(True, "Sure"), Option(False, "Nah"))
    )
    assert answer_of(interpret_text(bools, "yep")) == {"ok": True}
    assert answer_of(interpret_text(bools, "nope")) == {"ok": False}


def test_choice_without_field_answers_under_the_step_id():
    step = Step(id="pick", kind="choice", options=(Option(1, "One"),))
    assert answer_of(interpret_text(step, "one")) == {"pick": 1}


def test_options_with_unhashable_values_still_match():
    step = Step(
        id="s", kind="choice", field="f", options=(Option({"code": 1}, "First"), Option([2], "Two"))
    )
    assert answer_of(interpret_text(step, "first")) == {"f": {"code": 1}}
    assert answer_of(interpret_digits(step, "2")) == {"f": [2]}


# --- asking for a person --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "оператор",
        "Оператора!",
        "позовите, пожалуйста, оператора",
        "соедините с оператором",
        "дайте живого человека",
        "хочу поговорить с человеком",
        "аператор",
        "у меня не работает карта позовите оператора",
        "Нет, оператора дайте",
        "operator",
        "I want to talk to a human",
        "Can I speak to an agent?",
        "real person please",
        "no, operator please",
    ],
)
def test_asking_for_a_person_is_recognised_in_any_step(text: str):
    for step in (RU_MENU, form("amount", {"type": "string"}), Step(id="m", kind="message")):
        result = interpret_text(step, text)
        assert result.wants_person, (step.kind, text)
        assert result.answer is None
        assert result.reason == "the customer asked for a person"


@pytest.mark.parametrize(
    "text",
    [
        "не нужен оператор",
        "no operator please",
        "без оператора",
        "оператор вчера сказал мне что карта будет готова через неделю",
        "операция по карте",
        "operation failed",
        "agenda",
    ],
)
def test_negated_incidental_or_lookalike_words_are_not_a_person_request(text: str):
    result = interpret_text(form("note", {"type": "string"}), text)
    assert not result.wants_person
    assert result.answer == {"note": text}


def test_person_phrases_are_configurable():
    policy = ReplyPolicy(person_phrases=("менеджер", "supervisor"))
    step = Step(id="m", kind="message")
    assert interpret_text(step, "позовите менеджера", policy).wants_person
    assert interpret_text(step, "get me a supervisor", policy=policy).wants_person
    assert not interpret_text(step, "оператор", policy).wants_person
    assert interpret_text(step, "оператор").wants_person


def test_policy_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_POLICY.person_digit = "9"  # type: ignore[misc]


def test_an_option_whose_label_is_a_person_word_wins_when_named_exactly():
    step = Step(
        id="s",
        kind="choice",
        field="f",
        options=(Option("mobile", "Оператор связи"), Option("bank", "Банк")),
    )
    assert answer_of(interpret_text(step, "оператор связи")) == {"f": "mobile"}
    assert interpret_text(step, "оператор").wants_person


def test_a_number_of_people_is_an_answer_not_a_person_request():
    step = form("guests", {"type": "integer"})
    assert answer_of(interpret_text(step, "4 человека")) == {"guests": 4}
    assert interpret_text(step, "позовите человека").wants_person


# --- form steps with one field --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("42", 42), ("1 234", 1234), ("1\u00a0234\u00a0567", 1234567), ("1,500", 1500),
     ("  -7 ", -7), ("двадцать пять", 25), ("сто двадцать три", 123), ("семнадцать", 17),
     ("twenty", 20), ("twenty-one", 21), ("one hundred and five", 105),
     ("5 тысяч рублей", 5000), ("about 300 please", 300), ("12.0", 12)],
)  # fmt: skip
def test_integer_field_reads_digits_and_number_words(text: str, value: int):
    result = answer_of(interpret_text(form("n", {"type": "integer"}), text))
    assert result == {"n": value}
    assert type(result["n"]) is int


@pytest.mark.parametrize(
    ("text", "value"),
    [("12.5", 12.5), ("1 234,5", 1234.5), ("1,234.56", 1234.56), ("0,75", 0.75), ("3", 3),
     ("три", 3)],
)  # fmt: skip
def test_number_field_reads_decimals_with_either_separator(text: str, value: float):
    assert answer_of(interpret_text(form("x", {"type": "number"}), text)) == {"x": value}


def test_integer_field_refuses_fractions_words_and_several_numbers():
    step = form("n", {"type": "integer"})
    assert missed(interpret_text(step, "12.5")) == "expected a whole number, got 12.5"
    assert missed(interpret_text(step, "many")) == "expected a number"
    assert "several numbers (3, 5)" in missed(interpret_text(step, "3 or 5"))


def test_number_bounds_are_the_validators_to_judge_naming_the_field():
    step = form("amount", {"type": "integer", "minimum": 100, "maximum": 5000})
    valid = checked(step)
    assert missed(interpret_text(step, "50", validator=valid)) == (
        "amount: 50 is less than the minimum of 100"
    )
    assert missed(interpret_text(step, "6000", validator=valid)) == (
        "amount: 6000 is greater than the maximum of 5000"
    )
    assert answer_of(interpret_text(step, "100", validator=valid)) == {"amount": 100}
    assert answer_of(interpret_text(step, "6000")) == {"amount": 6000}  # the step validates
    strict = form("x", {"type": "number", "exclusiveMinimum": 0})
    assert (
        missed(interpret_text(strict, "0", validator=checked(strict)))
        == "x: 0 is less than or equal to the minimum of 0"
    )


@pytest.mark.parametrize(
    "text", ["да", "Да!", "ага", "конечно", "угу", "ну да", "yes", "Yep", "sure", "ok", "конешно"]
)
def test_boolean_field_reads_yes(text: str):
    assert answer_of(interpret_text(form("ok", {"type": "boolean"}), text)) == {"ok": True}


@pytest.mark.parametrize("text", ["нет", "Не", "неа", "no", "nope", "not correct", "не верно"])
def test_boolean_field_reads_no(text: str):
    assert answer_of(interpret_text(form("ok", {"type": "boolean"}), text)) == {"ok": False}


@pytest.mark.parametrize("text", ["не знаю", "maybe", "да нет", "синий"])
def test_boolean_field_refuses_unsure_or_mixed_replies(text: str):
    missed(interpret_text(form("ok", {"type": "boolean"}), text))


@pytest.mark.parametrize(
    ("text", "value"),
    [("2026-11-23", "2026-11-23"), ("23.11.2026", "2026-11-23"), ("23/11/2026", "2026-11-23"),
     ("23.11.26", "2026-11-23"), ("сегодня", "2026-11-20"), ("today", "2026-11-20"),
     ("завтра", "2026-11-21"), ("Tomorrow!", "2026-11-21"), ("вчера", "2026-11-19"),
     ("yesterday", "2026-11-19"), ("послезавтра", "2026-11-22"),
     ("23 ноября 2026", "2026-11-23"), ("1 марта", "2026-03-01"),
     ("November 23rd, 2026", "2026-11-23"), ("on 5 May 2027", "2027-05-05")],
)  # fmt: skip
def test_date_field_reads_common_formats_relative_to_today(text: str, value: str):
    step = form("day", {"type": "string", "format": "date"})
    assert answer_of(interpret_text(step, text, today=TODAY)) == {"day": value}


def test_date_field_refuses_impossible_and_missing_dates():
    step = form("day", {"type": "string", "format": "date"})
    assert missed(interpret_text(step, "31.02.2026")) == "31.02.2026 is not a real date"
    assert "expected a date" in missed(interpret_text(step, "soon"))


def test_date_today_defaults_to_the_current_date():
    step = form("day", {"type": "string", "format": "date"})
    assert answer_of(interpret_text(step, "today")) == {"day": date.today().isoformat()}


def test_enum_field_is_matched_like_options_with_enum_names():
    step = Step(
        id="ask",
        kind="form",
        schema={
            "type": "object",
            "properties": {"plan": {"type": "string", "enum": ["basic", "premium"]}},
        },
        ui_schema={"plan": {"ui:enumNames": ["Базовый", "Премиум"]}},
    )
    assert answer_of(interpret_text(step, "премиум")) == {"plan": "premium"}
    assert answer_of(interpret_text(step, "базвый")) == {"plan": "basic"}
    assert answer_of(interpret_text(step, "1")) == {"plan": "basic"}
    one_of = form(
        "size", {"oneOf": [{"const": "s", "title": "Small"}, {"const": "l", "title": "Large"}]}
    )
    assert answer_of(interpret_text(one_of, "large please")) == {"size": "l"}


def test_plain_string_takes_any_text_within_its_constraints():
    step = form("note", {"type": "string", "minLength": 3, "maxLength": 12})
    valid = checked(step)
    assert answer_of(interpret_text(step, "  hello   there ", validator=valid)) == {
        "note": "hello there"
    }
    assert missed(interpret_text(step, "hi", validator=valid)) == "note: 'hi' is too short"
    assert missed(interpret_text(step, "x" * 13, validator=valid)) == (
        f"note: '{'x' * 13}' is too long"
    )
    assert missed(interpret_text(step, "   ", validator=valid)) == "the reply is empty"


def test_string_pattern_is_honoured_and_phone_noise_is_dropped_to_meet_it():
    step = form("account", {"type": "string", "pattern": "^[0-9]{8}$"})
    valid = checked(step)
    assert answer_of(interpret_text(step, "1234 5678", validator=valid)) == {"account": "12345678"}
    assert missed(interpret_text(step, "1234", validator=valid)) == (
        "account: '1234' does not match '^[0-9]{8}$'"
    )
    assert answer_of(interpret_text(step, "1234 5678")) == {"account": "1234 5678"}
    phone = form("phone", {"type": "string", "pattern": r"^\+7\d{10}$"})
    assert answer_of(interpret_text(phone, "+7 (912) 345-67-89", validator=checked(phone))) == {
        "phone": "+79123456789"
    }


def test_email_and_phone_formats():
    email = form("email", {"type": "string", "format": "email"})
    found = interpret_text(email, "my address is Ann.Lee@example.com, thanks")
    assert answer_of(found) == {"email": "Ann.Lee@example.com"}
    assert missed(interpret_text(email, "no idea")) == "expected one e-mail address"
    phone = form("tel", {"type": "string", "format": "phone"})
    assert answer_of(interpret_text(phone, "8 912 345-67-89")) == {"tel": "89123456789"}
    assert missed(interpret_text(phone, "12-34")) == "expected a phone number"


def test_single_field_is_the_only_property_or_the_only_required_one():
    spec = single_field(form("n", {"type": ["integer", "null"]}))
    assert spec is not None and (spec.name, spec.kind, spec.required) == ("n", "integer", True)
    two = Step(
        id="f",
        kind="form",
        schema={
            "properties": {"amount": {"type": "number"}, "comment": {"type": "string"}},
            "required": ["amount"],
        },
    )
    assert answer_of(interpret_text(two, "500")) == {"amount": 500}
    assert single_field(form("tags", {"type": "array"})) is None


def test_multi_field_form_needs_a_form_unless_the_reply_is_a_json_object():
    step = Step(
        id="f",
        kind="form",
        schema={
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name", "age"],
        },
    )
    assert missed(interpret_text(step, "Ann, 30")) == "this step needs a form"
    assert answer_of(interpret_text(step, ' {"name": "Ann", "age": 30} ')) == {
        "name": "Ann",
        "age": 30,
    }
    assert missed(interpret_text(step, "{not json}")) == "this step needs a form"
    assert missed(interpret_digits(step, "12")) == "this step needs a form"


def test_json_object_reply_is_taken_as_is_by_a_single_field_form():
    step = form("n", {"type": "integer"})
    assert answer_of(interpret_text(step, '{"n": 5}')) == {"n": 5}


def test_form_without_fields_is_acknowledged():
    step = Step(id="f", kind="form", schema={"type": "object", "properties": {}})
    assert answer_of(interpret_text(step, "ok")) == {}


# --- message, handoff, end ----------------------------------------------------------------------


def test_message_steps_are_acknowledged_by_any_reply():
    step = Step(id="hello", kind="message", text="Welcome!")
    assert answer_of(interpret_text(step, "whatever")) == {}
    assert answer_of(interpret_text(step, "")) == {}
    assert answer_of(interpret_digits(step, "5")) == {}
    assert answer_of(interpret_speech(step, "угу")) == {}


def test_end_and_handoff_steps_take_no_answer():
    end = Step(id="bye", kind="end")
    handoff = Step(id="op", kind="handoff")
    assert missed(interpret_text(end, "hello")) == "the dialogue is over"
    assert missed(interpret_digits(end, "1")) == "the dialogue is over"
    assert missed(interpret_speech(handoff, "ноль")) == "a person is taking over the dialogue"


# --- DTMF digits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "value"), [("1", "balance"), ("2", "tariff"), ("3#", "block"), (" 3 *", "block")]
)
def test_digits_select_options_by_position(digits: str, value: str):
    assert answer_of(interpret_digits(EN_MENU, digits)) == {"topic": value}


def test_digit_zero_asks_for_a_person_and_the_key_is_configurable():
    assert interpret_digits(EN_MENU, "0").wants_person
    assert interpret_digits(EN_MENU, "0#").wants_person
    policy = ReplyPolicy(person_digit="9")
    assert interpret_digits(EN_MENU, "9", policy).wants_person
    assert "no option 0" in missed(interpret_digits(EN_MENU, "0", policy))


def test_digits_out_of_range_or_not_keys_are_not_understood():
    assert missed(interpret_digits(EN_MENU, "4")) == "there is no option 4; press 1 to 3"
    assert missed(interpret_digits(EN_MENU, "12")) == "there is no option 12; press 1 to 3"
    assert missed(interpret_digits(EN_MENU, "#")) == "no keys were pressed"
    assert "not a sequence of phone keys" in missed(interpret_digits(EN_MENU, "1a"))
    assert "not a sequence of phone keys" in missed(interpret_digits(EN_MENU, "١"))


def test_digits_fill_numeric_boolean_date_and_string_fields():
    assert answer_of(interpret_digits(form("acc", {"type": "integer"}), "40817#")) == {"acc": 40817}
    bounded = form("amount", {"type": "number", "maximum": 1000})
    assert missed(interpret_digits(bounded, "5000", validator=checked(bounded))) == (
        "amount: 5000 is greater than the maximum of 1000"
    )
    yes_no = form("ok", {"type": "boolean"})
    assert answer_of(interpret_digits(yes_no, "1")) == {"ok": True}
    assert answer_of(interpret_digits(yes_no, "2")) == {"ok": False}
    assert missed(interpret_digits(yes_no, "3")) == "press 1 for yes or 2 for no"
    day = form("day", {"type": "string", "format": "date"})
    assert answer_of(interpret_digits(day, "23112026")) == {"day": "2026-11-23"}
    code = form("code", {"type": "string", "pattern": "^[0-9]{4}$"})
    assert answer_of(interpret_digits(code, "0042#", validator=checked(code))) == {"code": "0042"}
    assert "code: '42' does not match" in missed(
        interpret_digits(code, "42", validator=checked(code))
    )
    plan = form("plan", {"enum": ["basic", "premium"]})
    assert answer_of(interpret_digits(plan, "2")) == {"plan": "premium"}


# --- speech -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("speech", "value"),
    [("два", "tariff"), ("номер три", "block"), ("второй вариант", "tariff"),
     ("э-э баланс", "balance"), ("ну сменить тариф", "tariff"), ("один", "balance")],
)  # fmt: skip
def test_speech_reads_spoken_numbers_as_option_numbers(speech: str, value: str):
    assert answer_of(interpret_speech(RU_MENU, speech)) == {"topic": value}


def test_english_speech_reads_spoken_numbers():
    assert answer_of(interpret_speech(EN_MENU, "two")) == {"topic": "tariff"}
    assert answer_of(interpret_speech(EN_MENU, "um the third one")) == {"topic": "block"}
    assert answer_of(interpret_speech(EN_MENU, "check the balance")) == {"topic": "balance"}


def test_speech_joins_spoken_digit_groups_for_numeric_fields():
    step = form("account", {"type": "integer"})
    assert answer_of(interpret_speech(step, "один два три четыре")) == {"account": 1234}
    assert answer_of(interpret_speech(step, "12 34 56")) == {"account": 123456}
    assert answer_of(interpret_speech(step, "двадцать пять")) == {"account": 25}
    code = form("code", {"type": "string", "pattern": "^[0-9]{4}$"})
    spoken = interpret_speech(code, "один два три четыре", validator=checked(code))
    assert answer_of(spoken) == {"code": "1234"}


def test_spoken_zero_or_a_person_phrase_asks_for_a_person():
    assert interpret_speech(RU_MENU, "ноль").wants_person
    assert interpret_speech(EN_MENU, "zero").wants_person
    assert interpret_speech(EN_MENU, "uh operator").wants_person


def test_speech_reads_dates_and_yes_no():
    day = form("day", {"type": "string", "format": "date"})
    spoken = interpret_speech(day, "двадцать третье ноября", today=TODAY)
    assert answer_of(spoken) == {"day": "2026-11-23"}
    assert answer_of(interpret_speech(form("ok", {"type": "boolean"}), "угу")) == {"ok": True}
