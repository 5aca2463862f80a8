"""Chat and IVR renderers turn the channel-neutral StepView into each channel's JSON."""

from __future__ import annotations

import re
from typing import Any

import pytest
from defusedxml import ElementTree

from engine.errors import MalformedInput
from engine.model import Handoff, Option, Progress, Step, StepView, VersionRef
from engine.replies import ReplyPolicy
from player.renderers import RENDERERS, render, render_chat, render_ivr, render_web
from player.renderers.chunks import split_message
from player.renderers.markdown import chat_text, markdown_html, speakable_paragraphs

VERSION = VersionRef("support", 4)
RU_MENU = Step(
    id="menu",
    kind="choice",
    title="Меню",
    text="**Здравствуйте!** Чем помочь?",
    field="topic",
    options=(
        Option("balance", "Баланс", ("остаток",)),
        Option("tariff", "Сменить тариф"),
    ),
)
EN_MENU = Step(
    id="menu",
    kind="choice",
    text="How can I help?",
    field="topic",
    options=(Option("balance", "Balance", ("money left",)), Option("rates", "Rates & <fees>")),
)


def view(step: Step | None, **changes: Any) -> StepView:
    values: dict[str, Any] = {
        "session_id": "s-1",
        "status": "waiting",
        "step_token": "tok-7",
        "version": VERSION,
        "step": step,
    }
    values.update(changes)
    return StepView(**values)


def form(name: str, schema: dict[str, Any], text: str = "Введите значение") -> Step:
    return Step(
        id="ask",
        kind="form",
        text=text,
        schema={"type": "object", "properties": {name: schema}, "required": [name]},
    )


def speak_root(ssml: str) -> Any:
    root = ElementTree.fromstring(ssml)
    assert root.tag == "speak"
    return root


def spoken(ssml: str) -> str:
    return "".join(speak_root(ssml).itertext())


# --- render() ------------------------------------------------------------------------------------


def test_render_dispatches_by_kind_and_web_is_the_json_view():
    current = view(RU_MENU)
    assert render(current, "web") == render_web(current)
    assert render(current, "chat") == render_chat(current)
    assert render(current, "ivr") == render_ivr(current)
    assert set(RENDERERS) == {"web", "chat", "ivr"}


def test_web_json_carries_the_text_as_html_and_every_choice_fields_options():
    schema = {
        "type": "object",
        "properties": {
            "slot": {"oneOf": [{"const": "am", "title": "Morning"}, {"const": "pm"}]},
            "note": {"type": "string"},
        },
    }
    step = Step(
        id="f",
        kind="form",
        text="Say **this** <b>now</b>",
        hints="- one\n- two",
        schema=schema,
        field_options={"slot": (Option("am", "Morning", ("early",)), Option("pm", "pm"))},
    )
    out = render_web(view(step))["step"]
    assert out["text_html"] == "<p>Say <strong>this</strong> &lt;b&gt;now&lt;/b&gt;</p>"
    assert out["hints_html"] == "<ul><li>one</li><li>two</li></ul>"
    assert out["field_options"] == {
        "slot": [{"value": "am", "label": "Morning"}, {"value": "pm", "label": "pm"}]
    }
    assert render_web(view(RU_MENU))["step"]["options"] == [
        {"value": "balance", "label": "Баланс"},
        {"value": "tariff", "label": "Сменить тариф"},
    ]


def test_unknown_render_is_a_bad_request_naming_the_choices():
    with pytest.raises(MalformedInput) as caught:
        render(view(RU_MENU), "fax")
    assert str(caught.value) == "unknown render 'fax'; use one of chat, ivr, web"
    assert caught.value.details[0].path == "render"


# --- chat ----------------------------------------------------------------------------------------


def test_chat_choice_has_text_buttons_and_choice_input():
    out = render_chat(view(RU_MENU, progress=Progress(steps_taken=3)))
    assert out["session_id"] == "s-1"
    assert out["status"] == "waiting"
    assert out["step_token"] == "tok-7"
    assert out["version"] == {"script": "support", "number": 4}
    assert out["messages"] == [{"type": "text", "text": "Здравствуйте! Чем помочь?"}]
    assert out["buttons"] == [
        {"value": "balance", "label": "Баланс"},
        {"value": "tariff", "label": "Сменить тариф"},
    ]
    assert out["input"] == {"type": "choice", "required": True, "field": "topic"}
    assert out["progress"] == {"steps_taken": 3}
    assert out["handoff"] is None
    assert out["notice"] is None


