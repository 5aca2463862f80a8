"""Where one step's time goes, layer by layer, in-process against PostgreSQL.

    python bench/step.py --profile [--steps 2000]

Builds the app in this process (the same wiring as a gunicorn worker), takes steps of the
ten-form script through Flask's WSGI entry, and times each layer by wrapping the functions
that do it. Times are exclusive (a layer's own time, its nested layers taken out), so the
layers and "flask + werkzeug" add up to the whole request. The figures are means per step
(and the median of the whole request), wall-clock and this thread's CPU time (the wall
time a layer spends beyond its CPU is waiting, mostly on PostgreSQL); the timers
themselves add a few microseconds each.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench._harness import cli, fresh_schema
from bench.linear import answer_for, linear_bundle

LAYERS = (
    "auth",
    "body parsing",
    "lock + load",
    "restore",
    "position",
    "validation",
    "complete (engine steps)",
    "describe",
    "save (compact + encode)",
    "history/outbox/state write",
    "commit",
    "pool, begin, release",
    "render",
    "JSON",
    "step: the rest",
    "flask + werkzeug",
)


class _Clock:
    """Exclusive time per layer: a layer's time less the time of layers nested in it."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.stack: list[list[float]] = []  # nested wall and CPU time of each open layer
        self.on = False

    @contextmanager
    def layer(self, name: str) -> Iterator[None]:
        if not self.on:
            yield
            return
        self.stack.append([0.0, 0.0])
        began, began_cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            took, took_cpu = time.perf_counter() - began, time.thread_time() - began_cpu
            nested, nested_cpu = self.stack.pop()
            self.totals[name] += took - nested
            self.cpu[name] += took_cpu - nested_cpu
            if self.stack:
                self.stack[-1][0] += took
                self.stack[-1][1] += took_cpu

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        original: Callable[..., Any] = getattr(owner, attr)
        clock = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            with clock.layer(name):
                return original(*args, **kwargs)

        setattr(owner, attr, timed)


def _instrument(app: Any, clock: _Clock) -> None:
    import engine.sessions.commands as commands
    import player.api as api
    from engine.persistence.repositories import InstanceRepository

    svc = app.extensions["cuebook"]
    runner = svc.engine.runner
    hooks = app.before_request_funcs.setdefault(None, [])
    for i, hook in enumerate(hooks):
        if getattr(hook, "__name__", "") == "_authenticate":
            hooks[i] = _timed_hook(clock, hook)
    clock.wrap(api, "parse_body", "body parsing")
    clock.wrap(api, "submit_step", "step: the rest")
    clock.wrap(commands, "load_session", "lock + load")
    clock.wrap(commands, "restore_to_change", "restore")
    clock.wrap(runner, "position", "position")
    for name in ("checked_answer", "_checked_answer"):
        if hasattr(commands, name):
            clock.wrap(commands, name, "validation")
    clock.wrap(runner, "complete", "complete (engine steps)")
    clock.wrap(runner, "describe", "describe")
    clock.wrap(runner, "save", "save (compact + encode)")
    clock.wrap(InstanceRepository, "write_step", "history/outbox/state write")
    dialect = svc.database.engine.dialect
    clock.wrap(dialect, "do_commit", "commit")
    _wrap_unit_of_work(clock, svc.database)
    clock.wrap(api, "_rendered", "render")
    clock.wrap(api, "jsonify", "JSON")


def _timed_hook(clock: _Clock, hook: Callable[[], Any]) -> Callable[[], Any]:
    def timed() -> Any:
        with clock.layer("auth"):
            return hook()

    timed.__name__ = "_authenticate"
    return timed


def _wrap_unit_of_work(clock: _Clock, database: Any) -> None:
    """Time a unit of work's enter (pool checkout) and exit (commit nested, pool return)."""
    original = database.unit_of_work

    @contextmanager
    def timed() -> Iterator[Any]:
        manager = original()
        with clock.layer("pool, begin, release"):
            uow = manager.__enter__()
        try:
            yield uow
        except BaseException:
            with clock.layer("pool, begin, release"):
                if not manager.__exit__(*sys.exc_info()):
                    raise
        else:
            with clock.layer("pool, begin, release"):
                manager.__exit__(None, None, None)

    database.unit_of_work = timed


def profile(steps: int) -> None:
    from cuebook.app import create_app
    from cuebook.settings import Settings

    folder = linear_bundle(Path(tempfile.mkdtemp()) / "linear")
    with fresh_schema() as env:
        cli(env, "deploy", str(folder), "--script", "linear", "--publish")
        token = cli(env, "token", "create", "--role", "bot", "--name", "bench")
        app = create_app(Settings.from_env(env))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        clock = _Clock()
        wsgi = app.wsgi_app

        def timed_wsgi(environ: Any, start_response: Any) -> Any:
            with clock.layer("flask + werkzeug"):
                return wsgi(environ, start_response)

        def run(n: int) -> list[float]:
            times = []
            view: dict[str, Any] = {"status": "ended"}
            for i in range(n):
                clock.on = False
                if view["status"] != "waiting":
                    view = client.post(
                        "/api/v1/sessions", json={"script": "linear"}, headers=headers
                    ).get_json()
                body = {
                    "step_token": view["step_token"],
                    "answer": answer_for(view["step"]["id"], i),
                }
                url = f"/api/v1/sessions/{view['session_id']}/steps"
                clock.on = True
                began = time.perf_counter()
                resp = client.post(url, json=body, headers=headers)
                times.append(time.perf_counter() - began)
                if resp.status_code != 200:
                    raise RuntimeError(resp.get_data(as_text=True))
                view = resp.get_json()
            clock.on = False
            return times

        run(300)  # warm: specs compiled, pools filled, tokens cached
        _instrument(app, clock)
        app.wsgi_app = timed_wsgi  # type: ignore[method-assign]
        clock.totals.clear()
        whole = run(steps)
        total = sum(clock.totals.values())
        print(f"profile of one step by layer ({steps} steps of the ten-form script, in-process,")
        print("  PostgreSQL, live workflows on; session starts are left out)")
        print(f"  {'layer':<28} {'wall ms':>8}  share  {'CPU ms':>7}")
        per_step = {k: v / steps * 1000 for k, v in clock.totals.items()}
        for name in LAYERS:
            ms = per_step.get(name, 0.0)
            cpu = clock.cpu.get(name, 0.0) / steps * 1000
            print(f"  {name:<28} {ms:8.3f}  {ms / (total / steps * 1000) * 100:4.0f}%  {cpu:7.3f}")
        cpu_total = sum(clock.cpu.values()) / steps * 1000
        print(f"  {'whole request (mean)':<28} {total / steps * 1000:8.3f}        {cpu_total:7.3f}")
        print(f"  {'whole request (median)':<28} {statistics.median(whole) * 1000:8.3f}")
