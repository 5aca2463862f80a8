"""Reading a SpiffArena repository into bundles, without a database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from engine.bpmn.bundle import Bundle, bundle_from_path
from engine.bpmn.compiler import compile_bundle
from engine.errors import Detail, ValidationFailed
from engine.versions import DeployResult
from importers.spiffarena import import_repository
from importers.spiffarena.bundles import Catalogue, Skip, bundle_of, script_key
from importers.spiffarena.repository import read_repository
from tests.conftest import FIXTURES

REPOSITORY = FIXTURES / "spiffarena"


def test_models_groups_and_what_they_call() -> None:
    models = {m.path: m for m in read_repository(REPOSITORY)}
    assert len(models) == 11
    tariff = models["support/billing/dynamic-tariff"]
    assert tariff.groups == ("Customer support", "Billing")
    assert tariff.title == "Change of tariff"
    assert script_key(tariff) == "support-billing-dynamic-tariff"
    assert "process_model.json" not in tariff.files
    intake = models["support/complaint-intake"]
    assert intake.calls == {"identify_customer"}
    assert intake.decides == {"complaint_priority"} and intake.decisions == {"complaint_priority"}


def test_a_bundle_carries_the_models_it_calls_and_a_manifest() -> None:
    models = read_repository(REPOSITORY)
    catalogue = Catalogue(models)
    intake = next(m for m in models if m.path == "support/complaint-intake")
    bundle = bundle_of(intake, catalogue)
    assert isinstance(bundle, Bundle)
    assert "identify-customer.bpmn" in bundle.files and "contract-schema.json" in bundle.files
    manifest = json.loads(bundle.files["cuebook.json"])
    assert manifest["primary_process_id"] == "Process_complaint_intake_a9d"
    assert manifest["title"] == "Complaint intake"
    assert manifest["imported_from"] == {
        "tool": "spiffarena",
        "model": "support/complaint-intake",
        "groups": ["Customer support"],
    }


def test_a_name_clash_between_a_model_and_its_callee_is_a_skip(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(REPOSITORY / "support", root / "support")
    clash = root / "support" / "complaint-intake" / "contract-schema.json"
    clash.write_text('{"type": "object", "properties": {}}')
    models = read_repository(root)
    intake = next(m for m in models if m.path == "support/complaint-intake")
    skip = bundle_of(intake, Catalogue(models))
    assert isinstance(skip, Skip)
    assert "contract-schema.json" in skip.reason


def test_every_model_is_offered_to_deploy_and_refusals_are_reported() -> None:
    offered: dict[str, Bundle] = {}

    def deploy(key: str, bundle: Bundle) -> DeployResult:
        offered[key] = bundle
        if key == "sales-survey":
            raise ValidationFailed("invalid bundle", [Detail("survey.bpmn#Activity_x", "bad")])
        return DeployResult(key, 1, True, False, "h")

    report = import_repository(REPOSITORY, deploy)
    assert len(report.outcomes) == 11
    assert "drafts-Old_Model" not in offered  # not a script key: never offered
    assert "drafts-calls-elsewhere" in offered  # the deploy decides who serves its call
    lines = report.lines()
    assert "sales/survey: skipped: it does not validate" in lines
    assert "  survey.bpmn: Activity_x: bad" in lines
    assert "support/identify-customer: deployed as support-identify-customer v1" in lines
    assert lines[-1] == "9 of 11 process models imported, 2 skipped"


def test_an_uploaded_model_folder_is_titled_by_its_display_name() -> None:
    compiled = compile_bundle(bundle_from_path(REPOSITORY / "sales" / "survey"))
    assert compiled.process_id == "Process_survey_w6"
    assert compiled.title == "After-sale survey"
