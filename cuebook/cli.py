"""The ``cuebook`` command line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import httpx

from cuebook.diff_text import diff_lines
from cuebook.settings import Settings
from cuebook.wiring import build_services, utc_now
from engine.bpmn.bundle import bundle_from_path
from engine.bpmn.compiler import compile_bundle, problems_of
from engine.errors import CuebookError, ValidationFailed
from engine.releases import parse_pairs
from engine.tokens import ROLES, create_token
from engine.versions import (
    callees_in,
    deploy,
    publish_version,
    release_versions,
    rollback,
    version_diff,
)


def _fail(exc: CuebookError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    for d in exc.details[1:] if len(exc.details) > 1 else []:
        click.echo(f"  {d.path}: {d.message}", err=True)
    sys.exit(1)


class _Ctx:
    def __init__(self) -> None:
        self._svc: Any = None
        self.settings = Settings.from_env()

    @property
    def svc(self) -> Any:
        if self._svc is None:
            self._svc = build_services(self.settings)
        return self._svc


pass_ctx = click.make_pass_decorator(_Ctx, ensure=True)


@click.group()
def main() -> None:
    """Cuebook: contact-centre scripts as BPMN, for operators, chat-bots and IVR."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: _Ctx) -> None:
    """Apply every migration (creates the database on first run)."""
    from engine.migrations import upgrade

    upgrade(ctx.settings.database_url, ctx.settings.database_schema)
    click.echo("database is up to date")


def _function_lookup(settings: Settings) -> Any:
    """The registry's lookup when the database is there; None (with a note) when it is not."""
    from sqlalchemy.exc import SQLAlchemyError

    from cuebook.wiring import builtin_declarations, function_lookup
    from engine.functions import FunctionCatalog
    from engine.persistence.database import Database

    database = Database(settings.database_url, schema=settings.database_schema)
    catalog = FunctionCatalog(database)
    try:
        catalog.get("")
    except SQLAlchemyError:
        click.echo("note: integration functions not checked (database not reachable)", err=True)
        return None
    return function_lookup(builtin_declarations(), catalog)


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--offline", is_flag=True, help="do not check service tasks against the registry")
@pass_ctx
def validate(ctx: _Ctx, path: Path, offline: bool) -> None:
    """Check a bundle (folder or .zip): one line per problem, exit 1 if any."""
    functions = None if offline else _function_lookup(ctx.settings)
    try:
        bundle = bundle_from_path(path)
        if functions is None:
            compiled = compile_bundle(bundle)
        else:  # with the database: the scripts serving its call activities are named
            with ctx.svc.database.unit_of_work() as uow:
                compiled = compile_bundle(bundle, functions, callees_in(uow, ctx.svc.engine.specs))
    except ValidationFailed as exc:
        for problem in problems_of(exc):
            click.echo(str(problem))
        sys.exit(1)
    except CuebookError as exc:
        click.echo(f"{path}: {exc.message}")
        for d in exc.details:
            click.echo(f"{d.path}: {d.message}")
        sys.exit(1)
    for target in compiled.external_calls:
        callee = compiled.callees.get(target)
        served = f"script {callee.script} v{callee.version}" if callee else "found when deployed"
        click.echo(f"call activity target {target!r}: {served}")
    click.echo(f"{path}: ok")


def _deploy(ctx: _Ctx, path: Path, key: str, publish: bool, actor: str) -> Any:
    svc = ctx.svc
    with svc.database.unit_of_work() as uow:
        return deploy(
            uow,
            svc.engine.specs,
            key,
            bundle_from_path(path),
            publish=publish,
            actor=actor,
            now=utc_now(),
        )


@main.command("deploy")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--script", "key", required=True, help="script key")
@click.option("--publish", is_flag=True, help="publish the version at once")
@pass_ctx
def deploy_cmd(ctx: _Ctx, path: Path, key: str, publish: bool) -> None:
    """Store a bundle as a new immutable version of a script."""
    try:
        result = _deploy(ctx, path, key, publish, "cli")
    except CuebookError as exc:
        _fail(exc)
        return
    click.echo(
        f"{key}: {result.as_dict()['message']}" + (", published" if result.published else "")
    )


@main.command("publish")
@click.argument("key")
@click.argument("number", type=int)
@pass_ctx
def publish_cmd(ctx: _Ctx, key: str, number: int) -> None:
    """Make version NUMBER the one new sessions start on."""
    try:
        with ctx.svc.database.unit_of_work() as uow:
            publish_version(uow, key, number, actor="cli", now=utc_now())
    except CuebookError as exc:
        _fail(exc)
    click.echo(f"{key}: version {number} published")


