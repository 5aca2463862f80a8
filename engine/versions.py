"""Scripts and their immutable numbered versions; publish, rollback, and the spec cache."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cachetools import LRUCache

from engine.bpmn.bundle import Bundle, bundle_from_zip
from engine.bpmn.callees import Callee, CalleeLookup, pinned_manifest, pins_of
from engine.bpmn.compiler import CompiledScript, FunctionLookup, compile_bundle
from engine.bpmn.diff import diff_bundles
from engine.bpmn.namespaces import BPMN_NS
from engine.bpmn.safe_xml import parse_xml
from engine.errors import (
    Detail,
    DoesNotExist,
    NothingToRollBack,
    ScriptNotFound,
    ValidationFailed,
    VersionNotFound,
)
from engine.outbox import event_row
from engine.persistence.database import UnitOfWork
from engine.releases import Share, main_share, read_split, split_json, wanted_shares

MANIFEST = "cuebook.json"
COMPILE_WAIT_S = 10.0  # longest wait for another thread's compile of the same version
KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class DeployResult:
    script: str
    number: int
    created: bool
    published: bool
    content_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "script": self.script,
            "number": self.number,
            "created": self.created,
            "published": self.published,
            "content_hash": self.content_hash,
            "message": (
                f"version {self.number} created"
                if self.created
                else f"same content as version {self.number}: nothing new created"
            ),
        }


def check_key(key: str) -> str:
    if not key or len(key) > 100 or not set(key) <= KEY_CHARS:
        raise ValidationFailed(
            f"bad script key {key!r}: use 1-100 of a-z, 0-9, '_' and '-'",
            [Detail("script", "use 1-100 of a-z, 0-9, '_' and '-'")],
        )
    return key


def bundle_to_zip(bundle: Bundle) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(bundle.files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, bundle.files[name])
    return buf.getvalue()


class SpecCache:
    """Compiled scripts by version id. Versions are immutable, so entries never go stale.

    A version is compiled by one thread at a time: a thread that needs a version another
    thread is compiling (a start racing the precompiler, engine/precompile.py) waits for
    that compile instead of repeating it."""

    def __init__(self, functions: FunctionLookup | None = None, size: int = 256) -> None:
        self._items: LRUCache[int, CompiledScript] = LRUCache(maxsize=size)
        self._lock = threading.Lock()
        self._compiling: dict[int, threading.Lock] = {}
        self.functions = functions

    def put(self, version_id: int, compiled: CompiledScript) -> None:
        with self._lock:
            self._items[version_id] = compiled

    def holds(self, version_id: int) -> bool:
        with self._lock:
            return version_id in self._items

    def clear(self) -> None:
        """Forget every compiled version (each is compiled again from its stored bundle)."""
        with self._lock:
            self._items.clear()

    def get(self, uow: UnitOfWork, version_id: int) -> CompiledScript:
        with self._lock:
            found = self._items.get(version_id)
            if found is not None:
                return found
            compiling = self._compiling.setdefault(version_id, threading.Lock())
        # Bounded: a compile that needs another version's compile (a call activity's pinned
        # callee) never waits for ever on a thread that waits on it.
        mine = compiling.acquire(timeout=COMPILE_WAIT_S)
        try:
            with self._lock:
                found = self._items.get(version_id)
            if found is not None:
                return found
            compiled = self._compile(uow, version_id)
            self.put(version_id, compiled)
            return compiled
        finally:
            if mine:
                compiling.release()
                with self._lock:
                    if self._compiling.get(version_id) is compiling:
                        del self._compiling[version_id]

    def _compile(self, uow: UnitOfWork, version_id: int) -> CompiledScript:
        row = uow.scripts.version_by_id(version_id)
        if row is None:
            raise VersionNotFound(f"script version {version_id} not found")
        # Validated when deployed; integration functions may have changed since, so do
        # not re-check them here: a running version must keep running. Its callees are
        # the versions its stored manifest pins.
        return compile_bundle(bundle_from_zip(row["bundle"]), callees=callees_in(uow, self))


def callees_in(uow: UnitOfWork, cache: SpecCache) -> CalleeLookup:
    """Finds the script serving a called process: the version a pin names, else the
    published script whose entry process it is."""

    def lookup(process_id: str, pin: dict[str, Any] | None) -> Callee | None:
        found: Any = (
            _pinned(process_id, pin)
            if pin is not None
            else uow.scripts.published_declaring(process_id)
        )
        if found is None:
            return None
        compiled = cache.get(uow, int(found["version_id"]))
        return Callee(str(found["key"]), int(found["number"]), compiled)

    def _pinned(process_id: str, pin: dict[str, Any]) -> dict[str, Any] | None:
        script = uow.scripts.get(str(pin.get("script", "")))
        number = pin.get("version")
        if script is None or not isinstance(number, int):
            return None
        row = uow.scripts.version(script["id"], number)
        if row is None or row["process_id"] != process_id:
            return None
        return {"key": script["key"], "number": number, "version_id": row["id"]}

    return lookup


def with_pins(bundle: Bundle, compiled: CompiledScript) -> Bundle:
    """The bundle to store: its cuebook.json pins the callees the deploy resolved."""
    if not compiled.callees:
        return bundle
    manifest = pinned_manifest(compiled.manifest, compiled.callees)
    files = dict(bundle.files)
    files[MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    compiled.manifest = manifest
    return Bundle(files)


def deploy(
    uow: UnitOfWork,
    cache: SpecCache,
    key: str,
    bundle: Bundle,
    *,
    publish: bool,
    actor: str,
    now: datetime,
) -> DeployResult:
    """Validate and store a bundle as a new version (or find the same content)."""
    check_key(key)
    return store_bundle(uow, cache, key, bundle, publish=publish, actor=actor, now=now)


def store_bundle(
    uow: UnitOfWork,
    cache: SpecCache,
    key: str,
    bundle: Bundle,
    *,
    publish: bool,
    actor: str,
    now: datetime,
) -> DeployResult:
    """``deploy`` for a key Cuebook made itself (a draft's hidden test script ``<key>~draft``,
    which ``check_key`` refuses so that no real script can take such a key)."""
    compiled = compile_bundle(bundle, cache.functions, callees_in(uow, cache))
    bundle = with_pins(bundle, compiled)
    script = uow.scripts.get(key, for_update=True)
    script_id = script["id"] if script else uow.scripts.add(key, compiled.title, now)
    digest = bundle.content_hash
    existing = uow.scripts.version_by_hash(script_id, digest)
    if existing is not None:
        number, created = int(existing["number"]), False
    else:
        number = uow.scripts.next_number(script_id)
        version_id = uow.scripts.add_version(
            script_id=script_id,
            number=number,
            content_hash=digest,
            bundle=bundle_to_zip(bundle),
            process_id=compiled.process_id,
            title=compiled.title,
            created_at=now,
            created_by=actor,
        )
        created = True
        uow.outbox.add_many(
            [
                event_row(
                    "script.version_created",
                    key,
                    {"script": key, "number": number, "actor": actor},
                    now,
                )
            ]
        )
        cache.put(version_id, compiled)
    published = False
    if publish:
        publish_version(uow, key, number, actor=actor, now=now)
        published = True
    return DeployResult(key, number, created, published, digest)


def publish_version(
    uow: UnitOfWork, key: str, number: int, *, actor: str, now: datetime, action: str = "publish"
) -> None:
    """Flip the release pointer: new sessions start on ``number`` from this commit on."""
    script = uow.scripts.get(key, for_update=True)
    if script is None:
        raise ScriptNotFound(f"script {key!r} not found")
    version = uow.scripts.version(script["id"], number)
    if version is None:
        raise VersionNotFound(f"script {key!r} has no version {number}")
    uow.scripts.set_published(script["id"], number, version["title"] or None, now)
    uow.scripts.add_release(script["id"], number, action, actor, now)
    uow.outbox.add_many(
        [
            event_row(
                f"script.{'published' if action == 'publish' else 'rolled_back'}",
                key,
                {
                    "script": key,
                    "number": number,
                    "previous": script["published_version"],
                    "actor": actor,
                },
                now,
            )
        ]
    )


def release_versions(
    uow: UnitOfWork, key: str, versions: Any, *, actor: str, now: datetime
) -> dict[str, Any]:
    """Split new sessions between versions by weight (``versions``: a request's list of
    {number, weight}); one version at 100 is a publish."""
    wanted = wanted_shares(versions)
    script = uow.scripts.get(key, for_update=True)
    if script is None:
        raise ScriptNotFound(f"script {key!r} not found")
    shares = []
    for i, share in enumerate(wanted):
        row = uow.scripts.version(script["id"], share.number)
        if row is None:
            raise ValidationFailed(
                f"script {key!r} has no version {share.number}",
                [Detail(f"versions[{i}].number", f"no version {share.number}")],
            )
        shares.append(Share(share.number, share.weight, int(row["id"])))
    _release(uow, script, tuple(shares), actor=actor, now=now, action="release")
    return {"script": key, **release_of(uow.scripts.get(key) or script)}


def _release(
    uow: UnitOfWork,
    script: Any,
    shares: tuple[Share, ...],
    *,
    actor: str,
    now: datetime,
    action: str,
) -> None:
    if len(shares) == 1:  # one version at 100%: a publish (or a rollback to it)
        action = "publish" if action == "release" else action
        publish_version(uow, script["key"], shares[0].number, actor=actor, now=now, action=action)
        return
    main, split = main_share(shares), split_json(shares)
    uow.scripts.set_published(script["id"], main.number, None, now, split=split)
    uow.scripts.add_release(script["id"], main.number, action, actor, now, split=split)
    data = {
        "script": script["key"],
        "versions": [s.as_dict() for s in shares],
        "previous": _shares_of(script["published_version"], script["release_split"]),
        "action": action,
        "actor": actor,
    }
    uow.outbox.add_many([event_row("script.released", script["key"], data, now)])


def _shares_of(number: int | None, split: str | None) -> list[dict[str, int]]:
    if split:
        return [s.as_dict() for s in read_split(split)]
    return [] if number is None else [{"number": int(number), "weight": 100}]


def release_history(uow: UnitOfWork, key: str) -> list[dict[str, Any]]:
    """Every publish, split and rollback of a script, newest first, with who and when."""
    script = uow.scripts.get(key)
    if script is None:
        raise ScriptNotFound(f"script {key!r} not found")
    return [
        {
            "action": row["action"],
            "versions": _shares_of(row["version_number"], row["split"]),
            "actor": row["actor"],
            "released_at": row["released_at"].isoformat(),
        }
        for row in uow.scripts.releases(script["id"])
    ]


def release_of(script: Any) -> dict[str, Any]:
    """What a script's release is now: its published version and the split, if any."""
    return {
        "published_version": script["published_version"],
        "release": _shares_of(script["published_version"], script["release_split"]),
    }


