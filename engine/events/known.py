"""Message names some script declares, and the payload schemas given for them.

A message naming none of them is refused (``unknown_message``); one whose payload breaks a
schema is refused too (``invalid_payload``). A message is addressed by name, not by script,
so its payload must fit the schema of every script that declares the message and gives one;
of each script, the newest version that declares the message speaks for it.

Versions are immutable and their ids only grow, so each version is read once: a refresh reads
only versions newer than the last one read, at most every few seconds, and at once for a name
not known yet (a script deployed a moment ago).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

import sqlalchemy as sa
from jsonschema import Draft202012Validator

from engine.bpmn.bundle import Bundle, bundle_from_zip
from engine.bpmn.payloads import declared_messages, load_payload_schemas
from engine.bpmn.safe_xml import parse_xml
from engine.errors import CuebookError, Detail
from engine.persistence.database import Database
from engine.persistence.tables import script_versions

MAX_DETAILS = 20


def _declared(bundle: Bundle) -> tuple[set[str], dict[str, dict[str, Any]]]:
    """The message names a bundle declares and the payload schemas its manifest gives."""
    roots = []
    for file, data in bundle.files.items():
        if file.endswith(".bpmn"):
            roots.append(parse_xml(data, file))
    names = declared_messages(roots)
    schemas, _ = load_payload_schemas(bundle.files, bundle.manifest(), names)
    return names, schemas


def message_names(bundle_zip: bytes) -> set[str]:
    """The names of the BPMN messages a stored bundle declares."""
    try:
        return _declared(bundle_from_zip(bundle_zip))[0]
    except CuebookError:
        return set()


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def payload_details(validator: Draft202012Validator, payload: Any) -> list[Detail]:
    """Where and how ``payload`` breaks the schema: paths start at ``payload``."""
    errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path))
    details = []
    for error in errors[:MAX_DETAILS]:
        path = ["payload", *(str(p) for p in error.absolute_path)]
        if error.validator == "required" and isinstance(error.instance, dict):
            path += [k for k in error.validator_value if k not in error.instance][:1]
        details.append(Detail("/".join(path), error.message))
    return details


class KnownMessages:
    """Message names and payload schemas of every deployed version, in memory (thread-safe).
    ``of(database)`` gives the one instance of a process for a database."""

    _shared: ClassVar[weakref.WeakKeyDictionary[Database, KnownMessages]] = (
        weakref.WeakKeyDictionary()
    )
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        database: Database,
        *,
        refresh_every: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.refresh_every = refresh_every
        self.clock = clock
        self._names: set[str] = set()
        # message name -> script id -> validator (None: that script gives no schema for it)
        self._schemas: dict[str, dict[int, Draft202012Validator | None]] = {}
        self._last_version = 0
        self._refreshed_at: float | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, database: Database) -> KnownMessages:
        with cls._shared_lock:
            known = cls._shared.get(database)
            if known is None:
                known = cls._shared[database] = cls(database)
            return known

    def knows(self, name: str) -> bool:
        self._refresh_if_due(force=name not in self._names)
        return name in self._names

    def payload_problems(self, name: str, payload: Any) -> list[Detail]:
        """Where the payload breaks the schemas given for ``name`` ([] when it fits)."""
        self._refresh_if_due(force=False)
        for validator in (self._schemas.get(name) or {}).values():
            if validator is not None:
                details = payload_details(validator, payload)
                if details:
                    return details
        return []

    def _refresh_if_due(self, *, force: bool) -> None:
        now = self.clock()
        due = self._refreshed_at is None or now - self._refreshed_at >= self.refresh_every
        if not (force or due):
            return
        with self._lock:
            self._refresh()
            self._refreshed_at = now

    def _refresh(self) -> None:
        q = (
            sa.select(script_versions.c.id, script_versions.c.script_id, script_versions.c.bundle)
            .where(script_versions.c.id > self._last_version)
            .order_by(script_versions.c.id)
        )
        with self.database.unit_of_work() as uow:
            rows = uow.conn.execute(q).all()
        for version_id, script_id, bundle in rows:
            self._read_version(int(script_id), bytes(bundle))
            self._last_version = version_id

    def _read_version(self, script_id: int, bundle_zip: bytes) -> None:
        try:
            names, schemas = _declared(bundle_from_zip(bundle_zip))
        except CuebookError:
            return
        self._names |= names
        for name in names:
            schema = schemas.get(name)
            validator = None if schema is None else _validator(schema)
            self._schemas = {
                **self._schemas,
                name: {**self._schemas.get(name, {}), script_id: validator},
            }
