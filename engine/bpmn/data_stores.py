"""Data stores: reference tables a bundle ships with its script (tariffs, store addresses,
opening hours), read by the tasks drawn to read them.

A ``bpmn:dataStore`` named ``tariffs`` is the bundle's file ``tariffs.json`` (any JSON). A
task with a data input association from a reference to that store finds the table in its
data, under the data store's id, while it runs (its script, its form's texts, its
conditions); it is dropped from the data when the task completes, so a session's saved
state never holds a copy. Stores are part of the immutable version: a new table is a new
version. Writing to a store (a data output association to it) is refused at validate:
keep what a session learns in variables, or send it out with an integration function.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.data_spec import BpmnDataStoreSpecification

from engine.bpmn.namespaces import BPMN_NS

Problem = tuple[str, str]  # (element id, message)


class BundleDataStore(BpmnDataStoreSpecification):
    """A read-only table from a bundle file."""

    def __init__(self, bpmn_id: str, bpmn_name: str, value: Any) -> None:
        super().__init__(bpmn_id, bpmn_name)
        self.value = value

    def get(self, my_task: Any, **kwargs: Any) -> None:
        my_task.data[self.bpmn_id] = deepcopy(self.value)

    def set(self, my_task: Any, **kwargs: Any) -> None:
        raise PermissionError(f"data store {self.bpmn_name!r} is read-only")


class BundleStores(Mapping[str, Callable[..., BundleDataStore]]):
    """What the parser asks for by a data store's name: a maker of the store from the
    bundle's ``<name>.json``."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self._files = files

    def __getitem__(self, name: str) -> Callable[..., BundleDataStore]:
        data = self._files[f"{name}.json"]
        value = json.loads(data)

        def make(bpmn_id: str, bpmn_name: str, *_: Any) -> BundleDataStore:
            return BundleDataStore(bpmn_id, bpmn_name, value)

        return make

    def __iter__(self) -> Iterator[str]:
        return (n[: -len(".json")] for n in self._files if n.endswith(".json"))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _q(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def data_store_problems(root: Any, files: Mapping[str, bytes]) -> list[Problem]:
    """A store with no name or no file, a file that is not JSON, and writes to a store."""
    problems: list[Problem] = []
    stores: set[str] = set()
    for store in root.iter(_q("dataStore")):
        ident, name = store.get("id", ""), store.get("name", "")
        stores.add(ident)
        if not name:
            problems.append((ident, "a data store needs a name: the bundle file <name>.json"))
        elif f"{name}.json" not in files:
            problems.append((ident, f"data store {name!r}: the bundle has no file {name}.json"))
        else:
            try:
                json.loads(files[f"{name}.json"])
            except ValueError as exc:
                problems.append((ident, f"data store {name!r}: {name}.json is not JSON: {exc}"))
    refs = {r.get("id"): r.get("dataStoreRef") for r in root.iter(_q("dataStoreReference"))}
    for assoc in root.iter(_q("dataOutputAssociation")):
        target = assoc.find(_q("targetRef"))
        if target is not None and (target.text or "").strip() in refs:
            owner = assoc.getparent()
            problems.append(
                (
                    owner.get("id", "") if owner is not None else "",
                    "data stores are read-only: keep what the session learns in variables, "
                    "or send it out with an integration function",
                )
            )
    for ident, store in refs.items():
        if store not in stores:
            problems.append((str(ident), f"data store reference to an unknown store {store!r}"))
    return problems
