"""The vendored bpmn-js files are there and are the version the lock file pins (`make vendor`)."""

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


def test_the_package_is_pinned_exactly() -> None:
    wanted = _json(ASSETS / "package.json")["dependencies"]["bpmn-js"]
    assert wanted[0].isdigit() and all(c.isdigit() or c == "." for c in wanted), wanted
    assert _json(ASSETS / "package-lock.json")["packages"][""]["dependencies"]["bpmn-js"] == wanted


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


def test_every_file_matches_the_manifest(manifest: dict[str, Any]) -> None:
    on_disk = {
        p.relative_to(BPMN_JS).as_posix()
        for p in BPMN_JS.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert on_disk == set(manifest["files"])
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((BPMN_JS / name).read_bytes()).hexdigest() == digest, name
    assert set(STYLES) <= on_disk


def test_every_bundled_package_has_its_license(
    manifest: dict[str, Any], locked: dict[str, Any]
) -> None:
    assert set(manifest["licenses"]) == set(locked)
    for name in locked:
        path = BPMN_JS / "licenses" / f"{name.replace('/', '__')}.LICENSE.txt"
        assert path.is_file() and path.stat().st_size > 100, name
    notice = (BPMN_JS / "licenses" / "bpmn-js.LICENSE.txt").read_text(encoding="utf-8")
    assert "watermark" in notice  # bpmn.io's terms: the logo stays visible on every diagram
