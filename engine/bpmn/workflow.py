"""The workflow class Cuebook runs: SpiffWorkflow's ``BpmnWorkflow`` without two tree walks.

On every completed task SpiffWorkflow looks for WAITING tasks to update, and every engine
step looks for READY tasks to run; both walk the task tree from its root, node by node (a
dictionary look-up by UUID for each parent and child), although the answer is almost
always "none" or "one". A step of a ten-form script walked the tree about five times.

Here the same questions are first put to the workflow's task dictionary, a flat scan:

- no WAITING task: there is nothing to update, exactly as the walk would find;
- no READY task, or exactly one, in a workflow without subprocesses: that is the walk's
  answer too (every task of the workflow is in the dictionary, and a definite task never
  hangs below a predicted one, so the walk reaches it; the order of one is the order).
  The walk also stops 1,000 levels down, and a task that deep needs more than 1,000 tasks
  in the workflow: past that size the walk runs, and finds what it finds. Compaction keeps
  trees far smaller between steps, but a script-task loop inside one step can grow one
  past it (SpiffWorkflow then stalls the loop, with or without this class).

In every other case (several candidates, whose order the walk decides; subprocesses, which
the walk enters or not by their state) SpiffWorkflow's own walk runs, unchanged. The state
saved is SpiffWorkflow's: this class adds no attribute and the converter does not name it.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

_READY = TaskState.READY
_WAITING = TaskState.WAITING
_WALK_DEPTH = 1000  # SpiffWorkflow's TaskIterator stops descending this many levels down


class ScannedWorkflow(BpmnWorkflow):  # type: ignore[misc]
    """``BpmnWorkflow`` answering "which tasks are READY / WAITING" from its task dictionary
    where that gives the walk's answer (the module's docstring says when)."""

    def get_tasks(self, first_task: Any = None, **kwargs: Any) -> list[Any]:
        state = kwargs.get("state")
        if (
            first_task is None
            and len(kwargs) == 1
            and state in (_READY, _WAITING)
            and not self.subprocesses
            and len(self.tasks) <= _WALK_DEPTH
        ):
            found = [task for task in self.tasks.values() if task._state == state]
            if len(found) <= 1:
                return found
        tasks: list[Any] = super().get_tasks(first_task, **kwargs)
        return tasks

    def update_waiting_tasks(self) -> None:
        for task in self.tasks.values():
            if task._state == _WAITING:
                super().update_waiting_tasks()
                return