def test_chat_notice_comes_first_as_its_own_message():
    notice = "Извините, я не понял (1 из 3)."
    out = render_chat(view(RU_MENU, notice=notice, misses=1))
    assert out["messages"][0] == {"type": "text", "text": notice}
    assert out["messages"][1]["text"].startswith("Здравствуйте!")
    assert out["notice"] == notice
    assert out["misses"] == 1


def test_chat_long_text_is_split_at_paragraphs_as_plain_text():
    paragraphs = [f"**Part {n}.** " + "word " * 40 for n in range(6)]
    step = Step(id="info", kind="message", text="\n\n".join(p.strip() for p in paragraphs))
    out = render_chat(view(step), max_message_chars=500)
    texts = [m["text"] for m in out["messages"]]
    assert len(texts) > 1
    assert all(len(t) <= 500 for t in texts)
    assert all(t.startswith("Part ") for t in texts)
    assert "\n\n".join(texts) == step.text.replace("**", "")


def test_chat_boolean_form_gets_yes_no_buttons():
    out = render_chat(view(form("agree", {"type": "boolean"}, "Вы согласны?"), language="ru"))
    assert out["input"] == {"type": "boolean", "required": True, "field": "agree"}
    assert out["buttons"] == [{"value": True, "label": "Да"}, {"value": False, "label": "Нет"}]
    english = render_chat(view(form("agree", {"type": "boolean"}, "Do you agree?")))
    assert [b["label"] for b in english["buttons"]] == ["Yes", "No"]


@pytest.mark.parametrize(
    ("schema", "kind"),
    [
        ({"type": "integer"}, "integer"),
        ({"type": "number"}, "number"),
        ({"type": "string", "format": "date"}, "date"),
        ({"type": "string"}, "text"),
    ],
)
def test_chat_single_field_input_type_follows_the_schema(schema: dict[str, Any], kind: str):
    out = render_chat(view(form("value", schema)))
    assert out["input"] == {"type": kind, "required": True, "field": "value"}
    assert out["buttons"] == []


def test_chat_text_field_reports_its_format_and_enum_fields_offer_buttons():
    email = render_chat(view(form("email", {"type": "string", "format": "email"})))
    assert email["input"]["format"] == "email"
    plan = render_chat(view(form("plan", {"enum": ["a", "b"], "enumNames": ["Plan A", "Plan B"]})))
    assert plan["input"]["type"] == "choice"
    assert plan["buttons"] == [{"value": "a", "label": "Plan A"}, {"value": "b", "label": "Plan B"}]


def test_chat_multi_field_form_sends_the_schema():
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    step = Step(id="f", kind="form", text="Your details", schema=schema, ui_schema={"age": {}})
    out = render_chat(view(step))
    assert out["input"]["type"] == "form"
    assert out["input"]["schema"] == schema
    assert out["input"]["ui_schema"] == {"age": {}}
    assert out["input"]["field"] is None


def test_chat_message_step_offers_a_continue_button():
    out = render_chat(view(Step(id="hi", kind="message", text="Welcome to the bank.")))
    assert out["input"] == {"type": "none", "required": False, "field": None}
    assert out["buttons"] == [{"value": None, "label": "Continue"}]


def test_chat_end_shows_the_closing_text_and_no_input():
    step = Step(id="bye", kind="end", text="Всего доброго!")
    out = render_chat(view(step, status="completed", step_token=None))
    assert out["messages"] == [{"type": "text", "text": "Всего доброго!"}]
    assert out["input"]["type"] == "none"
    assert out["buttons"] == []
    empty = render_chat(view(None, status="completed", step_token=None, language="ru"))
    assert empty["messages"] == [{"type": "text", "text": "Спасибо! Разговор завершён."}]
    failed = render_chat(view(None, status="failed"), language="en")
    assert failed["messages"][0]["text"] == "Sorry, something went wrong."


