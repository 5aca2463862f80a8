"""The operator player and the <cuebook-player> component in headless Chromium."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import FIXTURES, SAMPLES
from tests.e2e.harness import Live, drive

pytestmark = pytest.mark.browser

OUTAGE = SAMPLES / "internet_outage"

OPERATOR_PLAN: list[dict[str, Any]] = [
    {"step": "identify", "keyboard": True, "fill": {"customer_ref": "100234567"}},
    {"step": "confirm_identity", "keyboard": True, "choose": "yes"},
    {"step": "ask_symptom", "choose": "no_connection"},
    {"step": "symptom_details", "back": True},
    {"step": "ask_symptom", "choose": "no_connection"},
    {
        "step": "symptom_details",
        "fill": {"problem_since": "days", "devices_affected": 3, "cable_checked": True},
    },
    {"step": "modem_lights", "choose": "all_green"},
    {"step": "reboot", "continue": True},
    {"step": "reboot_result", "choose": "not_fixed"},
    {"step": "summary", "continue": True},
    {"step": "closing", "fill": {"call_note": "Line checked"}, "expect_error": "ticket_number"},
    {"step": "closing", "fill": {"ticket_number": "12345678"}},
    {"end": True},
]


def test_operator_walks_the_outage_script(
    live: Live, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(OUTAGE, key)
    result = drive(
        "operator_walk.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=tokens["operator"],
        CUEBOOK_SCRIPT=key,
        CUEBOOK_PLAN=json.dumps(OPERATOR_PLAN),
    )
    assert result["signinUrl"].startswith(f"{live.url}/player/signin?next=")
    assert result["badSignin"] == "This token is not valid."
    assert result["afterSignin"] == f"{live.url}/player/"
    assert key in result["scripts"]
    steps = result["steps"]
    assert [s["id"] for s in steps[:-1]] == [a["step"] for a in OPERATOR_PLAN[:-1]]

    first = steps[0]
    assert first["where"] == "Нет интернета: техподдержка | version 1 | step 1"
    assert first["focused"] == "step-heading"
    assert first["heading"] == "Приветствие и идентификация"
    assert first["say"].startswith("SAY\n\n") and len(first["say"]) > 40
    assert first["hints"].startswith("HINT\n\n") and len(first["hints"]) > 40
    assert not first["canGoBack"]

    confirm = steps[1]
    assert "100234567" in confirm["say"]
    assert confirm["where"].endswith(" | step 2")

    back_from, back_to = steps[3], steps[4]
    assert back_from["canGoBack"]
    assert back_to["id"] == "ask_symptom"
    assert steps[5]["values"]["problem_since"] == "today"
    assert steps[5]["values"]["devices_affected"] == "1"

    invalid = steps[11]
    assert invalid["focused"] == "error-summary"
    assert invalid["summary"].startswith("Check the answer")
    assert invalid["errors"] == [
        {"field": "ticket_number", "text": "Fill this in.", "describes": True}
    ]
    assert invalid["values"]["call_note"] == "Line checked"
    assert invalid["values"]["customer_satisfied"] == "true"
    assert invalid["values"]["action"] == "Передано на вторую линию"
    assert invalid["values"]["action:sent"] == "escalate_l2"

    end = steps[-1]
    assert end["status"] == "completed"
    assert end["heading"] == "Conversation finished"
    assert result["backLink"] == "Back to the scripts"
    assert result["pageErrors"] == []
    unexpected = [m for m in result["console"] if not re.search(r"status of (401|422)\b", m)]
    assert unexpected == []


COMPONENT_PLAN: list[dict[str, Any]] = [
    {"step": "identify", "fill": {"customer_ref": "100234567"}},
    {"step": "confirm_identity", "keyboard": True, "choose": "yes"},
    {"step": "ask_symptom", "choose": "no_connection"},
    {"step": "symptom_details", "back": True},
    {"step": "ask_symptom", "choose": "no_connection"},
    {"step": "symptom_details", "fill": {"devices_affected": 2, "symptom_note": "Since noon"}},
    {"step": "modem_lights", "choose": "los_red"},
    {"step": "reboot", "continue": True},
    {"step": "reboot_result", "choose": "not_fixed"},
    {
        "step": "book_visit",
        "fill": {"visit_date": "2030-05-14", "visit_slot": "12-15", "contact_phone": "123"},
        "expect_error": "contact_phone",
    },
    {"step": "book_visit", "fill": {"contact_phone": "+79031234567"}},
    {"step": "visit_confirmed", "continue": True},
    {"step": "closing", "fill": {"call_note": "Visit booked"}},
    {"end": True},
]

EVENTS_SCRIPT = """<script>
window.cuebookEvents = [];
for (const type of ["step", "end", "error"]) {
  document.addEventListener("cuebook-" + type, (e) => window.cuebookEvents.push({
    type, id: e.detail.step ? e.detail.step.id : null, status: e.detail.status,
    composed: e.composed, bubbles: e.bubbles, target: e.target.tagName.toLowerCase(),
  }));
}
</script>"""


def crm_page(app_url: str, token: str, key: str) -> str:
    return f"""<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>CRM</title><link rel="icon" href="data:,">
{EVENTS_SCRIPT}
<script src="{app_url}/player/cuebook-player.js"></script>
</head><body>
<h1>CRM: карточка клиента</h1>
<cuebook-player api="{app_url}" token="{token}" script="{key}"></cuebook-player>
</body></html>"""


def frame_page(app_url: str) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>CRM</title>
<link rel="icon" href="data:,"></head>
<body><iframe src="{app_url}/player/signin" title="Cuebook" width="800" height="500"></iframe>
</body></html>"""


