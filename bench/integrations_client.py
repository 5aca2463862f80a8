"""Throughput and overhead of the integration invoker against a local server.

Starts an HTTP server (aiohttp) in a separate process (its own interpreter lock) that answers
every request after a fixed delay, then measures calls per second with many client threads
for: the bare httpx client (the baseline), the invoker without a cache and the invoker with
a cache; and the per-call overhead the invoker adds (median latency of sequential calls,
invoker minus bare client).

    python -m bench.integrations_client [--threads 100] [--calls 2000] [--delay-ms 20]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from integrations import AllowList, Invoker, InvokerConfig, SecretStore, parse_function


def _serve(delay_ms: float, ports: Any, stop: Any) -> None:
    """aiohttp in this child process: every GET answers after ``delay_ms``. An event loop
    answers 500+ requests/s waiting in parallel for a fraction of a core (a thread per
    connection in http.server cost several times that, on the cores the measured server uses)."""
    import asyncio

    from aiohttp import web

    delay_s = delay_ms / 1000.0

    async def answer(request: web.Request) -> web.Response:
        if delay_s:
            await asyncio.sleep(delay_s)
        return web.json_response({"data": {"status": "ok", "path": request.path_qs}})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        ports.put(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await runner.cleanup()

    asyncio.run(main())


@contextmanager
def local_server(delay_ms: float = 20.0) -> Iterator[str]:
    """A server in a child process answering GET after ``delay_ms``; yields its base URL."""
    with local_server_process(delay_ms) as (url, _pid):
        yield url


@contextmanager
def local_server_process(delay_ms: float = 20.0) -> Iterator[tuple[str, int]]:
    """``local_server``, yielding its process id too (to read its CPU time)."""
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    stop = context.Event()
    process = context.Process(target=_serve, args=(delay_ms, ports, stop), daemon=True)
    process.start()
    try:
        port = ports.get(timeout=20)
        assert process.pid is not None
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        stop.set()
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)


def _run_threads(threads: int, calls: int, one_call: Callable[[int], None]) -> dict[str, float]:
    """Run ``calls`` calls spread over ``threads`` threads; calls/s and latency percentiles."""
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    per_thread = max(1, calls // threads)
    start = threading.Barrier(threads + 1)

    def worker(index: int) -> None:
        mine: list[float] = []
        start.wait()
        try:
            for i in range(per_thread):
                began = time.perf_counter()
                one_call(index * per_thread + i)
                mine.append((time.perf_counter() - began) * 1000.0)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} thread(s) failed, first: {errors[0]!r}")
    ordered = sorted(latencies)
    return {
        "calls": len(ordered),
        "seconds": round(elapsed, 3),
        "calls_per_s": round(len(ordered) / elapsed, 1),
        "p50_ms": round(ordered[len(ordered) // 2], 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
    }


def _paired_p50(
    count: int, first: Callable[[int], None], second: Callable[[int], None]
) -> tuple[float, float]:
    """Median latency (ms) of ``first`` and ``second``, called alternately ``count`` times."""
    a: list[float] = []
    b: list[float] = []
    for i in range(count):
        began = time.perf_counter()
        first(i)
        middle = time.perf_counter()
        second(i)
        a.append((middle - began) * 1000.0)
        b.append((time.perf_counter() - middle) * 1000.0)
    return statistics.median(a), statistics.median(b)


def _in_memory_overhead(count: int) -> tuple[float, float]:
    """Median latency (ms) of bare httpx and of the invoker over an instant in-memory transport:
    the invoker's own cost, without sockets or a server."""
    payload = {"data": {"status": "ok"}}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=payload))
    spec = _spec("http://bench.invalid", False)
    with (
        httpx.Client(transport=transport) as bare,
        Invoker(
            InvokerConfig(),
            SecretStore({}),
            AllowList(["bench.invalid"]),
            transport,
            registry=CollectorRegistry(),
        ) as invoker,
    ):

        def bare_call(i: int) -> None:
            response = bare.get(f"http://bench.invalid/customers/c{i}", params={"v": "1"})
            response.raise_for_status()
            response.json()["data"]["status"]

        def invoker_call(i: int) -> None:
            invoker.call(spec, [f"c{i}"])

        _paired_p50(200, bare_call, invoker_call)
        return _paired_p50(count, bare_call, invoker_call)


def _spec(base_url: str, cached: bool) -> Any:
    data: dict[str, Any] = {
        "name": "bench_cached" if cached else "bench_uncached",
        "parameters": [{"name": "customer", "type": "string"}],
        "request": {"url": base_url + "/customers/{{ customer }}", "query": {"v": "1"}},
        "response": {"results": {"status": "data.status"}},
        "timeout_s": 5,
    }
    if cached:
        data["cache"] = {"ttl_s": 60}
    return parse_function(data)