def test_chat_handoff_carries_queue_and_reason():
    handoff = Handoff(queue="cards", reason="the customer asked for a person")
    out = render_chat(view(RU_MENU, status="handed_off", handoff=handoff, language="ru"))
    assert out["handoff"] == {"queue": "cards", "reason": "the customer asked for a person"}
    assert out["input"]["type"] == "none"
    assert out["buttons"] == []
    assert out["messages"] == [
        {"type": "text", "text": "Передаю разговор оператору, он скоро ответит."}
    ]
    own = Step(id="op", kind="form", text="Connecting you to a card specialist.")
    at_step = Handoff("cards", "step op needs a person", "step_needs_person")
    shown = render_chat(view(own, status="handed_off", handoff=at_step))
    assert shown["messages"][0]["text"] == own.text


# --- message splitting -----------------------------------------------------------------------


def test_short_text_is_one_message_and_blank_text_none():
    assert split_message("  Hello *there*  ") == ["Hello *there*"]
    assert split_message(" \n ") == []


def test_long_paragraph_is_split_at_sentences():
    text = " ".join(f"Sentence number {n} ends here." for n in range(30))
    parts = split_message(text, 120)
    assert all(len(p) <= 120 for p in parts)
    assert all(p.endswith("ends here.") for p in parts)
    assert " ".join(parts) == text


def test_lines_then_words_then_characters_are_the_last_resorts():
    listing = "\n".join(f"- item {n}" for n in range(20))
    parts = split_message(listing, 40)
    assert all(len(p) <= 40 for p in parts)
    assert "\n".join(parts) == listing
    words = split_message("a" * 30 + " " + "b" * 30, 40)
    assert words == ["a" * 30, "b" * 30]
    assert split_message("c" * 25, 10) == ["c" * 10, "c" * 10, "c" * 5]


def test_message_limit_must_be_positive():
    with pytest.raises(ValueError, match="must be positive"):
        split_message("text", 0)


# --- IVR -----------------------------------------------------------------------------------------


def test_ivr_choice_in_english_reads_options_and_escapes_labels():
    out = render_ivr(view(EN_MENU), language="en")
    ssml = out["ssml"]
    speak_root(ssml)
    assert ssml.startswith('<speak>How can I help?<break time="300ms"/>')
    assert "Press 1 for Balance." in ssml
    assert "Press 2 for Rates &amp; &lt;fees&gt;." in ssml
    assert ssml.endswith("Press 0 for an operator.</speak>")
    assert out["dtmf"] == {"1": "balance", "2": "rates"}
    assert out["speech_hints"] == ["Balance", "money left", "Rates & <fees>"]
    assert out["max_digits"] == 1
    assert out["timeout_s"] == 8
    assert out["expects"] == "choice"
    assert out["handoff"] is None


def test_ivr_speaks_the_scripts_language_and_markdown_is_not_read_out():
    out = render_ivr(view(RU_MENU, language="ru"))
    text = spoken(out["ssml"])
    assert "Здравствуйте! Чем помочь?" in text
    assert "*" not in text
    assert "Нажмите 1, чтобы выбрать: Баланс." in text
    assert "Нажмите 2, чтобы выбрать: Сменить тариф." in text
    assert "Чтобы поговорить с оператором, нажмите 0." in text
    assert out["language"] == "ru"
    assert out["ssml"].count('<break time="300ms"/>') == 3


def test_ivr_language_is_auto_detected_or_given():
    assert render_ivr(view(EN_MENU))["language"] == "en"
    assert render_ivr(view(RU_MENU), language="en-US")["language"] == "en"
    with pytest.raises(MalformedInput, match="unknown language 'de'; use one of en, ru"):
        render_ivr(view(RU_MENU), language="de")


def test_ivr_person_key_follows_the_policy():
    out = render_ivr(view(EN_MENU), policy=ReplyPolicy(person_digit="9"))
    assert "Press 9 for an operator." in out["ssml"]
    assert out["person_digit"] == "9"


