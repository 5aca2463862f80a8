"""The files of a Camunda 7 model: one .bpmn, a folder, or a .zip, read within limits.

Only model files are read (.bpmn, .dmn and their ``.bpmn20.xml``/``.dmn11.xml`` spellings,
and Camunda Forms' ``.form``). A .zip is never extracted to disk: each
entry's name is checked (no absolute paths, no ``..``, no drive letters), entries and
bytes are counted while reading, so neither a zip bomb nor a lying header gets past.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_FILES = 200
MAX_ENTRIES = 2000
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_RATIO = 200
MODEL_SUFFIXES = (".bpmn", ".bpmn20.xml", ".bpmn2", ".dmn", ".dmn11.xml", ".form")


class NotAModel(Exception):
    """The input is not a Camunda 7 model (or not one that can be read safely)."""


@dataclass(frozen=True)
class SourceFile:
    name: str  # flat file name, unique in the import
    path: str  # where it came from (inside the folder or zip)
    data: bytes

    @property
    def kind(self) -> str:
        lower = self.name.lower()
        if lower.endswith((".dmn", ".dmn11.xml")):
            return "dmn"
        if lower.endswith(".form"):
            return "form"
        return "bpmn"


def _is_model(name: str) -> bool:
    base = PurePosixPath(name).name.lower()
    return base.endswith(MODEL_SUFFIXES) and not base.startswith(".")


def _unique(name: str, taken: set[str]) -> str:
    base = PurePosixPath(name).name
    candidate, number = base, 2
    while candidate.lower() in taken:
        stem, dot, suffix = base.partition(".")
        candidate = f"{stem}_{number}{dot}{suffix}"
        number += 1
    taken.add(candidate.lower())
    return candidate


def _safe_entry_name(name: str) -> str:
    if "\x00" in name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise NotAModel(f"unsafe entry name in the archive: {name!r}")
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        raise NotAModel(f"unsafe entry name in the archive: {name!r}")
    return "/".join(parts)


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    if info.flag_bits & 0x1:
        raise NotAModel(f"{info.filename}: encrypted entries are not read")
    if info.file_size > MAX_FILE_BYTES or info.file_size > budget:
        raise NotAModel(f"{info.filename}: entry too large ({info.file_size} bytes)")
    if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
        raise NotAModel(f"{info.filename}: compression ratio too high (a zip bomb?)")
    limit = min(MAX_FILE_BYTES, budget)
    with archive.open(info) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise NotAModel(f"{info.filename}: entry larger than its header says")
    return data


def read_zip(path: Path) -> list[SourceFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAModel(f"{path.name}: not a readable zip archive ({exc})") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise NotAModel(f"{path.name}: more than {MAX_ENTRIES} entries")
        files: list[SourceFile] = []
        taken: set[str] = set()
        budget = MAX_TOTAL_BYTES
        for info in infos:
            name = _safe_entry_name(info.filename)
            if info.is_dir() or not _is_model(name):
                continue
            if len(files) >= MAX_FILES:
                raise NotAModel(f"{path.name}: more than {MAX_FILES} model files")
            data = _read_entry(archive, info, budget)
            budget -= len(data)
            files.append(SourceFile(_unique(name, taken), name, data))
    return files


def read_folder(path: Path) -> list[SourceFile]:
    files: list[SourceFile] = []
    taken: set[str] = set()
    total = 0
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path).as_posix()
        if file.is_symlink() or not file.is_file() or not _is_model(relative):
            continue
        if any(part.startswith(".") for part in file.relative_to(path).parts):
            continue
        size = file.stat().st_size
        total += size
        if size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES or len(files) >= MAX_FILES:
            raise NotAModel(f"{relative}: the model is too large to import")
        files.append(SourceFile(_unique(relative, taken), relative, file.read_bytes()))
    return files


def read_source(path: Path) -> list[SourceFile]:
    """The model files at ``path`` (a file, a folder or a .zip)."""
    if path.is_dir():
        files = read_folder(path)
    elif path.suffix.lower() == ".zip":
        files = read_zip(path)
    elif path.is_file():
        if path.stat().st_size > MAX_FILE_BYTES:
            raise NotAModel(f"{path.name}: the file is too large to import")
        files = [SourceFile(path.name, path.name, path.read_bytes())]
    else:
        raise NotAModel(f"{path}: no such file or folder")
    if not any(f.kind == "bpmn" for f in files):
        raise NotAModel(f"{path.name}: no .bpmn file found")
    return files
