"""The editor's properties panel in headless Chromium: a form built with the form builder
(a choice with options and synonyms), its preview on the web, chat and IVR, a service task's
function, parameter and result variable, a gateway flow's checked condition; the draft's
files and BPMN then hold the schema and properties, and the draft deploys."""

from __future__ import annotations

import dataclasses
import io
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from werkzeug.serving import make_server

from cuebook.app import create_app
from tests.conftest import ROOT, auth
from tests.e2e.harness import drive

pytestmark = pytest.mark.browser

PANEL = ROOT / "editor_api" / "static" / "editor" / "properties"
HERE = Path(__file__).resolve().parent / "panel"
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@dataclasses.dataclass
class Site:
    """The test page's origin (it serves the panel's own files) and an app that allows it."""

    page: str
    api: str
    pages: dict[str, str]


def _handler(pages: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path.startswith("/properties/") and "/" not in path[len("/properties/") :]:
                file = PANEL / path[len("/properties/") :]
                body = file.read_bytes() if file.is_file() else None
            else:
                text = pages.get(path)
                body = text.encode() if text is not None else None
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", TYPES.get(Path(path).suffix, "text/html"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture(scope="module")
def site(settings: Any, services: Any) -> Iterator[Site]:
    pages: dict[str, str] = {}
    static = ThreadingHTTPServer(("127.0.0.1", 0), _handler(pages))
    origin = f"http://127.0.0.1:{static.server_address[1]}"
    app_settings = dataclasses.replace(settings, cors_origins=(*settings.cors_origins, origin))
    app = create_app(app_settings, dataclasses.replace(services, settings=app_settings))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (static, server)]
    for thread in threads:
        thread.start()
    try:
        yield Site(origin, f"http://127.0.0.1:{server.server_port}", pages)
    finally:
        for s in (static, server):
            s.shutdown()
            s.server_close()


def _page(site: Site, token: str, files: dict[str, str], lang: str) -> str:
    seed = {"files": files, "diagram": (HERE / "draft.bpmn").read_text()}
    data = "<script>window.seed = " + json.dumps(seed).replace("</", "<\\/") + ";</script>"
    text = (HERE / "page.html").read_text()
    for name, value in {"API": site.api, "TOKEN": token, "LANG": lang, "DATA": data}.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def _function(client: Any, token: str) -> str:
    name = f"contract_{uuid.uuid4().hex[:8]}"
    spec = {
        "name": name,
        "description": "Find a contract",
        "parameters": [
            {"name": "contract", "type": "string"},
            {"name": "region", "type": "string", "required": False, "default": "msk"},
        ],
        "request": {"method": "GET", "url": "http://127.0.0.1:9/contracts/{{ contract }}"},
        "response": {"results": {"status": "status"}},
    }
    assert client.post("/api/v1/integrations", json=spec, headers=auth(token)).status_code == 201
    return name


def _walk(site: Site, token: str, function: str, lang: str) -> dict[str, Any]:
    manifest = {"primary_process_id": "panel_demo", "language": lang}
    manifest["defaults"] = {"customer_name": "Anna", "contract_number": "100234567"}
    files = {"cuebook.json": json.dumps(manifest)}
    site.pages[f"/panel-{lang}.html"] = _page(site, token, files, lang)
    return drive(
        "properties_walk.js",
        CUEBOOK_PAGE=f"{site.page}/panel-{lang}.html",
        CUEBOOK_FUNCTION=function,
        CUEBOOK_LANG=lang,
    )