@main.command("rollback")
@click.argument("key")
@pass_ctx
def rollback_cmd(ctx: _Ctx, key: str) -> None:
    """Publish again the version that was live before the current one."""
    try:
        with ctx.svc.database.unit_of_work() as uow:
            number = rollback(uow, key, actor="cli", now=utc_now())
    except CuebookError as exc:
        _fail(exc)
        return
    click.echo(f"{key}: rolled back to version {number}")


@main.command("release")
@click.argument("key")
@click.argument("shares", nargs=-1, required=True, metavar="NUMBER:WEIGHT...")
@pass_ctx
def release_cmd(ctx: _Ctx, key: str, shares: tuple[str, ...]) -> None:
    """Split new sessions between versions by weight, e.g. `release KEY 7:90 8:10`."""
    try:
        versions = parse_pairs(list(shares))
        with ctx.svc.database.unit_of_work() as uow:
            released = release_versions(uow, key, versions, actor="cli", now=utc_now())
    except CuebookError as exc:
        _fail(exc)
        return
    split = ", ".join(f"version {s['number']} {s['weight']}%" for s in released["release"])
    click.echo(f"{key}: new sessions start on {split}")


@main.command("migrate")
@click.argument("key")
@click.argument("from_number", type=int, metavar="FROM")
@click.argument("to_number", type=int, metavar="TO")
@click.option("--map", "map_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file: {old element id: new element id}")  # fmt: skip
@click.option("--apply", "apply", is_flag=True, help="move them (default: only the plan)")
@pass_ctx
def migrate_cmd(
    ctx: _Ctx, key: str, from_number: int, to_number: int, map_file: Path | None, apply: bool
) -> None:
    """Move KEY's open sessions from version FROM to TO; without --apply, print the plan."""
    from engine.sessions.moving import MoveRequest, move_sessions

    try:
        element_map = json.loads(map_file.read_text()) if map_file else {}
        if not isinstance(element_map, dict):
            raise click.UsageError("--map must hold a JSON object of element ids")
        request = MoveRequest(key, from_number, to_number, element_map, dry_run=not apply)
        plan = move_sessions(ctx.svc.database, ctx.svc.engine, request, actor="cli").as_dict()
    except CuebookError as exc:
        _fail(exc)
        return
    verb = "moved" if apply else "can move"
    click.echo(f"{key}: {plan['movable']} of {plan['sessions']} open sessions {verb} "
               f"from version {from_number} to {to_number}")  # fmt: skip
    for element in plan["elements"]:
        click.echo(f"  at {element['element']}: {element['movable']} of {element['sessions']}")
        for blocked in element["blocked"]:
            click.echo(f"    {blocked['sessions']} stay: {blocked['reason']}")


@main.group("versions")
def versions_group() -> None:
    """A script's versions."""


@versions_group.command("diff")
@click.argument("key")
@click.argument("a", type=int)
@click.argument("b", type=int)
@click.option("--json", "as_json", is_flag=True, help="print the diff as JSON")
@pass_ctx
def versions_diff(ctx: _Ctx, key: str, a: int, b: int, as_json: bool) -> None:
    """What changed from version A to version B: elements, flows, forms, decisions, calls."""
    try:
        with ctx.svc.database.unit_of_work() as uow:
            found = version_diff(uow, key, a, b)
    except CuebookError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for line in diff_lines(found):
        click.echo(line)


@main.group("import")
def import_group() -> None:
    """Bring in process models drawn in other tools."""


@import_group.command("spiffarena")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="publish each imported version at once")
@pass_ctx
def import_spiffarena(ctx: _Ctx, path: Path, publish: bool) -> None:
    """Deploy each process model of a SpiffArena repository as a script (exit 3: some skipped)."""
    from importers.spiffarena import import_repository

    def deploy_one(key: str, bundle: Any) -> Any:
        with ctx.svc.database.unit_of_work() as uow:
            return deploy(
                uow,
                ctx.svc.engine.specs,
                key,
                bundle,
                publish=publish,
                actor="import",
                now=utc_now(),
            )

    report = import_repository(path, deploy_one)
    for line in report.lines():
        click.echo(line)
    if report.skipped:
        sys.exit(3)


