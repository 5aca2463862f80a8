"""The comparison of two bundles: elements, flows, forms, decisions and calls."""

from __future__ import annotations

from pathlib import Path

from engine.bpmn.bundle import Bundle
from engine.bpmn.diff import diff_bundles, json_changes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bundles"


def _bundle(folder: str) -> Bundle:
    path = FIXTURES / folder
    return Bundle({p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()})


def _edited(bundle: Bundle, name: str, *pairs: tuple[bytes, bytes]) -> Bundle:
    files = dict(bundle.files)
    data = files[name]
    for old, new in pairs:
        assert old in data, old
        data = data.replace(old, new)
    files[name] = data
    return Bundle(files)


def test_the_same_bundle_has_no_changes() -> None:
    bundle = _bundle("service_tasks")
    diff = diff_bundles(bundle, bundle)
    assert all(v == {"added": 0, "removed": 0, "changed": 0} for v in diff["summary"].values())
    assert diff["manifest"] == []


def test_elements_flows_and_calls() -> None:
    before = _bundle("service_tasks")
    after = _edited(
        before,
        "service_tasks.bpmn",
        (b'name="Check outage"', b'name="Check the outage"'),
        (b'value="path"/>', b'value="route"/>'),
        (b'<bpmn:sequenceFlow id="f4" sourceRef="check_failed" targetRef="sorry"/>',
         b'<bpmn:sequenceFlow id="f4" sourceRef="check_failed" targetRef="sorry">'
         b"<bpmn:conditionExpression>retry</bpmn:conditionExpression></bpmn:sequenceFlow>"),
        (b'<bpmn:userTask id="sorry" name="Could not check">',
         b'<bpmn:manualTask id="sorry" name="Could not check">'),
        (b"</bpmn:userTask>\n    <bpmn:userTask id=\"result\"",
         b"</bpmn:manualTask>\n    <bpmn:userTask id=\"result\""),
    )  # fmt: skip
    diff = diff_bundles(before, after)
    changed = {c["id"]: c for c in diff["elements"]["changed"]}
    assert changed["check"]["before"]["name"] == "Check outage"
    assert changed["check"]["after"]["name"] == "Check the outage"
    assert changed["sorry"]["before"]["type"] == "userTask"
    assert changed["sorry"]["after"]["type"] == "manualTask"
    flows = diff["flows"]["changed"]
    assert [f["id"] for f in flows] == ["f4"]
    assert flows[0]["before"]["condition"] is None and flows[0]["after"]["condition"] == "retry"
    calls = diff["calls"]["changed"]
    assert [c["id"] for c in calls] == ["check"]
    assert calls[0]["before"]["operator"] == "check_outage"
    assert calls[0]["after"]["parameters"]["path"] == "route"
    assert diff["summary"]["elements"] == {"added": 0, "removed": 0, "changed": 2}


def test_an_element_and_its_flow_added_and_removed() -> None:
    before = _bundle("service_tasks")
    after = _edited(
        before,
        "service_tasks.bpmn",
        (b'<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask"/>',
         b'<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="hello"/>'
         b'<bpmn:manualTask id="hello" name="Hello"/>'
         b'<bpmn:sequenceFlow id="f0" sourceRef="hello" targetRef="ask"/>'),
    )  # fmt: skip
    diff = diff_bundles(before, after)
    assert diff["elements"]["added"] == [
        {"id": "hello", "file": "service_tasks.bpmn", "type": "manualTask", "name": "Hello"}
    ]
    assert [f["id"] for f in diff["flows"]["added"]] == ["f0"]
    assert diff["flows"]["changed"][0]["after"]["target"] == "hello"
    back = diff_bundles(after, before)
    assert [e["id"] for e in back["elements"]["removed"]] == ["hello"]
    assert [f["id"] for f in back["flows"]["removed"]] == ["f0"]


def test_forms_by_json_pointer() -> None:
    before = _bundle("service_tasks")
    files = dict(before.files)
    files["district.schema.json"] = (
        b'{"type":"object","required":["district","path"],"properties":{"district":'
        b'{"type":"string","title":"District"},"path":{"type":"string","default":"echo"}}}'
    )
    files["extra.schema.json"] = b"{}"
    diff = diff_bundles(before, Bundle(files))
    assert diff["forms"]["added"] == [{"file": "extra.schema.json"}]
    (form,) = diff["forms"]["changed"]
    assert form["file"] == "district.schema.json"
    assert {"op": "add", "path": "/properties/district/title", "after": "District"} in form[
        "changes"
    ]
    assert {"op": "remove", "path": "/properties/ticket_key", "before": {"type": "string"}} in (
        form["changes"]
    )
    assert {
        "op": "replace",
        "path": "/required",
        "before": ["district"],
        "after": ["district", "path"],
    } in form["changes"]


def test_decisions_rules_and_table() -> None:
    before = _bundle("ticket_routing")
    after = _edited(
        before,
        "route.dmn",
        (b'<outputEntry id="vip_h"><text>2</text>', b'<outputEntry id="vip_h"><text>1</text>'),
        (b'hitPolicy="FIRST"', b'hitPolicy="UNIQUE"'),
        (b'<rule id="mystery">', b'<rule id="mystery2">'),
    )
    diff = diff_bundles(before, after)
    (decision,) = diff["decisions"]["changed"]
    assert decision["id"] == "route"
    assert decision["table"] == {"hit_policy": {"before": "FIRST", "after": "UNIQUE"}}
    rules = decision["rules"]
    assert [r["id"] for r in rules["added"]] == ["mystery2"]
    assert [r["id"] for r in rules["removed"]] == ["mystery"]
    (vip,) = rules["changed"]
    assert vip["id"] == "vip"
    assert vip["before"]["outputs"] == ['"vip_desk"', "2", '"vip"']
    assert vip["after"]["outputs"] == ['"vip_desk"', "1", '"vip"']
    assert diff["summary"]["decisions"] == {"added": 0, "removed": 0, "changed": 1}


def test_a_decision_file_added() -> None:
    after = _bundle("ticket_routing")
    files = dict(after.files)
    del files["route.dmn"]
    diff = diff_bundles(Bundle(files), after)
    (added,) = diff["decisions"]["added"]
    assert added["id"] == "route" and added["rules"] == 4 and added["hit_policy"] == "FIRST"


def test_json_changes_of_lists_and_escaped_keys() -> None:
    assert json_changes({"a/b": [1, 2]}, {"a/b": [1, 3]}) == [
        {"op": "replace", "path": "/a~1b/1", "before": 2, "after": 3}
    ]
    assert json_changes(1, 2) == [{"op": "replace", "path": "/", "before": 1, "after": 2}]


def test_a_step_whose_text_or_hints_change_is_changed() -> None:
    before = _bundle("service_tasks")
    after = _edited(
        before,
        "service_tasks.bpmn",
        (b"The outage service does not answer.", b"The outage service is down."),
        (
            b'<bpmn:userTask id="result" name="Result">',
            b'<bpmn:userTask id="result" name="Result"><bpmn:documentation>Read it out'
            b"</bpmn:documentation>",
        ),
    )
    changed = {c["id"]: c for c in diff_bundles(before, after)["elements"]["changed"]}
    assert sorted(changed) == ["result", "sorry"]
    assert changed["sorry"]["before"]["text"] == "The outage service does not answer."
    assert changed["sorry"]["after"]["text"] == "The outage service is down."
    assert "documentation" not in changed["result"]["before"]
    assert changed["result"]["after"]["documentation"] == "Read it out"
    ask = diff_bundles(before, before)["elements"]
    assert ask == {"added": [], "removed": [], "changed": []}