def test_a_form_built_in_the_panel_previews_and_deploys(
    site: Site, client: Any, tokens: dict[str, str], key: str
) -> None:
    m = tokens["methodologist"]
    function = _function(client, m)
    result = _walk(site, m, function, "en")
    assert result["ok"], result.get("error")
    assert result["pageErrors"] == [] and result["console"] == []

    # What the previews showed, as the channels render the built form.
    preview = result["preview"]
    assert preview["chatButtons"] == ["My tariff", "Balance"]
    assert "Hello, Anna! What do you need?" in preview["chatMessages"][0]
    assert preview["ivrKeys"] == ["1", "2"] and "Main menu." in preview["ssml"]
    assert preview["webButtons"] == ["My tariff", "Balance"]
    assert preview["inserted"] == "Hello, {{ customer_name }}"
    assert result["conditionBad"]["state"] == "error"
    assert "line 1, column" in result["conditionBad"]["text"]
    assert result["conditionGood"]["state"] == "ok"
    assert "menu_choice" in result["conditionGood"]["text"]

    # The draft's files hold the form as JSON Schema + UI schema.
    files = result["files"]
    schema = json.loads(files["ask.schema.json"])
    ui = json.loads(files["ask.uischema.json"])
    assert schema["required"] == ["menu_choice"]
    assert schema["properties"]["menu_choice"] == {
        "type": "string",
        "oneOf": [
            {"const": "tariff", "title": "My tariff", "x-synonyms": ["plan", "tariff"]},
            {"const": "balance", "title": "Balance", "x-synonyms": ["money"]},
        ],
        "title": "Main menu",
    }
    assert ui["ui:order"] == ["menu_choice"] and ui["menu_choice"]["ui:help"] == "Pick one"

    # The BPMN holds the step's properties, the service call and the condition.
    root = etree.fromstring(result["xml"].encode())
    ask = root.find(f".//{BPMN}userTask[@id='ask']")
    props = {p.get("name"): p.get("value") for p in ask.iter(f"{SPIFF}property")}
    assert props == {
        "formJsonSchemaFilename": "ask.schema.json",
        "formUiSchemaFilename": "ask.uischema.json",
        "cuebook:voice": "<speak>Main menu.</speak>",
        "cuebook:max_misses": "2",
    }
    assert ask.find(f".//{SPIFF}instructionsForEndUser").text == (
        "Hello, {{ customer_name }}! What do you need?"
    )
    assert ask.find(f"{BPMN}documentation").text == "Offer the balance first."
    operator = root.find(f".//{BPMN}serviceTask[@id='lookup']//{SPIFF}serviceTaskOperator")
    assert operator.get("id") == function and operator.get("resultVariable") == "contract"
    params = [(p.get("id"), p.get("value")) for p in operator.iter(f"{SPIFF}parameter")]
    assert params == [("contract", "contract_number")]
    flow = root.find(f".//{BPMN}sequenceFlow[@id='to_balance']/{BPMN}conditionExpression")
    assert flow.text == "menu_choice == 'balance'"

    # The draft deploys as it is and its first step is the choice built in the panel.
    upload = {**files, "panel_demo.bpmn": result["xml"]}
    deployed = client.post(
        f"/api/v1/scripts/{key}/versions?publish=true",
        data={"files": [(_bytes(text), name) for name, text in upload.items()]},
        headers=auth(m),
        content_type="multipart/form-data",
    )
    assert deployed.status_code in (200, 201), deployed.get_json()
    started = client.post(
        "/api/v1/sessions?render=chat",
        json={"script": key, "channel": "chat"},
        headers=auth(tokens["bot"]),
    )
    assert started.status_code == 201, started.get_json()
    assert [b["label"] for b in started.get_json()["buttons"]] == ["My tariff", "Balance"]


def test_the_panel_speaks_russian(site: Site, client: Any, tokens: dict[str, str]) -> None:
    m = tokens["methodologist"]
    result = _walk(site, m, _function(client, m), "ru")
    assert result["ok"], result.get("error")
    assert result["labels"]["addField"] == "Добавить поле"
    assert result["labels"]["text"] == "Текст для клиента (Jinja2)"
    assert result["preview"]["chatButtons"] == ["My tariff", "Balance"]


def _bytes(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())