@import_group.command("camunda")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace the bundle files already in DIR")
def import_camunda_cmd(path: Path, out_dir: Path, force: bool) -> None:
    """A Camunda 7 model (.bpmn, folder or .zip) as a bundle in DIR, with a report.

    Exit 0: everything translated; 3: some elements are marked for a person (see the
    report); 1: PATH is not a Camunda 7 model."""
    from importers.camunda import NotAModel, import_camunda, write_bundle

    try:
        result = import_camunda(path)
    except NotAModel as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    try:
        write_bundle(result, out_dir, force=force)
    except FileExistsError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(result.report.render(str(out_dir)), nl=False)
    sys.exit(0 if result.report.complete else 3)


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="", help="who the token is for")
@pass_ctx
def token_create(ctx: _Ctx, role: str, name: str) -> None:
    """Create a token and print it alone on stdout (it is stored hashed)."""
    with ctx.svc.database.unit_of_work() as uow:
        click.echo(create_token(uow, role, name, utc_now()))


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8080, type=int)
@pass_ctx
def init(ctx: _Ctx, host: str, port: int) -> None:
    """First run: upgrade the database, deploy and publish the samples, print a token and URLs."""
    from engine.migrations import upgrade

    upgrade(ctx.settings.database_url, ctx.settings.database_schema)
    samples = ctx.settings.samples_dir
    for folder in sorted(p for p in samples.iterdir() if p.is_dir()) if samples.is_dir() else []:
        try:
            result = _deploy(ctx, folder, folder.name, True, "samples")
            click.echo(f"sample {folder.name}: version {result.number} published")
        except CuebookError as exc:
            click.echo(f"sample {folder.name}: {exc.message}", err=True)
    with ctx.svc.database.unit_of_work() as uow:
        admin = create_token(uow, "admin", "first-run admin", utc_now())
    base = f"http://{host}:{port}"
    click.echo(f"admin token: {admin}")
    click.echo(f"player:      {base}/player/")
    click.echo(f"API:         {base}/api/v1/scripts  (Authorization: Bearer <token>)")
    click.echo(f"health:      {base}/healthz")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8080, type=int)
@click.option("--workers", default=2, type=int)
@click.option(
    "--threads",
    default=8,
    type=int,
    help="threads per (gthread) worker; a step waiting on an integration call holds one",
)
@pass_ctx
def serve(ctx: _Ctx, host: str, port: int, workers: int, threads: int) -> None:
    """Serve the app with gunicorn (the production server)."""
    metrics_dir = ctx.settings.var_dir.resolve() / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--graceful-timeout",
        "20",
        "--keep-alive",
        "30",
        "--config",
        "python:cuebook.gunicorn_conf",
        "cuebook.wsgi:app",
    ]
    # A fresh process, so every worker imports the metrics library with the directory set.
    os.execve(sys.executable, args, env)


@main.group()
def integrations() -> None:
    """Integration functions (the registry service tasks call)."""


@integrations.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@pass_ctx
def integrations_import(ctx: _Ctx, path: Path) -> None:
    """Store the functions of a YAML or JSON file (one function or a list)."""
    from engine.functions import save_function
    from integrations import SpecInvalid, load_functions_file

    try:
        specs = load_functions_file(path)
    except SpecInvalid as exc:
        for where, message in exc.problems:
            click.echo(f"{path}: {where}: {message}", err=True)
        sys.exit(1)
    try:
        with ctx.svc.database.unit_of_work() as uow:
            for spec in specs:
                saved = save_function(uow, spec.to_dict(), actor="cli", now=utc_now())
                click.echo(f"{saved['name']}: version {saved['version']}")
    except CuebookError as exc:
        _fail(exc)


@integrations.command("export")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml")
@pass_ctx
def integrations_export(ctx: _Ctx, fmt: str) -> None:
    """Print every current function, for review in git."""
    from engine.functions import list_functions
    from integrations import dump_functions, parse_function

    with ctx.svc.database.unit_of_work() as uow:
        rows = list_functions(uow)
    keep = ("version", "updated_at", "updated_by")
    specs = [parse_function({k: v for k, v in r.items() if k not in keep[1:]}) for r in rows]
    click.echo(dump_functions(specs, fmt), nl=False)


