"""Integration functions kept in the database: versioned, validated, cached per process.

The specs and their invocation live in ``integrations``; this module stores them,
answers the use cases of the editor, and gives the step path a cheap lookup.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from cachetools import TTLCache

from engine.bpmn.compiler import FunctionInfo
from engine.errors import Detail, FunctionExists, FunctionNotFound, ValidationFailed
from engine.outbox import event_row
from engine.persistence.database import Database, UnitOfWork
from integrations import FunctionSpec, SpecInvalid, parse_function

CATALOG_TTL_S = 2.0
CATALOG_SIZE = 4096
_UNKNOWN = object()  # a cached "no such function" is None; a miss is this


def _parse(data: Any, where: str = "") -> FunctionSpec:
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            "a function must be a JSON object", [Detail(where, "must be an object")]
        )
    try:
        return parse_function(data)
    except SpecInvalid as exc:
        details = [
            Detail(f"{where}{path}" if where else str(path), msg) for path, msg in exc.problems
        ]
        raise ValidationFailed(
            f"invalid integration function: {details[0].path}: {details[0].message}", details
        ) from exc


def _as_dict(row: Any) -> dict[str, Any]:
    spec = json.loads(row["spec"])
    return {
        **spec,
        "version": row["version"],
        "updated_at": row["created_at"].isoformat(),
        "updated_by": row["created_by"],
    }


def list_functions(uow: UnitOfWork) -> list[dict[str, Any]]:
    return [_as_dict(r) for r in uow.functions.all_current()]


def get_function(uow: UnitOfWork, name: str) -> dict[str, Any]:
    row = uow.functions.current(name)
    if row is None:
        raise FunctionNotFound(f"integration function {name!r} not found")
    return _as_dict(row)


def current_spec(uow: UnitOfWork, name: str) -> FunctionSpec:
    row = uow.functions.current(name)
    if row is None:
        raise FunctionNotFound(f"integration function {name!r} not found")
    return parse_function(json.loads(row["spec"]))


def save_function(
    uow: UnitOfWork,
    data: Any,
    *,
    actor: str,
    now: datetime,
    name: str | None = None,
    create: bool = False,
) -> dict[str, Any]:
    """Store a new version of a function (``create``: refuse if it exists)."""
    spec = _parse(data)
    if name is not None and spec.name != name:
        raise ValidationFailed(
            f"the body names {spec.name!r}, the URL {name!r}", [Detail("name", f"must be {name!r}")]
        )
    exists = uow.functions.current(spec.name) is not None
    if create and exists:
        raise FunctionExists(f"integration function {spec.name!r} exists; change it instead")
    stored = spec.to_dict()
    current = uow.functions.current(spec.name)
    if current is not None and json.loads(current["spec"]) == stored:
        return _as_dict(current)
    version = uow.functions.latest_version(spec.name) + 1
    uow.functions.add(
        name=spec.name,
        version=version,
        spec=json.dumps(stored, ensure_ascii=False),
        deleted=False,
        created_at=now,
        created_by=actor,
    )
    uow.outbox.add_many(
        [
            event_row(
                "integration.saved",
                spec.name,
                {"name": spec.name, "version": version, "actor": actor},
                now,
            )
        ]
    )
    return get_function(uow, spec.name)


def delete_function(uow: UnitOfWork, name: str, *, actor: str, now: datetime) -> None:
    current = uow.functions.current(name)
    if current is None:
        raise FunctionNotFound(f"integration function {name!r} not found")
    uow.functions.add(
        name=name,
        version=current["version"] + 1,
        spec=current["spec"],
        deleted=True,
        created_at=now,
        created_by=actor,
    )
    uow.outbox.add_many(
        [event_row("integration.deleted", name, {"name": name, "actor": actor}, now)]
    )


class FunctionCatalog:
    """Current specs by name for the step path: a few seconds of memory, then a re-read."""

    def __init__(
        self,
        database: Database,
        ttl_s: float = CATALOG_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        size: int = CATALOG_SIZE,
    ) -> None:
        self._database = database
        self._items: TTLCache[str, FunctionSpec | None] = TTLCache(
            maxsize=size, ttl=ttl_s, timer=clock
        )
        self._lock = threading.Lock()

    def get(self, name: str) -> FunctionSpec | None:
        with self._lock:
            hit = self._items.get(name, _UNKNOWN)
        if hit is not _UNKNOWN:
            return hit  # type: ignore[return-value]
        with self._database.unit_of_work() as uow:
            row = uow.functions.current(name)
        spec = None if row is None else parse_function(json.loads(row["spec"]))
        with self._lock:
            self._items[name] = spec
        return spec

    def forget(self, name: str) -> None:
        with self._lock:
            self._items.pop(name, None)

    def info(self, name: str) -> FunctionInfo | None:
        """What bundle validation needs: parameter names, and which are required."""
        spec = self.get(name)
        if spec is None:
            return None
        return FunctionInfo(
            name=spec.name,
            parameters=tuple(p.name for p in spec.parameters),
            required=tuple(p.name for p in spec.parameters if p.required and not p.has_default),
        )
