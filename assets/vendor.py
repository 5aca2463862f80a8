"""Copy the prebuilt browser bundles from assets/node_modules into web/static/vendor/.

Run by `make vendor` after `npm ci` in this folder. The copies are committed, so serving
them needs no Node. Each package's folder gets a manifest.json recording the version and
integrity from the lock file, the licenses of the package and of what it depends on, and a
SHA-256 of every copied file; tests/unit/test_vendored_assets.py checks them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules"
VENDOR = HERE.parent / "web" / "static" / "vendor"
LICENSE_NAMES = ("LICENSE", "license", "LICENSE.md", "LICENSE.txt", "NOTICE")


@dataclass(frozen=True)
class Vendored:
    """What of one npm package is served: its bundles (their license notices beside them)
    and whole folders, all under ``source`` in the package."""

    source: str
    bundles: tuple[str, ...]
    extra_files: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()


PACKAGES = {
    "bpmn-js": Vendored(
        source="dist",
        bundles=("bpmn-navigated-viewer.production.min.js", "bpmn-modeler.production.min.js"),
        folders=("assets",),
    ),
    # The editor's decision tables (the properties panel opens a .dmn of the draft in it).
    "dmn-js": Vendored(
        source="dist",
        bundles=("dmn-modeler.production.min.js",),
        folders=("assets",),
    ),
    "swagger-ui-dist": Vendored(
        source="",
        bundles=("swagger-ui-bundle.js",),
        extra_files=("swagger-ui.css", "swagger-ui-bundle.js.LICENSE.txt"),
    ),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def locked_packages() -> dict[str, dict[str, object]]:
    lock = json.loads((HERE / "package-lock.json").read_text(encoding="utf-8"))
    return {
        name.removeprefix("node_modules/"): entry
        for name, entry in lock["packages"].items()
        if name.startswith("node_modules/")
    }


def with_dependencies(name: str, packages: dict[str, dict[str, object]]) -> set[str]:
    """``name`` and every package it depends on, directly or not, as the lock file has them."""
    found: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(dict(packages[current].get("dependencies") or {}))  # type: ignore[call-overload]
    return found


def _declared_license(folder: Path) -> str:
    """The license and author a package's package.json (or its older component.json)
    declares (empty: none)."""
    meta = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    license_name = meta.get("license")
    if not license_name and (folder / "component.json").is_file():
        license_name = json.loads((folder / "component.json").read_text(encoding="utf-8")).get(
            "license"
        )
    if not isinstance(license_name, str) or not license_name:
        return ""
    author = meta.get("author")
    if isinstance(author, dict):
        author = author.get("name", "")
    return (
        f"{meta.get('name')} {meta.get('version')}: license {license_name}, as declared in "
        f"its metadata (the package ships no license file); author: {author or 'unknown'}.\n"
    )


def copy_licenses(
    names: set[str], packages: dict[str, dict[str, object]], target: Path
) -> dict[str, str]:
    """The license (and notice) files of ``names``: the bundles contain their code."""
    licenses: dict[str, str] = {}
    for name in sorted(names):
        folder = MODULES / name
        found = [folder / n for n in LICENSE_NAMES if (folder / n).is_file()]
        if not found:
            declared = _declared_license(folder)
            if not declared:
                sys.exit(f"{name}: no license file in {folder}, none declared")
            # A few small packages (@bpmn-io/semver-compat) ship no license text: record
            # what their package.json declares.
            out = target / "licenses" / f"{name.replace('/', '__')}.LICENSE.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(declared, encoding="utf-8")
        for path in found:
            kind = "NOTICE" if path.name == "NOTICE" else "LICENSE"
            out = target / "licenses" / f"{name.replace('/', '__')}.{kind}.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out)
        entry = packages[name]
        licenses[name] = f"{entry['version']} {entry.get('license', '')}".strip()
    return licenses


def vendor(package: str, what: Vendored, packages: dict[str, dict[str, object]]) -> None:
    locked = packages[package]
    installed = json.loads((MODULES / package / "package.json").read_text(encoding="utf-8"))
    if installed["version"] != locked["version"]:
        sys.exit(f"{package} {installed['version']} installed, {locked['version']} locked")
    source = MODULES / package / what.source
    target = VENDOR / package
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in (*what.bundles, *what.extra_files):
        shutil.copyfile(source / name, target / name)
    for folder in what.folders:
        shutil.copytree(source / folder, target / folder)
    licenses = copy_licenses(with_dependencies(package, packages), packages, target)
    files = {
        p.relative_to(target).as_posix(): sha256(p)
        for p in sorted(target.rglob("*"))
        if p.is_file()
    }
    manifest = {
        "package": package,
        "version": locked["version"],
        "integrity": locked["integrity"],
        "bundles": list(what.bundles),
        "licenses": licenses,
        "files": files,
    }
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    (target / "manifest.json").write_text(text, encoding="utf-8")
    print(f"{package} {locked['version']}: {len(files)} files in {target}")


def main() -> None:
    packages = locked_packages()
    for package, what in PACKAGES.items():
        vendor(package, what, packages)


if __name__ == "__main__":
    main()