def rollback(uow: UnitOfWork, key: str, *, actor: str, now: datetime) -> int:
    """Release again what was live before the current release (a version, or a split).
    Returns the version new sessions now mostly start on."""
    script = uow.scripts.get(key, for_update=True)
    if script is None:
        raise ScriptNotFound(f"script {key!r} not found")
    current = _shares_of(script["published_version"], script["release_split"])
    previous = None
    for row in uow.scripts.releases(script["id"]):
        earlier = _shares_of(row["version_number"], row["split"])
        if earlier != current:
            previous = row
            break
    if not current or previous is None:
        raise NothingToRollBack(f"script {key!r} has no earlier published version to roll back to")
    if previous["split"]:
        shares = read_split(previous["split"])
        _release(uow, script, shares, actor=actor, now=now, action="rollback")
        return main_share(shares).number
    publish_version(uow, key, previous["version_number"], actor=actor, now=now, action="rollback")
    return int(previous["version_number"])


HIDDEN_MARK = "~"  # in the keys of drafts' test scripts (engine/drafts.py): never listed


def list_scripts(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The scripts (not the hidden test copies of drafts), by key."""
    return [
        {
            "key": r["key"],
            "title": r["title"],
            **release_of(r),
            "updated_at": r["updated_at"].isoformat() if r["updated_at"] else None,
        }
        for r in uow.scripts.all()
        if HIDDEN_MARK not in r["key"]
    ]


def startable_scripts(uow: UnitOfWork, cache: SpecCache) -> list[dict[str, Any]]:
    """The published scripts a session can start on (routing scripts open tickets instead)."""
    found = []
    for script in list_scripts(uow):
        release = uow.scripts.published_version_id(script["key"])
        if release is not None and cache.get(uow, release["version_id"]).routing is None:
            found.append(script)
    return found


def list_versions(uow: UnitOfWork, key: str) -> list[dict[str, Any]]:
    script = uow.scripts.get(key)
    if script is None:
        raise ScriptNotFound(f"script {key!r} not found")
    weights = {
        s["number"]: s["weight"]
        for s in _shares_of(script["published_version"], script["release_split"])
    }
    return [
        {
            "number": r["number"],
            "title": r["title"],
            "process_id": r["process_id"],
            "content_hash": r["content_hash"],
            "created_at": r["created_at"].isoformat(),
            "created_by": r["created_by"],
            "published": r["number"] == script["published_version"],
            "weight": weights.get(int(r["number"]), 0),
        }
        for r in uow.scripts.versions(script["id"])
    ]


def _script_version(uow: UnitOfWork, key: str, number: int) -> tuple[Any, Any]:
    """The script and its version ``number`` (ScriptNotFound / VersionNotFound naming them)."""
    script = uow.scripts.get(key)
    if script is None:
        raise ScriptNotFound(f"script {key!r} not found")
    row = uow.scripts.version(script["id"], number)
    if row is None:
        raise VersionNotFound(f"script {key!r} has no version {number}")
    return script, row


def version_detail(uow: UnitOfWork, key: str, number: int) -> dict[str, Any]:
    """One version: what the list says, its files, and the callees it is pinned to."""
    script, row = _script_version(uow, key, number)
    bundle = bundle_from_zip(row["bundle"])
    return {
        "script": key,
        "number": row["number"],
        "title": row["title"],
        "process_id": row["process_id"],
        "content_hash": row["content_hash"],
        "created_at": row["created_at"].isoformat(),
        "created_by": row["created_by"],
        "published": row["number"] == script["published_version"],
        "files": sorted(bundle.files),
        "calls": pins_of(bundle.manifest()),
    }


def version_diagram(uow: UnitOfWork, key: str, number: int) -> bytes:
    """The BPMN XML of a version's primary process file, as it was deployed."""
    return _primary_file(uow, key, number)[0]


def version_element_names(uow: UnitOfWork, key: str, number: int) -> dict[str, str]:
    """Element id -> name in the version's primary process file (elements that have a name)."""
    root = _primary_file(uow, key, number)[1]
    return {
        str(el.get("id")): " ".join(str(el.get("name")).split())
        for el in root.iter(f"{{{BPMN_NS}}}*")
        if el.get("id") and el.get("name")
    }


def version_diff(uow: UnitOfWork, key: str, a: int, b: int) -> dict[str, Any]:
    """What changed from version ``a`` to version ``b`` of a script (engine/bpmn/diff.py)."""
    script = uow.scripts.get(key)
    if script is None:
        raise ScriptNotFound(f"script {key!r} not found")
    bundles = []
    for field, number in (("a", a), ("b", b)):
        row = uow.scripts.version(script["id"], number)
        if row is None:
            raise VersionNotFound(
                f"script {key!r} has no version {number}", [Detail(field, f"no version {number}")]
            )
        bundles.append(bundle_from_zip(row["bundle"]))
    return {"script": key, "a": a, "b": b, **diff_bundles(bundles[0], bundles[1])}


def _primary_file(uow: UnitOfWork, key: str, number: int) -> tuple[bytes, Any]:
    _script, version = _script_version(uow, key, number)
    bundle = bundle_from_zip(version["bundle"])
    process_id = version["process_id"]
    tag = f"{{{BPMN_NS}}}process"
    for name in bundle.names(".bpmn"):
        root = parse_xml(bundle.files[name], name)
        if any(p.get("id") == process_id for p in root.iter(tag)):
            return bytes(bundle.files[name]), root
    raise DoesNotExist(
        f"script {key!r} version {number} holds no BPMN file with process {process_id!r}",
        [Detail("process_id", f"no BPMN file defines {process_id!r}")],
    )


Clock = Callable[[], datetime]
