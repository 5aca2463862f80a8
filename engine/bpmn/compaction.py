"""Keep a looping instance's task tree short.

SpiffWorkflow grows the task tree by a few tasks on every turn of a loop and
walks the whole tree on every engine step; past a few hundred turns its task
iterator hits a depth limit and the workflow stalls. Compaction cuts finished
history off the top of the tree: the new root is an ancestor a fixed number of
levels above the lowest common ancestor of every unfinished task, so all live
branches (and a few recent steps, for going back) stay, and the cost of a step
no longer grows with the instance's age.

Compaction edits SpiffWorkflow's task bookkeeping, which is not public API. Each such
access sits in one small function below, with the SpiffWorkflow version it was checked
against; tests/unit/test_saved_state.py checks the same shape and fails if it changes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

COMPACT_AT_DEPTH = 16
KEEP_LEVELS = 6
SPIFFWORKFLOW_CHECKED = "3.2.0"
"""The SpiffWorkflow version the accesses below were checked against."""


def compact(workflow: Any, *, at_depth: int = COMPACT_AT_DEPTH, keep: int = KEEP_LEVELS) -> int:
    """Compact ``workflow`` (a top workflow or subprocess) if it is deep; return tasks removed.

    Runs before every save, so the common case (not deep yet) costs one walk up the tree.
    """
    live = [t for t in task_table(workflow).values() if t.has_state(TaskState.NOT_FINISHED_MASK)]
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
    removed = [tid for tid in task_table(workflow) if tid not in keep_ids]
    drop_tasks(workflow, removed)
    make_root(workflow, new_root)
    if workflow.last_task is not None and workflow.last_task.id not in keep_ids:
        workflow.last_task = None
    return len(removed)


def task_table(workflow: Any) -> dict[UUID, Any]:
    """The workflow's tasks by id: the table ``Task.parent`` and ``Task.children`` look up.

    Checked against SpiffWorkflow 3.2.0: ``Workflow.tasks`` is a plain dict; a task's
    ``parent`` and ``children`` resolve ids through it, and the serializer writes it whole.
    """
    tasks: dict[UUID, Any] = workflow.tasks
    return tasks


def drop_tasks(workflow: Any, task_ids: list[UUID]) -> None:
    """Forget finished tasks, and the finished subprocesses they ran.

    Checked against SpiffWorkflow 3.2.0: deleting from ``Workflow.tasks`` is all it takes
    (no other index holds finished tasks); subprocesses hang off the top workflow's
    ``subprocesses`` dict, keyed by the id of the task that started them.
    """
    tasks = task_table(workflow)
    subprocesses = workflow.top_workflow.subprocesses
    for tid in task_ids:
        del tasks[tid]
        sub = subprocesses.get(tid)
        if sub is not None and sub.completed:
            del subprocesses[tid]


def make_root(workflow: Any, task: Any) -> None:
    """Make ``task`` the root of the workflow's tree, holding its data whole.

    Checked against SpiffWorkflow 3.2.0: a task keeps its parent's id in ``_parent`` (the
    ``parent`` property reads it), the serializer writes a root's data whole and other
    tasks' data as a delta from the parent, and ``Workflow.task_tree`` is the root.
    """
    task.data = dict(task.data)
    task._parent = None
    workflow.task_tree = task
