"""Script bundles: the files of one script version.

A bundle is a folder (or a .zip, or the files of a multipart upload) holding
``.bpmn``, ``.dmn`` and form files (JSON Schema + UI schema), with an optional
manifest: SpiffArena's ``process_model.json`` or Cuebook's ``cuebook.json``.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from engine.errors import Detail, ValidationFailed

MAX_BUNDLE_BYTES = 20 * 1024 * 1024
MAX_FILES = 200
BUNDLE_SUFFIXES = (".bpmn", ".dmn", ".json")
MANIFEST_NAMES = ("cuebook.json", "process_model.json")


@dataclass(frozen=True)
class Bundle:
    """File name -> content. Names are flat (no folders), sorted for hashing."""

    files: Mapping[str, bytes]

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode())
            digest.update(b"\0")
            digest.update(hashlib.sha256(self.files[name]).digest())
        return digest.hexdigest()

    def names(self, suffix: str) -> list[str]:
        return sorted(n for n in self.files if n.lower().endswith(suffix))

    def manifest(self) -> dict[str, Any]:
        """The merged manifest (``cuebook.json`` wins over ``process_model.json``)."""
        merged: dict[str, Any] = {}
        for name in reversed(MANIFEST_NAMES):
            if name in self.files:
                data = load_json(self, name)
                if not isinstance(data, dict):
                    raise ValidationFailed(
                        f"{name} must hold a JSON object",
                        [Detail(name, "must hold a JSON object")],
                    )
                merged.update(data)
        return merged


def load_json(bundle: Bundle, name: str) -> Any:
    try:
        return json.loads(bundle.files[name].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            f"{name}: not valid JSON: {exc}", [Detail(name, f"not valid JSON: {exc}")]
        ) from exc


def _check_name(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    if not base or base.startswith("."):
        raise ValidationFailed(f"bad file name {name!r}", [Detail(name, "bad file name")])
    return base


def bundle_from_files(files: Mapping[str, bytes]) -> Bundle:
    """Build a bundle from uploaded files; a single .zip is unpacked."""
    if len(files) == 1:
        ((only_name, only_data),) = files.items()
        if only_name.lower().endswith(".zip"):
            return bundle_from_zip(only_data)
    if len(files) > MAX_FILES:
        raise ValidationFailed(f"too many files ({len(files)}, at most {MAX_FILES})")
    total = sum(len(v) for v in files.values())
    if total > MAX_BUNDLE_BYTES:
        raise ValidationFailed(f"bundle too large ({total} bytes, at most {MAX_BUNDLE_BYTES})")
    clean: dict[str, bytes] = {}
    for name, data in files.items():
        base = _check_name(name)
        if not base.lower().endswith(BUNDLE_SUFFIXES):
            continue
        if base in clean:
            raise ValidationFailed(f"file {base} given twice", [Detail(base, "file given twice")])
        clean[base] = data
    if not any(n.lower().endswith(".bpmn") for n in clean):
        raise ValidationFailed("the bundle holds no .bpmn file", [Detail("", "no .bpmn file")])
    return Bundle(clean)


def bundle_from_zip(data: bytes) -> Bundle:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValidationFailed(f"not a zip archive: {exc}") from exc
    files: dict[str, bytes] = {}
    total = 0
    for info in archive.infolist():
        if info.is_dir():
            continue
        total += info.file_size
        if total > MAX_BUNDLE_BYTES:
            raise ValidationFailed(f"bundle too large (more than {MAX_BUNDLE_BYTES} bytes)")
        name = PurePosixPath(info.filename).name
        if name.lower().endswith(BUNDLE_SUFFIXES) and not name.startswith("."):
            files[info.filename] = archive.read(info)
    return bundle_from_files(files)


def bundle_from_path(path: str | Path) -> Bundle:
    """A bundle from a folder or a .zip file."""
    p = Path(path)
    if p.is_file() and p.suffix.lower() == ".zip":
        return bundle_from_zip(p.read_bytes())
    if not p.is_dir():
        raise ValidationFailed(f"{p}: not a folder or a .zip file", [Detail(str(p), "not found")])
    files = {
        f.name: f.read_bytes()
        for f in sorted(p.iterdir())
        if f.is_file() and f.name.lower().endswith(BUNDLE_SUFFIXES)
    }
    return bundle_from_files(files)