def test_ivr_notice_is_spoken_first_and_escaped():
    out = render_ivr(view(EN_MENU, notice="Sorry, I didn't get <that> (1 of 3)."))
    assert out["ssml"].startswith("<speak>Sorry, I didn't get &lt;that&gt; (1 of 3).<break")
    assert out["notice"] == "Sorry, I didn't get <that> (1 of 3)."


def test_ivr_uses_the_step_voice_ssml_as_is():
    voice = '<speak>Добрый день! <break time="1s"/> <emphasis>Слушаю</emphasis>.</speak>'
    step = Step(id="m", kind="choice", text="**ignored**", voice=voice, options=RU_MENU.options)
    ssml = render_ivr(view(step))["ssml"]
    speak_root(ssml)
    assert ssml.startswith(
        '<speak>Добрый день! <break time="1s"/> <emphasis>Слушаю</emphasis>.<break time="300ms"/>'
    )
    assert "ignored" not in ssml


def test_ivr_plain_voice_is_escaped_and_broken_ssml_is_read_as_text():
    plain = Step(id="m", kind="message", text="Text", voice="Rates < 5% & more")
    assert render_ivr(view(plain))["ssml"] == "<speak>Rates &lt; 5% &amp; more</speak>"
    broken = Step(id="m", kind="message", voice="<speak>Hello <b>world</speak>")
    ssml = render_ivr(view(broken))["ssml"]
    speak_root(ssml)
    assert spoken(ssml) == "Hello world"


def test_ivr_message_step_expects_only_an_acknowledgement():
    out = render_ivr(view(Step(id="m", kind="message", text="Ваш баланс: **500 ₽**.")))
    assert out["ssml"] == "<speak>Ваш баланс: 500 ₽.</speak>"
    assert out["dtmf"] == {}
    assert out["expects"] == "ack"


def test_ivr_numeric_field_limits_come_from_the_schema():
    amount = render_ivr(view(form("amount", {"type": "integer", "maximum": 50000}), language="ru"))
    assert amount["max_digits"] == 5
    assert amount["timeout_s"] > 8
    assert amount["expects"] == "digits"
    assert amount["dtmf"] == {}
    assert "Введите число на клавиатуре телефона и нажмите решётку." in spoken(amount["ssml"])
    account = render_ivr(view(form("acc", {"type": "integer"})))
    assert account["max_digits"] == 20
    code = render_ivr(view(form("code", {"type": "string", "maxLength": 6})))
    assert code["max_digits"] == 6
    assert code["expects"] == "speech"
    day = render_ivr(view(form("day", {"type": "string", "format": "date"}, "Date?")))
    assert day["max_digits"] == 8
    assert "Enter the date as eight digits" in day["ssml"]


def test_ivr_boolean_field_maps_one_and_two():
    out = render_ivr(view(form("ok", {"type": "boolean"}, "Do you agree?")))
    assert out["dtmf"] == {"1": True, "2": False}
    assert "Press 1 for yes or 2 for no." in out["ssml"]
    assert out["speech_hints"] == ["Yes", "No"]
    assert out["max_digits"] == 1


def test_ivr_more_than_nine_options_need_two_digits():
    options = tuple(Option(n, f"Branch {n}") for n in range(1, 13))
    out = render_ivr(view(Step(id="b", kind="choice", text="Pick a branch", options=options)))
    assert out["max_digits"] == 2
    assert out["dtmf"]["12"] == 12
    assert "Press 12 for Branch 12." in out["ssml"]


def test_ivr_handoff_and_end_say_transfer_or_goodbye_with_no_keys():
    handoff = render_ivr(
        view(
            RU_MENU, status="handed_off", handoff=Handoff(queue="q", reason="asked"), language="ru"
        )
    )
    assert spoken(handoff["ssml"]) == "Соединяю вас с оператором. Пожалуйста, оставайтесь на линии."
    assert handoff["dtmf"] == {}
    assert handoff["max_digits"] == 0
    assert handoff["handoff"] == {"queue": "q", "reason": "asked"}
    end = render_ivr(view(Step(id="e", kind="end", text="Thanks, bye!"), status="completed"))
    assert end["ssml"] == "<speak>Thanks, bye!</speak>"
    assert end["dtmf"] == {}
    done = render_ivr(view(None, status="completed"), language="en")
    assert done["ssml"] == "<speak>Thank you for calling. Goodbye.</speak>"
    assert done["person_digit"] is None


