"""Keep a looping instance's task tree short.

SpiffWorkflow grows the task tree by a few tasks on every turn of a loop and
walks the whole tree on every engine step; past a few hundred turns its task
iterator hits a depth limit and the workflow stalls. Compaction cuts finished
history off the top of the tree: the new root is an ancestor a fixed number of
levels above the lowest common ancestor of every unfinished task, so all live
branches (and a few recent steps, for going back) stay, and the cost of a step
no longer grows with the instance's age.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

COMPACT_AT_DEPTH = 16
KEEP_LEVELS = 6


def _chain(task: Any) -> list[Any]:
    """The task and its ancestors, root last."""
    chain = []
    while task is not None:
        chain.append(task)
        task = task.parent
    return chain


def compact(workflow: Any, *, at_depth: int = COMPACT_AT_DEPTH, keep: int = KEEP_LEVELS) -> int:
    """Compact ``workflow`` (a top workflow or subprocess) if it is deep; return tasks removed."""
    live = [t for t in workflow.tasks.values() if t.has_state(TaskState.NOT_FINISHED_MASK)]
    if not live:
        return 0
    deepest = max(live, key=lambda t: t.depth)
    if deepest.depth < at_depth:
        return 0
    chains = [list(reversed(_chain(t))) for t in live]
    common = 0
    for level in zip(*chains, strict=False):
        if all(t is level[0] for t in level):
            common += 1
        else:
            break
    lca_index = common - 1
    new_root_index = max(0, lca_index - keep)
    if new_root_index == 0:
        return 0
    new_root = chains[0][new_root_index]
    keep_ids: set[UUID] = set()
    stack = [new_root]
    while stack:
        task = stack.pop()
        keep_ids.add(task.id)
        stack.extend(task.children)
    removed = [tid for tid in workflow.tasks if tid not in keep_ids]
    top = workflow.top_workflow
    for tid in removed:
        del workflow.tasks[tid]
        sub = top.subprocesses.get(tid)
        if sub is not None and sub.completed:
            del top.subprocesses[tid]
    new_root.data = dict(new_root.data)
    new_root._parent = None
    workflow.task_tree = new_root
    if workflow.last_task is not None and workflow.last_task.id not in keep_ids:
        workflow.last_task = None
    return len(removed)
