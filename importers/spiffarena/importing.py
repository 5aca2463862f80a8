"""``cuebook import spiffarena``: every process model of a repository deployed as a script.

Each model becomes one script (key from its path, title from its display name) through the
deploy use case ``cuebook deploy`` uses, which validates it as any upload; a model that
cannot be deployed is skipped with the validation's problems, and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.bpmn.bundle import Bundle
from engine.errors import CuebookError, Detail
from engine.versions import DeployResult
from importers.spiffarena.bundles import Catalogue, Skip, bundle_of, key_problem, script_key
from importers.spiffarena.repository import ProcessModel, read_repository

Deploy = Callable[[str, Bundle], DeployResult]


@dataclass(frozen=True)
class ModelOutcome:
    """What became of one process model."""

    model: str  # its path in the repository
    key: str
    title: str
    number: int | None = None
    created: bool = False
    published: bool = False
    reason: str = ""
    problems: tuple[str, ...] = ()

    @property
    def imported(self) -> bool:
        return self.number is not None

    def lines(self) -> list[str]:
        if self.imported:
            what = "deployed" if self.created else "unchanged"
            state = ", published" if self.published else ""
            return [f"{self.model}: {what} as {self.key} v{self.number}{state}"]
        return [f"{self.model}: skipped: {self.reason}", *(f"  {p}" for p in self.problems)]


@dataclass
class ImportReport:
    outcomes: list[ModelOutcome] = field(default_factory=list)

    @property
    def imported(self) -> list[ModelOutcome]:
        return [o for o in self.outcomes if o.imported]

    @property
    def skipped(self) -> list[ModelOutcome]:
        return [o for o in self.outcomes if not o.imported]

    def lines(self) -> list[str]:
        found = [line for outcome in self.outcomes for line in outcome.lines()]
        found.append(
            f"{len(self.imported)} of {len(self.outcomes)} process models imported, "
            f"{len(self.skipped)} skipped"
        )
        return found


def _problem_lines(details: list[Detail], message: str) -> tuple[str, ...]:
    """One line per problem, as ``cuebook validate`` prints them (file: element: message)."""
    return tuple(
        f"{d.path.replace('#', ': ')}: {d.message}" if d.path else d.message for d in details
    ) or (message,)


def _skipped(base: ModelOutcome, skip: Skip) -> ModelOutcome:
    return ModelOutcome(
        base.model, base.key, base.title, reason=skip.reason, problems=skip.problems
    )


def import_model(model: ProcessModel, catalogue: Catalogue, deploy: Deploy) -> ModelOutcome:
    """Deploy one model, or say why it is skipped."""
    key = script_key(model)
    base = ModelOutcome(model.path, key, model.title)
    bad_key = key_problem(key)
    if bad_key:
        return _skipped(base, Skip(f"its path does not make a script key: {bad_key}"))
    bundle = bundle_of(model, catalogue)
    if isinstance(bundle, Skip):
        return _skipped(base, bundle)
    try:
        result = deploy(key, bundle)
    except CuebookError as exc:
        reason = "it does not validate" if exc.details else exc.message
        return _skipped(base, Skip(reason, _problem_lines(exc.details, exc.message)))
    return ModelOutcome(
        model.path,
        key,
        model.title,
        number=result.number,
        created=result.created,
        published=result.published,
    )


def import_repository(root: Path, deploy: Deploy) -> ImportReport:
    """Deploy every process model under ``root``; ``deploy(key, bundle)`` stores one."""
    models = read_repository(root)
    catalogue = Catalogue(models)
    report = ImportReport()
    for model in models:
        report.outcomes.append(import_model(model, catalogue, deploy))
    return report
