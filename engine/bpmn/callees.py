"""Call activities into other scripts: reuse a sub-script that another script publishes.

A call activity whose process is not in the bundle is served by the published script that
declares that process as its entry (``primary_process_id``). The deploy pins the callee:
it writes ``calls`` into the stored version's ``cuebook.json``
(``{"process_id": {"script": key, "version": n}}``), so a version compiles to the same
specs whenever it is loaded, and publishing the callee later changes no running or new
session of this version. An author may pin a callee in ``cuebook.json`` the same way; the
version named there is then used instead of the callee's published one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.bpmn.namespaces import BPMN_NS

MANIFEST_KEY = "calls"


@dataclass(frozen=True)
class Callee:
    """A compiled version of another script, serving one called process."""

    script: str
    version: int
    compiled: Any  # CompiledScript

    @property
    def pin(self) -> dict[str, Any]:
        return {"script": self.script, "version": self.version}


# (process id, the pin the caller's manifest names or None) -> the callee, or None
CalleeLookup = Callable[[str, dict[str, Any] | None], Callee | None]


def external_calls(roots: dict[str, Any], process_ids: dict[str, str]) -> dict[str, list[Any]]:
    """Call activities whose target is not a process of the bundle, by target."""
    found: dict[str, list[Any]] = {}
    for file, root in roots.items():
        for call in root.iter(f"{{{BPMN_NS}}}callActivity"):
            target = call.get("calledElement", "")
            if target not in process_ids:
                found.setdefault(target, []).append((file, call.get("id", "")))
    return found


def pins_of(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    value = manifest.get(MANIFEST_KEY) or {}
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(v, dict)}


def resolve(
    targets: dict[str, list[Any]],
    manifest: dict[str, Any],
    lookup: CalleeLookup | None,
    add_problem: Callable[[str, str, str], None],
) -> dict[str, Callee]:
    """The callee of every external target; a problem at each call no script serves.
    Without a lookup (a bundle checked with no database) nothing is resolved and nothing
    is a problem: the deploy resolves them."""
    pins = pins_of(manifest)
    served: dict[str, Callee] = {}
    if lookup is None:
        return served
    for target, calls in targets.items():
        callee = lookup(target, pins.get(target))
        if callee is not None:
            served[target] = callee
            continue
        if target in pins:
            why = f"is pinned to {pins[target]} in cuebook.json, and no such version declares it"
        else:
            why = "is not in the bundle, and no published script declares it as its process"
        for file, element in calls:
            add_problem(file, element, f"call activity target {target!r} {why}")
    return served


def attach(callees: dict[str, Callee], subprocess_specs: dict[str, Any]) -> None:
    """Add each callee's process and the processes it calls to the caller's specs."""
    for target, callee in callees.items():
        subprocess_specs[target] = callee.compiled.spec
        for name, spec in callee.compiled.subprocess_specs.items():
            subprocess_specs.setdefault(name, spec)


def pinned_manifest(manifest: dict[str, Any], callees: dict[str, Callee]) -> dict[str, Any]:
    """The manifest to store: the callees pinned to the versions the deploy resolved."""
    if not callees:
        return manifest
    pinned = dict(manifest)
    pinned[MANIFEST_KEY] = {target: c.pin for target, c in sorted(callees.items())}
    return pinned
