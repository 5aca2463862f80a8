"""Drafts through the API: create, save with the revision, conflicts that say what changed,
validation naming element ids, test sessions on the hidden script, publish, roles."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.conftest import FIXTURES, auth

pytestmark = pytest.mark.smoke

MENU_LOOP = FIXTURES / "bundles" / "menu_loop"


def bundle_files(folder: Any) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.is_file()}


def new_draft(client: Any, token: str, **body: Any) -> dict[str, Any]:
    resp = client.post("/api/v1/drafts", json=body, headers=auth(token))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def save(client: Any, token: str, draft: dict[str, Any], files: dict[str, str]) -> Any:
    return client.put(
        f"/api/v1/drafts/{draft['id']}",
        json={"revision": draft["revision"], "files": files},
        headers=auth(token),
    )


def renamed(files: dict[str, str], old: str, new: str) -> dict[str, str]:
    changed = dict(files)
    bpmn = next(n for n in changed if n.endswith(".bpmn"))
    assert old in changed[bpmn]
    changed[bpmn] = changed[bpmn].replace(old, new, 1)
    return changed


def test_a_new_script_starts_from_a_blank_diagram(
    client: Any, tokens: dict[str, str], key: str
) -> None:
    author = tokens["methodologist"]
    draft = new_draft(client, author, script=key, title="Greeting")
    assert draft["revision"] == 1 and draft["based_on_version"] is None
    assert draft["created_by"] == "test-methodologist" and draft["test_script"] == f"{key}~draft"
    assert sorted(draft["files"]) == ["cuebook.json", f"{key}.bpmn"]
    assert '"title": "Greeting"' in draft["files"]["cuebook.json"]
    assert "<bpmn:startEvent" in draft["files"][f"{key}.bpmn"]

    listed = client.get(f"/api/v1/drafts?script={key}", headers=auth(author)).get_json()
    assert [d["id"] for d in listed["drafts"]] == [draft["id"]]
    assert "files" not in listed["drafts"][0]


def test_a_draft_of_a_script_saves_and_a_stale_save_is_a_conflict_naming_the_changes(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU_LOOP, key)
    first, second = tokens["methodologist"], tokens["admin"]
    loaded = new_draft(client, first, script=key)
    assert loaded["based_on_version"] == 1
    deployed = bundle_files(MENU_LOOP)
    bpmn = deployed.pop("menu_loop.bpmn")
    assert {k: v for k, v in loaded["files"].items() if k != "menu_loop.bpmn"} == deployed
    # The deployed diagram had no layout: the draft's has one, so the modeler can draw it.
    assert "BPMNDiagram" not in bpmn and "<bpmndi:BPMNShape" in loaded["files"]["menu_loop.bpmn"]
    shown = client.get(f"/api/v1/drafts/{loaded['id']}", headers=auth(second))
    assert shown.headers["ETag"] == '"1"'

    # The first editor renames the name step and saves: revision 2.
    mine = renamed(loaded["files"], 'id="name" name="', 'id="name" name="Your name — ')
    resp = save(client, first, loaded, mine)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["revision"] == 2 and resp.headers["ETag"] == '"2"'

    # The second editor, still on revision 1, changes the menu form and saves: refused.
    theirs = dict(loaded["files"])
    theirs["menu.schema.json"] = theirs["menu.schema.json"].replace("What next?", "Next?")
    resp = save(client, second, loaded, theirs)
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    assert error["code"] == "draft_conflict"
    conflict = error["conflict"]
    assert conflict["current_revision"] == 2 and conflict["your_revision"] == 1
    assert conflict["updated_by"] == "test-methodologist"
    assert conflict["compared_with"] == "revision 1"
    assert [e["id"] for e in conflict["changes"]["elements"]["changed"]] == ["name"]
    assert conflict["changes"]["files"]["changed"] == ["menu_loop.bpmn"]
    stored = client.get(f"/api/v1/drafts/{loaded['id']}", headers=auth(first)).get_json()
    assert stored["revision"] == 2 and stored["files"] == mine  # nothing overwritten

    # If-Match works as the revision, and the same files again change nothing.
    resp = client.put(
        f"/api/v1/drafts/{loaded['id']}",
        json={"files": mine},
        headers={**auth(second), "If-Match": '"2"'},
    )
    assert resp.status_code == 200 and resp.get_json()["revision"] == 2


def test_validation_names_the_elements_and_files(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU_LOOP, key)
    author = tokens["methodologist"]
    draft = new_draft(client, author, script=key)
    url = f"/api/v1/drafts/{draft['id']}/validate"
    assert client.post(url, json={}, headers=auth(author)).get_json() == {
        "valid": True,
        "problems": [],
    }
    broken = dict(draft["files"])
    broken["menu_loop.bpmn"] = broken["menu_loop.bpmn"].replace("menu.schema.json", "gone.json")
    found = client.post(url, json={"files": broken}, headers=auth(author)).get_json()
    assert found["valid"] is False
    assert {(p["file"], p["element"]) for p in found["problems"]} == {("menu_loop.bpmn", "menu")}
    assert "gone.json" in found["problems"][0]["message"]

    not_xml = {**broken, "menu_loop.bpmn": "<bpmn:definitions"}
    found = client.post(url, json={"files": not_xml}, headers=auth(author)).get_json()
    assert found["valid"] is False and found["problems"][0]["file"] == "menu_loop.bpmn"

    bad_names = client.post(url, json={"files": {"../x.bpmn": "x"}}, headers=auth(author))
    assert bad_names.status_code == 422
    assert bad_names.get_json()["error"]["details"][0]["path"] == "files.../x.bpmn"


def test_a_draft_runs_on_its_hidden_test_script_and_stays_out_of_lists(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU_LOOP, key)
    author = tokens["methodologist"]
    draft = new_draft(client, author, script=key)
    changed = renamed(draft["files"], 'id="name" name="', 'id="name" name="Trial ')
    draft = save(client, author, draft, changed).get_json()

    resp = client.post(
        f"/api/v1/drafts/{draft['id']}/test", json={"revision": 1}, headers=auth(author)
    )
    assert resp.status_code == 409  # the editor shows revision 2 now
    resp = client.post(
        f"/api/v1/drafts/{draft['id']}/test", json={"revision": 2}, headers=auth(author)
    )
    assert resp.status_code == 200, resp.get_json()
    trial = resp.get_json()
    assert trial["script"] == f"{key}~draft" and trial["published"] is True

    started = client.post(
        "/api/v1/sessions",
        json={"script": trial["script"], "channel": "chat"},
        headers=auth(author),
    )
    assert started.status_code == 201, started.get_json()
    session = started.get_json()
    stepped = client.post(
        f"/api/v1/sessions/{session['session_id']}/steps",
        json={"step_token": session["step_token"], "text": "Ann"},
        headers=auth(author),
    )
    assert stepped.status_code == 200, stepped.get_json()
    trace = client.get(
        f"/api/v1/drafts/{draft['id']}/test/{session['session_id']}", headers=auth(author)
    ).get_json()
    entered = [p["element"] for p in trace["path"]]
    assert entered[:2] == ["start", "init"] and "name" in entered and entered[-1] == "menu"
    assert trace["variables"]["name"] == "Ann" and trace["status"] == "waiting"

    # The real script is untouched, and no list shows the hidden one.
    versions = client.get(f"/api/v1/scripts/{key}/versions", headers=auth(author)).get_json()
    assert [v["number"] for v in versions["versions"]] == [1]
    listed = client.get("/api/v1/scripts", headers=auth(author)).get_json()["scripts"]
    keys = {s["key"] for s in listed}
    assert key in keys and not any("~" in k for k in keys)
    # A session of a real script is not a test session of the draft.
    real = client.post(
        "/api/v1/sessions", json={"script": key, "channel": "chat"}, headers=auth(author)
    ).get_json()
    other = client.get(
        f"/api/v1/drafts/{draft['id']}/test/{real['session_id']}", headers=auth(author)
    )
    assert other.status_code == 404


def test_no_real_script_key_holds_a_tilde(client: Any, tokens: dict[str, str]) -> None:
    author = tokens["methodologist"]
    resp = client.post("/api/v1/drafts", json={"script": "a~draft"}, headers=auth(author))
    assert resp.status_code == 422
    resp = client.post(
        "/api/v1/scripts/a~draft/versions",
        data={"files": [(io.BytesIO((MENU_LOOP / "cuebook.json").read_bytes()), "cuebook.json")]},
        headers=auth(author),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422


def test_publishing_a_draft_makes_a_version(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU_LOOP, key)
    author = tokens["methodologist"]
    draft = new_draft(client, author, script=key)
    draft = save(
        client, author, draft, renamed(draft["files"], 'id="menu" name="', 'id="menu" name="Menu: ')
    ).get_json()
    stale = client.post(
        f"/api/v1/drafts/{draft['id']}/publish", json={"revision": 1}, headers=auth(author)
    )
    assert stale.status_code == 409
    resp = client.post(
        f"/api/v1/drafts/{draft['id']}/publish", json={"revision": 2}, headers=auth(author)
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["number"] == 2 and resp.get_json()["published"] is True
    versions = client.get(f"/api/v1/scripts/{key}/versions", headers=auth(author)).get_json()
    assert [(v["number"], v["published"], v["created_by"]) for v in versions["versions"]] == [
        (1, False, "test-methodologist"),
        (2, True, "test-methodologist"),
    ]
    diff = client.get(f"/api/v1/scripts/{key}/versions/diff?a=1&b=2", headers=auth(author))
    assert [e["id"] for e in diff.get_json()["elements"]["changed"]] == ["menu"]
    shown = client.get(f"/api/v1/drafts/{draft['id']}", headers=auth(author)).get_json()
    assert shown["based_on_version"] == 2

    started = client.post(
        "/api/v1/sessions", json={"script": key, "channel": "web"}, headers=auth(tokens["bot"])
    )
    assert started.status_code == 201 and started.get_json()["version"]["number"] == 2


@pytest.mark.parametrize("role", ["operator", "bot"])
def test_operators_and_bots_cannot_edit(
    client: Any, tokens: dict[str, str], deploy: Any, key: str, role: str
) -> None:
    deploy(MENU_LOOP, key)
    draft = new_draft(client, tokens["methodologist"], script=key)
    who = auth(tokens[role])
    for method, url, body in (
        ("get", "/api/v1/drafts", None),
        ("post", "/api/v1/drafts", {"script": key}),
        ("get", f"/api/v1/drafts/{draft['id']}", None),
        ("put", f"/api/v1/drafts/{draft['id']}", {"revision": 1, "files": draft["files"]}),
        ("post", f"/api/v1/drafts/{draft['id']}/validate", {}),
        ("post", f"/api/v1/drafts/{draft['id']}/test", {}),
        ("post", f"/api/v1/drafts/{draft['id']}/publish", {"revision": 1}),
        ("delete", f"/api/v1/drafts/{draft['id']}", None),
    ):
        resp = getattr(client, method)(url, json=body, headers=who)
        assert resp.status_code == 403, (method, url, resp.status_code)
    page = client.get("/editor/", headers=who)
    assert page.status_code == 403 and "methodologist" in page.get_data(as_text=True)
    assert client.get("/editor/", headers=auth(tokens["methodologist"])).status_code == 200


def test_unknown_drafts_are_404_and_deleting_forgets_one(
    client: Any, tokens: dict[str, str], key: str
) -> None:
    author = tokens["methodologist"]
    assert client.get("/api/v1/drafts/999999", headers=auth(author)).status_code == 404
    draft = new_draft(client, author, script=key)
    assert client.delete(f"/api/v1/drafts/{draft['id']}", headers=auth(author)).status_code == 204
    assert client.get(f"/api/v1/drafts/{draft['id']}", headers=auth(author)).status_code == 404
    resp = client.post("/api/v1/drafts", json={"script": key, "version": 3}, headers=auth(author))
    assert resp.status_code == 404


def test_a_drafts_test_copy_serves_no_other_script(
    client: Any, tokens: dict[str, str], key: str
) -> None:
    """A new callee tried out in the editor is not what a caller's call activity finds."""
    author = tokens["methodologist"]
    process = f"identify_{key}"
    callee = {
        name: text.replace("identify_customer", process)
        for name, text in bundle_files(FIXTURES / "bundles" / "reuse_callee").items()
    }
    draft = new_draft(client, author, script=f"{key}-callee")
    draft = save(client, author, draft, callee).get_json()
    tried = client.post(f"/api/v1/drafts/{draft['id']}/test", json={}, headers=auth(author))
    assert tried.status_code == 200 and tried.get_json()["published"] is True
    caller = bundle_files(FIXTURES / "bundles" / "reuse_caller")
    upload = {
        "files": [
            (io.BytesIO(text.replace("identify_customer", process).encode()), name)
            for name, text in caller.items()
        ]
    }
    refused = client.post(
        f"/api/v1/scripts/{key}-caller/versions?publish=true",
        data=upload,
        headers=auth(author),
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and process in refused.get_json()["error"]["message"]
