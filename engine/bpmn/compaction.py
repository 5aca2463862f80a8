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


def compact(workflow: Any, *, at_depth: int = COMPACT_AT_DEPTH, keep: int = KEEP_LEVELS) -> int:
    """Compact ``workflow`` (a top workflow or subprocess) if it is deep; return tasks removed.

    Runs before every save, so the common case (not deep yet) costs one walk up the tree.
    """
    live = [t for t in workflow.tasks.values() if t.has_state(TaskState.NOT_FINISHED_MASK)]
    if not live:
        return 0
    probe = next((t for t in live if t.has_state(TaskState.READY | TaskState.WAITING)), live[0])
    chain = []  # the probe and its ancestors, root last
    node = probe
    while node is not None:
        chain.append(node)
        node = node.parent
    if len(chain) <= at_depth:
        return 0
    index_of = {t.id: i for i, t in enumerate(chain)}
    lca = 0  # index in ``chain`` of the lowest common ancestor of every live task
    for task in live:
        node = task
        while node is not None and node.id not in index_of:
            node = node.parent
        if node is None:
            return 0  # not in one tree: leave it alone
        lca = max(lca, index_of[node.id])
    root_index = lca + keep
    if root_index >= len(chain) - 1:
        return 0
    new_root = chain[root_index]
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