def test_component_walks_the_outage_script_from_another_origin(
    live: Live, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(OUTAGE, key)
    live.pages.files["/crm.html"] = crm_page(live.url, tokens["operator"], key)
    live.pages.files["/frame.html"] = frame_page(live.url)
    foreign = live.pages.origin.replace("127.0.0.1", "localhost")
    result = drive(
        "component_walk.js",
        CUEBOOK_PAGE=f"{live.pages.origin}/crm.html",
        CUEBOOK_FRAME_PAGE=f"{live.pages.origin}/frame.html",
        CUEBOOK_FOREIGN_FRAME_PAGE=f"{foreign}/frame.html",
        CUEBOOK_PLAN=json.dumps(COMPONENT_PLAN),
    )
    steps = result["steps"]
    walked = [s["action"].get("step") for s in steps if "step" in s["action"]]
    assert walked == [a["step"] for a in COMPONENT_PLAN if "step" in a]

    first = steps[0]
    assert first["heading"] == "Приветствие и идентификация"
    assert first["where"] == f"{key} · version 1 · step 1"
    assert first["say"].startswith("Say")
    assert first["hints"].startswith("Hint")
    assert first["focused"] is None
    assert first["labelsTied"]
    for later in steps[1:-1]:
        assert later["focused"] in ("h2", "f-contact_phone"), later
    assert steps[4]["canGoBack"] is False and steps[3]["canGoBack"] is True

    visit = steps[9]
    assert visit["values"]["contract_number"] == "100234567"
    error = steps[10]
    assert error["action"] == {"error_of": "contact_phone"}
    assert error["focused"] == "f-contact_phone"
    assert error["errors"] == [
        {
            "id": "f-contact_phone-error",
            "text": "This does not have the expected format.",
            "describes": True,
        }
    ]
    assert error["values"]["visit_date"] == "2030-05-14"
    assert error["values"]["visit_slot"] == "12-15"

    events = result["events"]
    kinds = [e["type"] for e in events]
    assert kinds.count("error") == 1
    assert kinds[-2:] == ["step", "end"]
    end = events[-1]
    assert end["status"] == "completed" and end["id"] == "end_done"
    assert all(e["composed"] and e["bubbles"] and e["target"] == "cuebook-player" for e in events)
    assert steps[-1]["heading"] == "Conversation finished"

    assert result["framed"] == "Sign in"
    assert result["foreignFramed"] != "Sign in"
    assert result["pageErrors"] == []
    expected = (
        r"status of 422\b",
        r"^Blocked autofocusing on a <h1> element in a cross-origin subframe",
        r"^Framing '.*' violates the following Content Security Policy directive: \"frame-anc",
    )
    unexpected = [m for m in result["console"] if not any(re.search(e, m) for e in expected)]
    assert unexpected == []


def test_a_spiffarena_form_in_the_player(
    live: Live, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    """A form drawn in SpiffArena, options from task data and every UI-schema widget."""
    folder = FIXTURES / "spiffarena" / "support" / "billing" / "refund-request"
    manifest = b'{"primary_process_id": "Process_refund_request_q3b8", "title": "Refund"}'
    deploy(folder, key, {"cuebook.json": manifest})
    result = drive(
        "spiffarena_form.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=tokens["operator"],
        CUEBOOK_SCRIPT=key,
    )
    assert result["ok"], result.get("error")
    assert result["pageErrors"] == [] and result["console"] == []
    widgets = result["widgets"]
    order = sorted(widgets, key=lambda n: widgets[n]["order"])
    assert order == [
        "account_id",
        "reason",
        "channel",
        "amount",
        "charge_date",
        "services",
        "details",
        "urgent",
        "internal_code",
    ]
    first = widgets["account_id"]["controls"][0]
    assert first["readonly"] and first["value"] == "ACC-1001"
    assert widgets["account_id"]["help"] == "From the CRM"
    reason = widgets["reason"]["controls"][0]
    assert reason["tag"] == "select"
    assert reason["options"][-3:] == ["Double charge", "Service outage", "Wrong tariff"]
    assert [c["type"] for c in widgets["channel"]["controls"]] == ["radio"] * 3
    assert widgets["amount"]["controls"][0]["placeholder"] == "0.00"
    assert widgets["charge_date"]["controls"][0]["type"] == "date"
    assert [c["type"] for c in widgets["services"]["controls"]] == ["checkbox"] * 3
    details = widgets["details"]["controls"][0]
    assert details["tag"] == "textarea" and details["rows"] == 4
    assert details["placeholder"] == "In the customer's words"
    assert widgets["details"]["help"] == "Two or three sentences are enough"
    assert widgets["internal_code"]["controls"] == [
        {
            "tag": "input",
            "type": "hidden",
            "readonly": False,
            "placeholder": "",
            "rows": 0,
            "options": [],
            "value": "RF-7",
        }
    ]
    assert result["end"] == (
        "Refund requested: Service outage, 12.5 charged on 2026-11-30. We answer by email."
    )
