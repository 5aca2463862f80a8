"""Copy the prebuilt bpmn-js bundles from assets/node_modules into web/static/vendor/.

Run by `make vendor` after `npm ci` in this folder. The copies are committed, so serving
them needs no Node. manifest.json records the version and integrity from the lock file
and a SHA-256 of every copied file; tests/unit/test_vendored_assets.py checks them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules"
TARGET = HERE.parent / "web" / "static" / "vendor" / "bpmn-js"
PACKAGE = "bpmn-js"
BUNDLES = ("bpmn-navigated-viewer.production.min.js", "bpmn-modeler.production.min.js")
LICENSE_NAMES = ("LICENSE", "license", "LICENSE.md", "LICENSE.txt", "NOTICE")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def locked_packages() -> dict[str, dict[str, str]]:
    lock = json.loads((HERE / "package-lock.json").read_text(encoding="utf-8"))
    return {
        name.removeprefix("node_modules/"): entry
        for name, entry in lock["packages"].items()
        if name.startswith("node_modules/")
    }


def copy_licenses(packages: dict[str, dict[str, str]]) -> dict[str, str]:
    """Every locked package's license (and notice) files: the bundles contain their code."""
    licenses: dict[str, str] = {}
    for name, entry in sorted(packages.items()):
        folder = MODULES / name
        found = [folder / n for n in LICENSE_NAMES if (folder / n).is_file()]
        if not found:
            sys.exit(f"{name}: no license file in {folder}")
        for path in found:
            kind = "NOTICE" if path.name == "NOTICE" else "LICENSE"
            out = TARGET / "licenses" / f"{name.replace('/', '__')}.{kind}.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out)
        licenses[name] = f"{entry['version']} {entry.get('license', '')}".strip()
    return licenses


def main() -> None:
    packages = locked_packages()
    locked = packages[PACKAGE]
    installed = json.loads((MODULES / PACKAGE / "package.json").read_text(encoding="utf-8"))
    if installed["version"] != locked["version"]:
        sys.exit(f"{PACKAGE} {installed['version']} installed, {locked['version']} locked")
    dist = MODULES / PACKAGE / "dist"
    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)
    for name in BUNDLES:
        shutil.copyfile(dist / name, TARGET / name)
    shutil.copytree(dist / "assets", TARGET / "assets")
    licenses = copy_licenses(packages)
    files = {
        p.relative_to(TARGET).as_posix(): sha256(p)
        for p in sorted(TARGET.rglob("*"))
        if p.is_file()
    }
    manifest = {
        "package": PACKAGE,
        "version": locked["version"],
        "integrity": locked["integrity"],
        "bundles": list(BUNDLES),
        "licenses": licenses,
        "files": files,
    }
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    (TARGET / "manifest.json").write_text(text, encoding="utf-8")
    print(f"{PACKAGE} {locked['version']}: {len(files)} files in {TARGET}")


if __name__ == "__main__":
    main()
