"""deploy/: the Prometheus alert rules (promtool, when installed, and a structural check) and
the Grafana dashboard; every metric they name is one /metrics exposes after some traffic."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from engine.events.metrics import EventsCollector
from tests.conftest import BUNDLES, ROOT, auth

pytestmark = pytest.mark.postgres

RULES = ROOT / "deploy" / "prometheus" / "cuebook-alerts.yml"
TESTS = RULES.with_name("cuebook-alerts.test.yml")
DASHBOARD = ROOT / "deploy" / "grafana" / "cuebook.json"
LEVELS = {"infrastructure", "integrations", "business"}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": ("",),
}
METRIC = re.compile(r"\bcuebook_[a-z0-9_]+")


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [t["expr"] for p in panels for t in p.get("targets", [])]


def exposed(text: str) -> set[str]:
    """Every series name /metrics declares (a family with no sample yet counts, by type)."""
    names = set()
    for family in text_string_to_metric_families(text):
        names.update(s.name for s in family.samples)
        names.update(family.name + end for end in SUFFIXES.get(family.type, ("",)))
    return names


@pytest.mark.parametrize("check", [["check", "rules", RULES.name], ["test", "rules", TESTS.name]])
def test_promtool_accepts_the_rules_and_they_fire_as_tested(check: list[str]) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (make monitoring-deps)")
    done = subprocess.run(
        [promtool, *check], capture_output=True, text=True, timeout=60, cwd=RULES.parent
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_rule_names_its_level_severity_and_summary() -> None:
    found = rules()
    assert len({r["alert"] for r in found}) == len(found), "alert names repeat"
    assert {r["labels"]["level"] for r in found} == LEVELS
    for rule in found:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0m")), rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]


def test_the_dashboard_shows_the_three_levels() -> None:
    board = json.loads(DASHBOARD.read_text())
    assert board["uid"] == "cuebook"
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert rows == ["Infrastructure", "Integrations", "Business"]
    ids = [p["id"] for p in board["panels"]]
    assert len(set(ids)) == len(ids)
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        if panel["type"] != "row":
            assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}"


def test_every_metric_used_is_exposed_after_traffic(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "menu_loop", key)
    token = auth(tokens["operator"])
    view = client.post("/api/v1/sessions", json={"script": key}, headers=token).get_json()
    client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {"name": "Anna"}},
        headers=token,
    )
    client.get("/readyz")
    names = exposed(client.get("/metrics").get_data(as_text=True))
    # The outbox's lag is shown where Kafka is configured (this app has none): see its gauges.
    relayed = EventsCollector(services.database, relaying=True).collect()
    names |= {sample.name for family in relayed for sample in family.samples}

    used: dict[str, set[str]] = {}
    for rule in rules():
        for name in METRIC.findall(rule["expr"] + json.dumps(rule.get("annotations", {}))):
            used.setdefault(name, set()).add(f"rule {rule['alert']}")
    for expr in dashboard_exprs():
        for name in METRIC.findall(expr):
            used.setdefault(name, set()).add("dashboard")
    assert len(used) > 20
    missing = {name: sorted(where) for name, where in used.items() if name not in names}
    assert not missing, f"not exposed by /metrics: {missing}"


def test_the_deploy_files_are_where_the_docs_say() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text()
    for path in (RULES, DASHBOARD):
        assert str(path.relative_to(ROOT)) in operations
