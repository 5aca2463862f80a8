"""Which instance of a multi-instance or looping task a waiting task is ("item 2 of 5")."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    LoopTask,
    MultiInstanceTask,
    StandardLoopTask,
)

from engine.model import Item


def item_of(task: Any) -> Item | None:
    """The task's place among its parent's instances, if its parent is a loop or a
    multi-instance activity."""
    parent = getattr(task, "parent", None)
    spec = getattr(parent, "task_spec", None)
    if parent is None or not isinstance(spec, LoopTask):
        return None
    if isinstance(spec, StandardLoopTask):
        index = int(task.internal_data.get("iteration", 0)) + 1
        return Item(index, spec.maximum if spec.maximum else None)
    assert isinstance(spec, MultiInstanceTask)
    info = spec.task_info(parent)
    count = len(info["completed"]) + len(info["running"]) + len(info["future"])
    key = task.internal_data.get("key_or_index")
    if isinstance(key, int):
        index = key + 1
    else:
        siblings = [c for c in parent.children if c.task_spec is task.task_spec]
        index = siblings.index(task) + 1 if task in siblings else 1
    return Item(index, count)
