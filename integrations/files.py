"""Integration functions in files: YAML or JSON, one function or a list of them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from integrations.errors import Problem, SpecInvalid
from integrations.spec import FunctionSpec, parse_function


def _load(path: Path, text: str) -> Any:
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecInvalid(
                [("", f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")],
                str(path),
            ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise SpecInvalid([("", f"not valid YAML{at}: {problem}")], str(path)) from None


def load_functions_file(path: str | Path) -> list[FunctionSpec]:
    """Parse every function in a ``.yaml``/``.yml``/``.json`` file.

    Raises ``SpecInvalid`` whose ``source`` is the file and whose paths start at the
    function's index in the file (``[1].request.url``) when the file holds a list.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecInvalid([("", f"cannot read the file: {exc}")], str(path)) from None
    data = _load(path, text)
    single = isinstance(data, dict)
    items = [data] if single else data
    if not isinstance(items, list):
        raise SpecInvalid([("", "expected a function (an object) or a list of them")], str(path))
    specs: list[FunctionSpec] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        prefix = "" if single else f"[{index}]"
        try:
            spec = parse_function(item)
        except SpecInvalid as exc:
            problems.extend((_prefixed(prefix, p), m) for p, m in exc.problems)
            continue
        if spec.name in seen:
            problems.append(
                (
                    _prefixed(prefix, "name"),
                    f"duplicate function {spec.name!r} (also [{seen[spec.name]}])",
                )
            )
        seen.setdefault(spec.name, index)
        specs.append(spec)
    if problems:
        raise SpecInvalid(problems, str(path))
    return specs


def _prefixed(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def dump_functions(specs: Iterable[FunctionSpec], fmt: str = "yaml") -> str:
    """Functions as a YAML or JSON list that ``load_functions_file`` reads back."""
    data = [spec.to_dict() for spec in specs]
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt in ("yaml", "yml"):
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    raise ValueError(f"unknown format {fmt!r}: use 'yaml' or 'json'")