def measure_client(
    base_url: str | None = None,
    *,
    threads: int = 100,
    calls: int = 2000,
    delay_ms: float = 20.0,
    overhead_calls: int = 500,
    distinct_keys: int = 50,
    overhead_url: str | None = None,
) -> dict[str, Any]:
    """Measure bare httpx, the uncached invoker and the cached invoker; return the figures.

    Without ``base_url`` a local server answering after ``delay_ms`` is started for the run,
    plus one answering at once (``overhead_url``) for the sequential overhead measurement.
    """
    if base_url is None:
        with local_server(delay_ms) as url, local_server(0.0) as quick_url:
            return measure_client(
                url,
                threads=threads,
                calls=calls,
                delay_ms=delay_ms,
                overhead_calls=overhead_calls,
                distinct_keys=distinct_keys,
                overhead_url=quick_url,
            )
    overhead_url = overhead_url or base_url
    limits = httpx.Limits(max_connections=threads + 28, max_keepalive_connections=threads)
    config = InvokerConfig(max_connections=threads + 28, max_keepalive_connections=threads)
    hosts = {httpx.URL(base_url).host, httpx.URL(overhead_url).host}
    uncached, cached = _spec(base_url, False), _spec(base_url, True)
    quick = _spec(overhead_url, False)
    with (
        httpx.Client(limits=limits, timeout=5) as bare,
        Invoker(
            config, SecretStore({}), AllowList(sorted(hosts)), registry=CollectorRegistry()
        ) as invoker,
    ):

        def bare_call(i: int) -> None:
            response = bare.get(f"{base_url}/customers/c{i}", params={"v": "1"})
            response.raise_for_status()
            response.json()["data"]["status"]

        def invoker_call(i: int) -> None:
            invoker.call(uncached, [f"c{i}"])

        def cached_call(i: int) -> None:
            invoker.call(cached, [f"c{i % distinct_keys}"])

        def quick_bare(i: int) -> None:
            response = bare.get(f"{overhead_url}/customers/c{i}", params={"v": "1"})
            response.raise_for_status()
            response.json()["data"]["status"]

        def quick_invoker(i: int) -> None:
            invoker.call(quick, [f"c{i}"])

        _paired_p50(50, quick_bare, quick_invoker)
        seq_bare, seq_invoker = _paired_p50(overhead_calls, quick_bare, quick_invoker)
        for warm in (bare_call, invoker_call):
            for i in range(20):
                warm(i)
        for i in range(distinct_keys):
            cached_call(i)
        results: dict[str, Any] = {
            "bare": _run_threads(threads, calls, bare_call),
            "invoker": _run_threads(threads, calls, invoker_call),
            "invoker_cached": _run_threads(threads, calls, cached_call),
        }

        results["sequential_p50_ms"] = {
            "bare": round(seq_bare, 3),
            "invoker": round(seq_invoker, 3),
        }
        results["overhead_p50_ms"] = round(seq_invoker - seq_bare, 3)
        memory_bare, memory_invoker = _in_memory_overhead(overhead_calls * 4)
        results["in_memory_p50_ms"] = {
            "bare": round(memory_bare, 3),
            "invoker": round(memory_invoker, 3),
        }
        results["overhead_in_memory_p50_ms"] = round(memory_invoker - memory_bare, 3)
        results["overhead_p50_under_load_ms"] = round(
            results["invoker"]["p50_ms"] - results["bare"]["p50_ms"], 3
        )
        results["stats"] = invoker.stats("bench_cached")
    baseline = results["bare"]["calls_per_s"]
    for name in ("bare", "invoker", "invoker_cached"):
        results[name]["ratio_to_bare"] = round(results[name]["calls_per_s"] / baseline, 3)
    results["settings"] = {"threads": threads, "calls": calls, "delay_ms": delay_ms}
    return results


def print_figures(results: dict[str, Any]) -> None:
    settings = results["settings"]
    print(
        f"integration client: {settings['threads']} threads, {settings['calls']} calls each run,"
        f" server delay {settings['delay_ms']} ms"
    )
    for name, label in (
        ("bare", "bare httpx (baseline)"),
        ("invoker", "invoker, no cache"),
        ("invoker_cached", "invoker, cached"),
    ):
        row = results[name]
        print(
            f"  {label:<24} {row['calls_per_s']:>9.1f} calls/s  x{row['ratio_to_bare']:<6}"
            f" p50 {row['p50_ms']:.2f} ms  p95 {row['p95_ms']:.2f} ms"
        )
    seq = results["sequential_p50_ms"]
    memory = results["in_memory_p50_ms"]
    print(
        f"  per-call overhead p50: {results['overhead_p50_ms']:.3f} ms over sockets"
        f" (sequential, instant server: invoker {seq['invoker']:.3f} ms"
        f" - bare {seq['bare']:.3f} ms)"
    )
    print(
        f"  per-call overhead p50: {results['overhead_in_memory_p50_ms']:.3f} ms in memory"
        f" (instant transport: invoker {memory['invoker']:.3f} ms - bare {memory['bare']:.3f} ms)"
    )
    print(
        f"  p50 difference under load (100 threads): {results['overhead_p50_under_load_ms']:.3f} ms"
    )
    stats = results["stats"]
    print(f"  cache: {stats['cache_hits']} hits, {stats['cache_misses']} misses")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=100)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--delay-ms", type=float, default=20.0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = measure_client(threads=args.threads, calls=args.calls, delay_ms=args.delay_ms)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_figures(results)


if __name__ == "__main__":
    main()
