"""``cuebook operators``: the team from a file (CSV or YAML; engine/operators/team_file.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cuebook.settings import Settings
from cuebook.wiring import build_services
from engine.errors import CuebookError
from engine.operators import import_operators
from engine.operators.team_file import read_team


@click.group()
def operators() -> None:
    """Operators: profiles, skills, capacity."""


@operators.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_team(file: Path) -> None:
    """Create or update the operators of FILE (.csv, .yaml) by login, all or none.

    A login with no token gets a new operator token, printed once."""
    svc = build_services(Settings.from_env())
    try:
        profiles = read_team(file.name, file.read_text(encoding="utf-8"))
        done = import_operators(svc.operators, profiles)
    except CuebookError as exc:
        click.echo(f"error: {exc.message}", err=True)
        for d in exc.details:
            click.echo(f"  {d.path}: {d.message}", err=True)
        sys.exit(1)
    finally:
        svc.database.dispose()
    for entry in done:
        verb = "created" if entry["created"] else "updated"
        token = f" token {entry['token']}" if entry["token"] else ""
        click.echo(f"{verb} {entry['login']}{token}")
