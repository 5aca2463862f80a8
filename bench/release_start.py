"""What a canary split costs a session start.

    python bench/release_start.py [--reads 5000] [--starts 1000]

On a fresh PostgreSQL schema, deploys the menu_loop test bundle as two versions and prints:

- the published-version read a start makes, as it was (script + version) and as it is now
  (the same row with the release's split, and the pick from it), per call, in one connection;
- whole in-process starts (``start_session``: its transaction, the workflow run to its first
  step, the row, history and events, the commit) with one version at 100% and with a 90/10
  split, in alternating rounds so both see the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import ROOT, fresh_schema, percentile, summary
from cuebook.settings import Settings
from cuebook.wiring import build_services, utc_now
from engine.bpmn.bundle import bundle_from_path
from engine.persistence.tables import script_versions, scripts
from engine.releases import chosen_version
from engine.sessions import Actor
from engine.sessions.commands import start_session
from engine.versions import deploy, publish_version, release_versions

BUNDLE = ROOT / "tests" / "fixtures" / "bundles" / "menu_loop"
KEY = "bench_release"

# The read as it was before splits: the script and its published version.
_BEFORE = (
    sa.select(
        scripts.c.id.label("script_id"),
        scripts.c.key,
        script_versions.c.id.label("version_id"),
        script_versions.c.number,
    )
    .select_from(
        scripts.join(
            script_versions,
            sa.and_(
                script_versions.c.script_id == scripts.c.id,
                script_versions.c.number == scripts.c.published_version,
            ),
        )
    )
    .where(scripts.c.key == sa.bindparam("key", type_=scripts.c.key.type))
)


def _deploy_two(svc: Any) -> None:
    bundle = bundle_from_path(BUNDLE)
    files = dict(bundle.files)
    files["menu_loop.bpmn"] = files["menu_loop.bpmn"].replace(b"Your name", b"Your full name")
    with svc.database.unit_of_work() as uow:
        specs = svc.engine.specs
        deploy(uow, specs, KEY, bundle, publish=True, actor="bench", now=utc_now())
        deploy(uow, specs, KEY, type(bundle)(files), publish=False, actor="bench", now=utc_now())


def _reads(svc: Any, n: int) -> tuple[list[float], list[float]]:
    before: list[float] = []
    after: list[float] = []
    with svc.database.unit_of_work() as uow:
        for _ in range(200):  # warm both statements
            uow.conn.execute(_BEFORE, {"key": KEY}).mappings().first()
            chosen_version(uow.scripts.published_version_id(KEY), "k")
        for i in range(n):
            t0 = time.perf_counter()
            uow.conn.execute(_BEFORE, {"key": KEY}).mappings().first()
            t1 = time.perf_counter()
            chosen_version(uow.scripts.published_version_id(KEY), f"caller-{i}")
            t2 = time.perf_counter()
            before.append((t1 - t0) * 1e3)
            after.append((t2 - t1) * 1e3)
    return before, after


def _start_round(svc: Any, n: int, tag: str, into: list[float]) -> None:
    bot = Actor("bench", "bot")
    for i in range(n):
        t0 = time.perf_counter()
        start_session(
            svc.database,
            svc.engine,
            script=KEY,
            channel="web",
            variables={},
            session_key=f"{tag}-{i}-{time.monotonic_ns()}",
            actor=bot,
        )
        into.append((time.perf_counter() - t0) * 1e3)


def _starts(svc: Any, n: int) -> tuple[list[float], list[float]]:
    single: list[float] = []
    split: list[float] = []
    rounds = 10
    for r in range(rounds):
        with svc.database.unit_of_work() as uow:
            publish_version(uow, KEY, 1, actor="bench", now=utc_now())
        _start_round(svc, n // rounds, f"one{r}", single)
        with svc.database.unit_of_work() as uow:
            versions = [{"number": 1, "weight": 90}, {"number": 2, "weight": 10}]
            release_versions(uow, KEY, versions, actor="bench", now=utc_now())
        _start_round(svc, n // rounds, f"split{r}", split)
    return single, split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=5000)
    parser.add_argument("--starts", type=int, default=1000)
    args = parser.parse_args()
    with fresh_schema() as env:
        svc = build_services(Settings.from_env(env))
        try:
            _deploy_two(svc)
            with svc.database.unit_of_work() as uow:
                versions = [{"number": 1, "weight": 90}, {"number": 2, "weight": 10}]
                release_versions(uow, KEY, versions, actor="bench", now=utc_now())
            before, after = _reads(svc, args.reads)
            print(summary("published read, before splits", before))
            print(summary("published read + split pick", after))
            extra = (statistics.fmean(after) - statistics.fmean(before)) * 1e3
            print(f"difference of means: {extra:+.1f} us")
            _start_round(svc, 100, "warm", [])
            single, split = _starts(svc, args.starts)
            print(summary("start, one version at 100%", single))
            print(summary("start, 90/10 split", split))
            print(f"start p50 difference: {percentile(split, 50) - percentile(single, 50):+.2f} ms")
        finally:
            svc.database.dispose()


if __name__ == "__main__":
    main()