@main.command("chat")
@click.argument("key")
@click.option("--api", envvar="CUEBOOK_API", default="http://127.0.0.1:8080", show_default=True)
@click.option("--token", envvar="CUEBOOK_TOKEN", required=True, help="a bot or operator token")
def chat_cmd(key: str, api: str, token: str) -> None:
    """Talk to script KEY in the terminal, as a chat-bot user would."""
    from cuebook.chat import chat

    try:
        chat(
            api,
            token,
            key,
            ask=lambda p: click.prompt(p, prompt_suffix="", default="", show_default=False),
            say=click.echo,
        )
    except (click.Abort, EOFError):  # the input ended: the person left the conversation
        click.echo("")
        return
    except (RuntimeError, httpx.HTTPError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.command()
@click.option("--interval", default=1.0, type=float, help="seconds between polls")
@click.option("--once", is_flag=True, help="one pass, then exit")
@click.option(
    "--metrics-port", type=int, default=None, help="serve this worker's /metrics on the port"
)
@pass_ctx
def worker(ctx: _Ctx, interval: float, once: bool, metrics_port: int | None) -> None:
    """Fire due timers; with Kafka configured, relay the outbox and consume inbound messages.

    SIGTERM or SIGINT stops the worker after the work in progress; a second one stops it at once.
    """
    from cuebook.monitoring import configure_process_logging, serve_worker_metrics
    from engine.worker import Retention, Worker

    configure_process_logging(ctx.settings)
    svc = ctx.svc
    events = ctx.settings.events
    publisher, batching = _kafka_relay(ctx.settings)
    inbound = _kafka_inbound(ctx.settings, svc)
    if metrics_port is not None:
        serve_worker_metrics(svc.database, ctx.settings, metrics_port)
    stop = threading.Event()
    loop = Worker(
        svc.database,
        svc.engine,
        publisher,
        utc_now,
        interval=interval,
        inbound=inbound,
        operators=svc.operators,
        callback_script=ctx.settings.ticket_script,
        retention=Retention(
            outbox=timedelta(seconds=events.outbox_retention) if events.outbox_retention else None,
            seen=timedelta(seconds=events.seen_retention),
        ),
        **_worker_output(ctx.settings),
        **batching,
    )
    restore = _stop_on_signals(stop)
    try:
        loop.run(stop, once=once)
    finally:
        restore()
        if publisher is not None:
            publisher.close()
        if inbound is not None:
            inbound.consumer.close()
    if stop.is_set():
        click.echo("worker stopped", err=True)


def _worker_output(settings: Settings) -> dict[str, Any]:
    """Progress on stdout and failures on stderr as plain lines, or through the JSON log."""
    if settings.log_format == "json":
        import logging

        log = logging.getLogger("cuebook.worker")
        return {"say": log.info, "warn": log.warning}
    return {"say": click.echo, "warn": lambda message: click.echo(message, err=True)}


def _kafka_relay(settings: Settings) -> tuple[Any, dict[str, Any]]:
    """The outbox's way to Kafka and its batching, or (None, {}) when no broker is configured."""
    if not settings.kafka_bootstrap:
        return None, {}
    from cuebook.kafka_publisher import RELAY_BATCH, RELAY_BATCHES_PER_PASS, LazyKafkaPublisher

    batching = {
        "relay_batch": RELAY_BATCH,
        "relay_batches_per_pass": RELAY_BATCHES_PER_PASS,
        "topic_prefix": settings.events.topic_prefix,
    }
    return LazyKafkaPublisher(settings.kafka_bootstrap), batching


def _kafka_inbound(settings: Settings, svc: Any) -> Any:
    """The inbound topic's loop, or None when no broker is configured."""
    if not settings.kafka_bootstrap:
        return None
    from cuebook.kafka_consumer import KafkaInbound
    from engine.events.consumer import InboundLoop
    from engine.events.known import KnownMessages

    events = settings.events
    consumer = KafkaInbound(
        settings.kafka_bootstrap,
        events.inbound_topic,
        events.group,
        session_timeout_ms=events.consumer_session_timeout_ms,
        heartbeat_interval_ms=max(100, events.consumer_session_timeout_ms // 5),
    )
    return InboundLoop(
        svc.database,
        svc.engine,
        consumer,
        KnownMessages(svc.database),
        keep_for=timedelta(seconds=events.early_message_ttl),
        attempts=events.delivery_attempts,
    )


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Set ``stop`` on SIGTERM or SIGINT; the first signal puts the previous handlers back,
    so a second one acts at once. Returns the function that restores them."""
    signals = (signal.SIGTERM, signal.SIGINT)
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # only the main thread may install handlers
    previous = {signum: signal.getsignal(signum) or signal.SIG_DFL for signum in signals}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    def on_signal(signum: int, frame: object) -> None:
        restore()
        # Not stop.set() here: the handler runs inside the main thread, which may be holding
        # the event's own lock at that instant (in stop.wait); a thread sets it safely.
        threading.Thread(target=stop.set, name="cuebook-worker-stop", daemon=True).start()

    for signum in signals:
        signal.signal(signum, on_signal)
    return restore


# `cuebook operators ...` lives in its own module.
from cuebook.operators_cli import operators  # noqa: E402

main.add_command(operators)
