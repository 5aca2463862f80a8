"""The vendored bpmn-js, dmn-js and Swagger UI files are there and are the versions the lock
file pins (`make vendor`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from web.vendored import VENDOR, vendored_version

ASSETS = ROOT / "assets"
BPMN_JS = VENDOR / "bpmn-js"
SWAGGER_UI = VENDOR / "swagger-ui-dist"
DMN_JS = VENDOR / "dmn-js"
PACKAGES = ("bpmn-js", "dmn-js", "swagger-ui-dist")
STYLES = ("assets/diagram-js.css", "assets/bpmn-js.css", "assets/bpmn-font/css/bpmn.css")


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return _json(BPMN_JS / "manifest.json")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def locked() -> dict[str, Any]:
    packages = _json(ASSETS / "package-lock.json")["packages"]
    return {k.removeprefix("node_modules/"): v for k, v in packages.items() if k}


@pytest.mark.parametrize("package", PACKAGES)
def test_the_package_is_pinned_exactly(package: str) -> None:
    wanted = _json(ASSETS / "package.json")["dependencies"][package]
    assert wanted[0].isdigit() and all(c.isdigit() or c == "." for c in wanted), wanted
    assert _json(ASSETS / "package-lock.json")["packages"][""]["dependencies"][package] == wanted


def test_the_manifest_names_the_locked_version(
    manifest: dict[str, Any], locked: dict[str, Any]
) -> None:
    assert manifest["package"] == "bpmn-js"
    assert manifest["version"] == locked["bpmn-js"]["version"]
    assert manifest["integrity"] == locked["bpmn-js"]["integrity"]
    assert vendored_version("bpmn-js") == manifest["version"]


@pytest.mark.parametrize("bundle", ["bpmn-navigated-viewer", "bpmn-modeler"])
def test_each_bundle_says_its_version_in_its_header(bundle: str, manifest: dict[str, Any]) -> None:
    path = BPMN_JS / f"{bundle}.production.min.js"
    header = path.read_bytes()[:200].decode("utf-8")
    assert header.startswith(f"/*! bpmn-js - {bundle} v{manifest['version']} |"), header
    assert f"{bundle}.production.min.js" in manifest["bundles"]


def _files_match_manifest(folder: Path) -> set[str]:
    manifest = _json(folder / "manifest.json")
    on_disk = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert on_disk == set(manifest["files"])
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    return on_disk


def test_every_file_matches_the_manifest() -> None:
    assert set(STYLES) <= _files_match_manifest(BPMN_JS)
    assert {"swagger-ui-bundle.js", "swagger-ui.css"} <= _files_match_manifest(SWAGGER_UI)
    assert {
        "dmn-modeler.production.min.js",
        "assets/dmn-js-shared.css",
        "assets/dmn-js-decision-table.css",
        "assets/dmn-font/css/dmn.css",
    } <= _files_match_manifest(DMN_JS)


def test_the_dmn_modeler_says_its_version_in_its_header(locked: dict[str, Any]) -> None:
    header = (DMN_JS / "dmn-modeler.production.min.js").read_bytes()[:200].decode("utf-8")
    assert header.startswith(f"/*! dmn-js - dmn-modeler v{locked['dmn-js']['version']} |")


def _with_dependencies(name: str, locked: dict[str, Any]) -> set[str]:
    found, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(locked[current].get("dependencies") or {})
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_every_bundled_package_has_its_license(package: str, locked: dict[str, Any]) -> None:
    manifest = _json(VENDOR / package / "manifest.json")
    assert manifest["version"] == locked[package]["version"]
    assert manifest["integrity"] == locked[package]["integrity"]
    assert vendored_version(package) == manifest["version"]
    names = _with_dependencies(package, locked)
    assert set(manifest["licenses"]) == names
    for name in names:
        path = VENDOR / package / "licenses" / f"{name.replace('/', '__')}.LICENSE.txt"
        assert path.is_file(), name
        text = path.read_text(encoding="utf-8")
        # A license text, or (for the few packages shipping none) the license they declare.
        assert len(text) > 100 or "as declared in its metadata" in text, name


def test_the_bpmn_io_terms_travel_with_bpmn_js() -> None:
    notice = (BPMN_JS / "licenses" / "bpmn-js.LICENSE.txt").read_text(encoding="utf-8")
    assert "watermark" in notice  # bpmn.io's terms: the logo stays visible on every diagram


def test_the_swagger_ui_bundle_says_its_license_notice() -> None:
    header = (SWAGGER_UI / "swagger-ui-bundle.js").read_bytes()[:100].decode("utf-8")
    assert "swagger-ui-bundle.js.LICENSE.txt" in header
    assert (SWAGGER_UI / "swagger-ui-bundle.js.LICENSE.txt").stat().st_size > 100
