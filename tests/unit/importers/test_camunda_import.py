"""Camunda 7 models imported: each bundle validates, the report says what happened, the
command exits 0 (all translated), 3 (some elements marked) or 1 (not a Camunda 7 model)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cuebook.cli import main
from engine.bpmn.bundle import bundle_from_path
from engine.bpmn.compiler import compile_bundle, validate_bundle
from importers.camunda import REPORT_FILE, NotAModel, import_camunda, write_bundle
from importers.camunda.report import MARKED, TRANSLATED

MODELS = Path(__file__).resolve().parents[2] / "fixtures" / "camunda"

COMPLETE = [
    "loan_approval.bpmn",
    "dish_decision",
    "dish_project.zip",
    "timers.bpmn",
    "message_catch.bpmn",
    "input_output.bpmn",
    "start_form_call.bpmn",
    "errors.bpmn",
]
MARKED_MODELS = [
    "service_tasks.bpmn",
    "candidate_groups.bpmn",
    "scripts.bpmn",
    "listeners.bpmn",
    "conditions.bpmn",
    "decisions_dmn11",
    "multi_instance.bpmn",
    "camunda_forms",
    "default_namespace.bpmn",
]
NOT_CAMUNDA = ["not_camunda.bpmn", "zeebe.bpmn", "not_a_model.csv"]


def imported(name: str, tmp_path: Path) -> tuple[Path, str]:
    out = tmp_path / "bundle"
    result = import_camunda(MODELS / name)
    write_bundle(result, out)
    return out, result.report.render(str(out))


@pytest.mark.parametrize("name", COMPLETE + MARKED_MODELS)
def test_every_model_imports_into_a_bundle_that_validates(name: str, tmp_path: Path) -> None:
    result = import_camunda(MODELS / name)
    assert result.report.validation == []
    assert result.report.complete is (name in COMPLETE)
    out = tmp_path / "bundle"
    write_bundle(result, out)
    assert validate_bundle(bundle_from_path(out)) == []
    for file in out.glob("*.bpmn"):
        assert b"camunda.org/schema" not in file.read_bytes()
    assert (out / REPORT_FILE).read_text().startswith("Camunda 7 import:")


@pytest.mark.parametrize(
    ("name", "code"),
    [(n, 0) for n in COMPLETE] + [(n, 3) for n in MARKED_MODELS] + [(n, 1) for n in NOT_CAMUNDA],
)
def test_exit_codes_and_the_bundle_passes_cuebook_validate(
    name: str, code: int, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(main, ["import", "camunda", str(MODELS / name), "--out", str(out)])
    assert result.exit_code == code, result.output
    if code == 1:
        assert "error:" in result.output and not out.exists()
        return
    assert result.output.startswith("Camunda 7 import:")
    checked = runner.invoke(main, ["validate", "--offline", str(out)])
    assert checked.exit_code == 0, checked.output


def test_an_output_folder_holding_a_bundle_needs_force(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["import", "camunda", str(MODELS / "timers.bpmn"), "--out", str(tmp_path)]
    assert runner.invoke(main, args).exit_code == 0
    again = runner.invoke(main, args)
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(main, [*args, "--force"]).exit_code == 0


def test_loan_approval_forms_gateways_and_queues(tmp_path: Path) -> None:
    out, report = imported("loan_approval.bpmn", tmp_path)
    schema = json.loads((out / "application.schema.json").read_text())
    assert schema["required"] == ["customer_name", "amount"]
    assert schema["properties"]["amount"]["minimum"] == 100
    assert json.loads((out / "cuebook.json").read_text())["primary_process_id"] == "loan_approval"
    compiled = compile_bundle(bundle_from_path(out))
    steps = {s.id: s for s in compiled.steps.values()}
    assert steps["application"].kind == "form"
    assert steps["application"].handoff_queue == "loan_officers"
    assert steps["application"].lane == "loan_officers"
    assert steps["review"].handoff_queue == "risk" and steps["review"].needs_person
    assert "-> amount > 1000 and customer_name not in (None, '', [], {})" in report
    assert "${!approved} -> not approved" in report
    assert "other groups management left out" in report
    assert "marked: 0" in report


def test_delegates_become_placeholders_with_integration_stubs(tmp_path: Path) -> None:
    out, report = imported("service_tasks.bpmn", tmp_path)
    result = import_camunda(MODELS / "service_tasks.bpmn")
    marked = {e.element for e in result.report.by_status(MARKED)}
    assert marked == {"score", "notify", "archive", "crm", "http_call", "mail"}
    assert [s.name for s in result.report.stubs] == [
        "credit_score", "branch_notifier", "archive_service_store", "crm_update", "http_call",
        "mail_sender",
    ]  # fmt: skip
    assert result.report.stubs[0].parameters == ("customer_id",)
    assert "new_limit = limit * 2" in report
    assert "url=https://bureau.example.com/score" in report
    text = (out / "service_tasks.bpmn").read_text()
    assert "credit_score" in text and "archive_id = None" in text
    assert "<bpmn:serviceTask" not in text and "customer_id = customer_id\n#" in text


def test_scripts_groovy_kept_as_comments_juel_translated(tmp_path: Path) -> None:
    out, report = imported("scripts.bpmn", tmp_path)
    text = (out / "scripts.bpmn").read_text()
    assert "# items.each { total += it }" in text
    assert "big = count &gt;= 10" in text or "big = count >= 10" in text
    assert "label = None" in text
    assert "groovy script cannot run" in report and "external groovy script" in report
    assert (
        "groovy setVariable lines -> approved = count < 100 and not blocked; "
        "label = 'Order ' + order_no"
    ) in report
    assert "approved = count &lt; 100 and not blocked\nlabel = 'Order ' + order_no" in text


def test_decisions_are_rewritten_for_spiffworkflow(tmp_path: Path) -> None:
    out, report = imported("dish_decision", tmp_path)
    dmn = (out / "dish.dmn").read_text()
    assert "https://www.omg.org/spec/DMN/20191111/MODEL/" in dmn
    assert "? in ('Winter', 'Fall',)" in dmn and "1 &lt;= ? &lt;= 10" in dmn
    assert "dmndi" not in dmn and "camunda" not in dmn.replace("camunda.org/schema/1.0/dmn", "")
    assert "postScript: dish = desired_dish" in report

    out11, report11 = imported("decisions_dmn11", tmp_path / "11")
    assert {p.name for p in out11.glob("*.dmn")} == {
        "claims_claim_class.dmn", "claims_claim_team.dmn",
    }  # fmt: skip
    assert "requirement links to other decisions were left out" in report11
    assert "date and time" in report11 and "False and ?" in report11
    assert "classification = {'claim_class': claim_class, 'urgent': urgent}" in report11


def test_start_form_call_activity_messages_and_input_output(tmp_path: Path) -> None:
    out, report = imported("start_form_call.bpmn", tmp_path)
    steps = {s.id: s for s in compile_bundle(bundle_from_path(out)).steps.values()}
    assert steps["start_form"].kind == "choice" and steps["start_form"].field == "topic"
    assert "preScript: reason = topic; is_tv = topic == 'tv'" in report
    assert "postScript: customer = customer_id" in report
    assert "drawn below the start event" in report
    drawn = (out / "start_form_call.bpmn").read_text()
    assert 'bpmnElement="start_form"' in drawn and 'bpmnElement="start_form_flow"' in drawn

    _, report = imported("message_catch.bpmn", tmp_path / "m")
    assert "message payload -> variable 'documents_received'" in report

    _, report = imported("input_output.bpmn", tmp_path / "io")
    assert "greeting = 'Hello, ' + str(customer_name) + '!'" in report
    assert "contact = {'name': customer_name, 'phone': phone}" in report
    assert "postScript: greeted = True; name_length = len(customer_name)" in report


def test_listeners_and_untranslatable_conditions_are_marked(tmp_path: Path) -> None:
    result = import_camunda(MODELS / "listeners.bpmn")
    assert len(result.report.by_status(MARKED)) == 5
    result = import_camunda(MODELS / "conditions.bpmn")
    assert {e.element for e in result.report.by_status(MARKED)} == {"f_bean", "f_groovy"}
    assert {e.element for e in result.report.by_status(TRANSLATED)} == {"f_vip", "f_name"}
    flows = result.files["conditions.bpmn"].decode()
    assert "Camunda condition not translated: ${riskService.isRisky(execution)}" in flows


def _zip(tmp_path: Path, entries: dict[str, bytes], name: str = "model.zip") -> Path:
    path = tmp_path / name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry, data in entries.items():
            archive.writestr(entry, data)
    path.write_bytes(buffer.getvalue())
    return path


def test_zips_are_read_within_limits(tmp_path: Path) -> None:
    model = (MODELS / "timers.bpmn").read_bytes()
    with pytest.raises(NotAModel, match="unsafe entry name"):
        import_camunda(_zip(tmp_path, {"../../evil.bpmn": model}))
    with pytest.raises(NotAModel, match="unsafe entry name"):
        import_camunda(_zip(tmp_path, {"/etc/evil.bpmn": model}))
    with pytest.raises(NotAModel, match=r"too large|ratio"):
        import_camunda(_zip(tmp_path, {"bomb.bpmn": b"\0" * (30 * 1024 * 1024)}))
    with pytest.raises(NotAModel, match=r"no \.bpmn file"):
        import_camunda(_zip(tmp_path, {"notes.txt": b"hello"}))
    with pytest.raises(NotAModel, match="not a readable zip"):
        bad = tmp_path / "bad.zip"
        bad.write_bytes(b"PK not really")
        import_camunda(bad)
    fine = import_camunda(_zip(tmp_path, {"a/b/timers.bpmn": model, "a/c/README": b"x"}))
    assert "timers.bpmn" in fine.files and fine.report.validation == []


def test_xml_with_entities_is_refused_without_expanding_them(tmp_path: Path) -> None:
    evil = tmp_path / "evil.bpmn"
    evil.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn">&e;</bpmn:definitions>'
    )
    with pytest.raises(NotAModel, match="entities"):
        import_camunda(evil)


def test_camunda_forms_linked_by_form_ref_and_form_key_become_json_schema(tmp_path: Path) -> None:
    out, report = imported("camunda_forms", tmp_path)
    schema = json.loads((out / "start_form.schema.json").read_text())
    ui = json.loads((out / "start_form.uischema.json").read_text())
    props = schema["properties"]
    assert schema["required"] == ["customer_name", "category"]
    assert schema["description"].startswith("# Complaint")
    assert props["order_number"]["pattern"] == "^[0-9]{8}$"
    assert props["amount"] == {"type": "number", "title": "Amount", "minimum": 0, "maximum": 10000}
    assert props["channel"]["default"] == "phone" and ui["channel"] == {"ui:widget": "radio"}
    assert props["topics"]["items"]["oneOf"][1] == {"const": "staff", "title": "Staff"}
    assert props["bought_on"]["format"] == "date" and props["urgent"]["type"] == "boolean"
    assert props["branch"]["anyOf"] == ["options_from_task_data_var:branches"]
    assert "submit" not in props and ui["order_number"] == {"ui:help": "Eight digits"}
    confirm = json.loads((out / "confirm.schema.json").read_text())
    assert confirm["properties"] == {"resolved": {"type": "boolean", "title": "Resolved?"}}
    assert "Camunda Form 'complaint_form' with 10 field(s)" in report
    assert "embedded:app:forms/legacy.html" in report


def test_timers_keep_iso_durations_and_read_expressions(tmp_path: Path) -> None:
    result = import_camunda(MODELS / "timers.bpmn")
    lines = [e.line() for e in result.report.by_status(TRANSLATED)]
    assert "timers.bpmn#wait (intermediateCatchEvent): timeDuration ${delay} -> delay" in lines
    assert "timers.bpmn#too_late (boundaryEvent): timeDuration PT15M -> 'PT15M'" in lines
    cron = tmp_path / "cron.bpmn"
    cron.write_text((MODELS / "timers.bpmn").read_text().replace("PT15M", "0 0/5 * * * ?"))
    marked = import_camunda(cron).report.by_status(MARKED)
    assert [e.element for e in marked] == ["too_late"] and "cron" in marked[0].message


def test_folders_skip_hidden_folders_and_links(tmp_path: Path) -> None:
    model = (MODELS / "timers.bpmn").read_bytes()
    (tmp_path / "src" / "main" / "resources").mkdir(parents=True)
    (tmp_path / "src" / "main" / "resources" / "timers.bpmn").write_bytes(model)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "old.bpmn").write_bytes(b"<not even xml")
    (tmp_path / "elsewhere.bpmn").symlink_to(MODELS / "service_tasks.bpmn")
    result = import_camunda(tmp_path)
    assert sorted(result.files) == ["cuebook.json", "timers.bpmn"]
    assert result.report.complete


def test_a_camunda_form_no_step_links_is_noted(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "timers.bpmn").write_bytes((MODELS / "timers.bpmn").read_bytes())
    (folder / "spare.form").write_text('{"id": "spare", "components": []}')
    result = import_camunda(folder)
    notes = [e.line() for e in result.report.entries if e.status == "note"]
    assert "spare.form: a Camunda Form no step links to; left out" in notes