def test_ivr_output_is_always_well_formed_ssml():
    tricky = Step(
        id="t",
        kind="choice",
        text='# Title\n\nUse "quotes" & 1 < 2 > 0 & [links](http://x?a=1&b=2) <i>',
        options=(Option("x", 'A "B" <C> & D'),),
    )
    ssml = render_ivr(view(tricky))["ssml"]
    text = spoken(ssml)
    assert "Title." in text
    assert 'Use "quotes" & 1 < 2 > 0 & links' in text
    assert "http" not in text
    assert re.search(r"A \"B\" <C> & D", text)


# --- Markdown for voice --------------------------------------------------------------------------


def test_markdown_marks_links_and_tags_are_removed_for_voice():
    text = (
        "## Your card\n\n"
        "Your **new** card is _ready_. See [the site](https://bank.example/cards) or "
        "`*100#`.\n\n"
        "- pick it up\n- sign it\n\n"
        "> note: <b>bring</b> ID\n\n---\n\n"
        "![logo](logo.png)"
    )
    assert speakable_paragraphs(text) == [
        "Your card.",
        "Your new card is ready. See the site or *100#.",
        "pick it up. sign it.",
        "note: bring ID",
        "logo",
    ]


def test_markdown_keeps_numbers_and_snake_case_words():
    assert speakable_paragraphs("1. call_me_back at 10*2\n2. done") == [
        "1. call_me_back at 10*2. 2. done."
    ]
    # CommonMark: "2)" starts another list, so another paragraph.
    assert speakable_paragraphs("1. one\n2) two") == ["1. one.", "2. two."]


# --- Markdown for the player and for chat ---------------------------------------------------------


def test_markdown_html_escapes_raw_html_and_keeps_breaks_lists_and_safe_links():
    assert markdown_html("<b>Hi</b> & <script>x()</script>") == (
        "<p>&lt;b&gt;Hi&lt;/b&gt; &amp; &lt;script&gt;x()&lt;/script&gt;</p>"
    )
    assert markdown_html("one\ntwo\n\nthree") == "<p>one<br>two</p><p>three</p>"
    assert markdown_html("- a\n- **b**") == "<ul><li>a</li><li><strong>b</strong></li></ul>"
    assert markdown_html("See [the site](https://bank.example/?a=1&b=2).") == (
        '<p>See <a href="https://bank.example/?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer">the site</a>.</p>'
    )
    assert "<a" not in markdown_html("[click](javascript:alert(1))")
    assert "<a" not in markdown_html('<a href="https://x.example">x</a>')
    assert markdown_html(" \n ") == ""


def test_chat_text_is_plain_with_lists_links_and_code():
    text = (
        "# Card\n\n**Hello**, see [the site](https://bank.example) or <https://x.example>.\n"
        "Second line <i>here</i>.\n\n"
        "- pick it up\n- sign it\n  1. twice\n\n"
        "```\ncode *kept*\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert chat_text(text) == (
        "Card\n\n"
        "Hello, see the site (https://bank.example) or https://x.example.\nSecond line here.\n\n"
        "• pick it up\n• sign it\n  1. twice\n\n"
        "code *kept*\n\n"
        "a | b\n1 | 2"
    )
    assert speakable_paragraphs(text)[:3] == [
        "Card.",
        "Hello, see the site or https://x.example. Second line here.",
        "pick it up. sign it. 1. twice.",
    ]


def test_ivr_asks_for_keys_for_a_digits_only_text_field():
    account = form("account", {"type": "string", "pattern": "^[0-9]{6,10}$", "maxLength": 10})
    out = render_ivr(view(account))
    assert out["expects"] == "digits"
    assert out["max_digits"] == 10
    words = form("name", {"type": "string", "pattern": "^[a-z]+$"})
    assert render_ivr(view(words))["expects"] == "speech"
