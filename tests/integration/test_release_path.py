"""What a release costs the sessions running beside it: the precompiler compiles versions
deployed or released since its last look, before any start needs them; a version two
threads need at once is compiled once; a release in progress does not hold up starts."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

import engine.versions
from engine.precompile import Precompiler
from engine.versions import SpecCache
from tests.conftest import BUNDLES, auth
from tests.support.processes import Server
from tests.support.waiting import join_all, wait_until

MENU = BUNDLES / "menu_loop"


def _greeting(text: str) -> dict[str, bytes]:
    bpmn = (MENU / "menu_loop.bpmn").read_bytes().replace(b"Hello!", text.encode())
    return {"menu_loop.bpmn": bpmn}


def _version_id(services: Any, key: str, number: int) -> int:
    with services.database.unit_of_work() as uow:
        script = uow.scripts.get(key)
        assert script is not None
        row = uow.scripts.version(script["id"], number)
        assert row is not None
        return int(row["id"])


def test_versions_deployed_or_released_after_the_first_look_are_compiled(
    services: Any, client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    specs = SpecCache()  # another process's cache: it holds nothing yet
    warnings: list[str] = []
    precompiler = Precompiler(services.database, specs, warn=warnings.append)
    assert precompiler.look() == 0  # the first look notes where the feed stands
    v1 = _version_id(services, key, 1)
    assert not specs.holds(v1), "versions from before the first look wait for their use"

    assert deploy(MENU, key, _greeting("Hi!"))["number"] == 2
    assert precompiler.look() == 1
    assert specs.holds(_version_id(services, key, 2))
    assert precompiler.look() == 0

    # A split naming version 1 (deployed before the first look): compiled now, because a
    # release names it; version 2 is held already.
    split = {"versions": [{"number": 1, "weight": 90}, {"number": 2, "weight": 10}]}
    resp = client.put(
        f"/api/v1/scripts/{key}/release", json=split, headers=auth(tokens["methodologist"])
    )
    assert resp.status_code == 200, resp.get_json()
    assert precompiler.look() == 1
    assert specs.holds(v1)
    assert warnings == []


def test_a_version_needed_by_two_threads_at_once_is_compiled_once(
    services: Any, deploy: Any, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(MENU, key)
    version_id = _version_id(services, key, 1)
    calls: list[float] = []
    real = engine.versions.compile_bundle

    def slow_compile(*args: Any, **kwargs: Any) -> Any:
        calls.append(time.monotonic())
        time.sleep(0.3)  # long enough for the second thread to arrive meanwhile
        return real(*args, **kwargs)

    monkeypatch.setattr(engine.versions, "compile_bundle", slow_compile)
    specs = SpecCache()
    got: list[Any] = []

    def need() -> None:
        with services.database.unit_of_work() as uow:
            got.append(specs.get(uow, version_id))

    threads = [threading.Thread(target=need, name=f"need-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    join_all(threads, "both threads to get the version", timeout=30)
    assert len(calls) == 1, calls
    assert len(got) == 2 and got[0] is got[1]


def test_a_look_that_fails_is_reported_and_the_next_one_catches_up(
    services: Any, deploy: Any, key: str
) -> None:
    class Flaky:
        """The database handle, out of reach for one look."""

        def __init__(self) -> None:
            self.down = False

        def unit_of_work(self) -> Any:
            if self.down:
                raise ConnectionError("database out of reach")
            return services.database.unit_of_work()

    database = Flaky()
    warnings: list[str] = []
    specs = SpecCache()
    precompiler = Precompiler(database, specs, every=0.05, warn=warnings.append)  # type: ignore[arg-type]
    precompiler.look()
    database.down = True
    stop = threading.Event()
    runner = threading.Thread(target=precompiler.run, args=(stop,), name="precompile")
    runner.start()
    try:
        deploy(MENU, key)
        deadline = time.monotonic() + 10
        while not warnings and time.monotonic() < deadline:
            time.sleep(0.05)
        assert warnings and "database out of reach" in warnings[0], warnings
        database.down = False
        version_id = _version_id(services, key, 1)
        while not specs.holds(version_id) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert specs.holds(version_id), "the version deployed while the database was away"
    finally:
        stop.set()
        join_all([runner], "the precompiler to stop", timeout=10)


def test_a_start_does_not_wait_for_a_release_in_progress(
    services: Any, client: Any, tokens: dict[str, str], deploy: Any, key: str, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("row locks")
    deploy(MENU, key)
    outcome: list[Any] = []

    def start() -> None:
        resp = client.post("/api/v1/sessions", json={"script": key}, headers=auth(tokens["bot"]))
        outcome.append(resp.status_code)

    # A publish, a split or a deploy of the script holds its row until it commits.
    with services.database.unit_of_work() as uow:
        assert uow.scripts.get(key, for_update=True) is not None
        starting = threading.Thread(target=start, name="start")
        starting.start()
        starting.join(timeout=20)
        assert outcome == [201], "the start waited for the release's row lock"


def test_every_worker_of_a_running_server_compiles_a_version_deployed_elsewhere(
    services: Any, settings: Any, deploy: Any, key: str, is_postgres: bool, tmp_path: Path
) -> None:
    if not is_postgres:
        pytest.skip("a cuebook serve on the tests' database")
    deploy(MENU, key)
    workers = 2
    server = Server(settings, tmp_path, f"serve-{key}", workers=workers)
    try:
        wait_until(
            lambda: server.output().count("precompiling script versions deployed after") == workers,
            "each gunicorn worker's precompiler to take its first look",
            timeout=30,
            explain=server.output,
        )
        # Deployed through another process: nothing but the precompiler tells this server.
        assert deploy(MENU, key, _greeting("Hi!"))["number"] == 2
        line = f"precompiled script version id(s) {_version_id(services, key, 2)}"
        wait_until(
            lambda: server.output().count(line) == workers,
            "each gunicorn worker to compile version 2",
            timeout=20,
            explain=server.output,
        )
        assert "Traceback" not in server.output(), server.output()
    finally:
        assert server.stop(within=10) == 0, server.output()
