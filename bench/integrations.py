"""Integration calls through service-task steps, against a local server answering in 20 ms.

    python bench/integrations.py [--sessions 100] [--seconds 15] [--workers 2] [--threads 8]

Prints, from one run: the bare httpx client rate and the invoker's own rates (baseline,
from bench/integrations_client.py); one step at a time, in turn, a step of a loop with a
script task, a step of the same loop with a service task (uncached) and a bare call to the
server, and the added cost of a call on a step (p50 of the service-task steps, minus p50 of
the script-task steps, minus p50 of the bare calls); then wrk (bench/dialogue.lua) with
100 keep-alive connections walking 100 sessions through gunicorn on PostgreSQL, each step
calling the function uncached (a new district each time) and then cached (20 districts),
with steps/s and the server's CPU per step (bench/load.py).

The slow server is aiohttp in a process of its own; the load client is wrk. Both share the
two cores with the server measured, as the Python clients used before did at several
times their cost.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import cli, fresh_schema, gunicorn_process, percentile, summary
from bench.integrations_client import local_server_process, measure_client, print_figures
from bench.load import Server, clone_sessions, cpu_seconds, run_wrk

DELAY_MS = 20.0
FORM = {"type": "object", "required": ["district"], "properties": {"district": {"type": "string"}}}


def _bundle(folder: Path, function: str | None) -> Path:
    """A loop: ask a district -> (service task | script task) -> gateway -> ask again."""
    if function:
        work = (
            f'<bpmn:serviceTask id="work"><bpmn:extensionElements>'
            f'<spiffworkflow:serviceTaskOperator id="{function}" resultVariable="outage">'
            f'<spiffworkflow:parameters><spiffworkflow:parameter id="district" type="str" '
            f'value="district"/></spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>'
            f"</bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>"
            f"</bpmn:serviceTask>"
        )
    else:
        work = (
            '<bpmn:scriptTask id="work"><bpmn:incoming>f2</bpmn:incoming>'
            "<bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>outage = {'status': 'ok'}</bpmn:script>"
            "</bpmn:scriptTask>"
        )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="loop" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask"/>
    <bpmn:userTask id="ask" name="District"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="ask.schema.json"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="work"/>
    {work}
    <bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="f4"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing><bpmn:outgoing>f5</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="ask"/>
    <bpmn:sequenceFlow id="f5" sourceRef="gw" targetRef="end">
      <bpmn:conditionExpression>district == 'stop'</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:endEvent id="end"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""
    folder.mkdir(parents=True)
    (folder / "loop.bpmn").write_text(xml)
    (folder / "ask.schema.json").write_text(json.dumps(FORM))
    return folder


def _functions(base: str) -> list[dict[str, object]]:
    common = {
        "version": 1,
        "parameters": [{"name": "district", "type": "string"}],
        "response": {"results": {"status": "data.status"}},
        "timeout_s": 5,
        "circuit_breaker": {"failure_threshold": 0},
    }
    return [
        {
            "name": "outage",
            "description": "uncached",
            "request": {"url": base + "/outage/{{ district }}"},
            **common,
        },
        {
            "name": "outage_cached",
            "description": "cached",
            "request": {"url": base + "/cached/{{ district }}"},
            "cache": {"ttl_s": 600},
            **common,
        },
    ]


def _one_at_a_time(base: str, token: str, slow: str, rounds: int) -> dict[str, list[float]]:
    """One step of the script-task loop, one of the service-task loop and one bare call to
    the slow server, in turn, ``rounds`` times (latency without queueing; taken in turn so
    that the machine's drift touches the three alike)."""
    headers = {"Authorization": f"Bearer {token}"}
    times: dict[str, list[float]] = {"plain": [], "call": [], "bare": []}
    with (
        httpx.Client(base_url=base, headers=headers, timeout=60) as c,
        httpx.Client(timeout=10) as bare,
    ):
        views = {
            key: c.post("/api/v1/sessions", json={"script": key}).json()
            for key in ("plain", "call")
        }
        for i in range(rounds):
            for key, view in views.items():
                t0 = time.perf_counter()
                r = c.post(
                    f"/api/v1/sessions/{view['session_id']}/steps",
                    json={"step_token": view["step_token"], "answer": {"district": f"s{i}"}},
                )
                times[key].append((time.perf_counter() - t0) * 1000)
                views[key] = r.json()
                assert r.status_code == 200, views[key]
            t0 = time.perf_counter()
            bare.get(f"{slow}/outage/bare{i}").raise_for_status()
            times["bare"].append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=15, help="length of each wrk run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    args = parser.parse_args()

    with local_server_process(DELAY_MS) as (slow, slow_pid):
        print("baseline (in-process, 100 threads):")
        print_figures(measure_client(slow, threads=100, calls=2000, delay_ms=DELAY_MS))
        with fresh_schema() as env, tempfile.TemporaryDirectory() as tmp:
            env = dict(
                env,
                CUEBOOK_INTEGRATION_ALLOWED_HOSTS="127.0.0.1",
                CUEBOOK_DB_POOL_SIZE=str(args.threads + 2),
            )
            (Path(tmp) / "functions.json").write_text(json.dumps(_functions(slow)))
            cli(env, "integrations", "import", str(Path(tmp) / "functions.json"))
            for key, fn in (("plain", None), ("call", "outage"), ("cached", "outage_cached")):
                cli(env, "deploy", str(_bundle(Path(tmp) / key, fn)), "--script", key, "--publish")
            token = cli(env, "token", "create", "--role", "bot", "--name", "bench")
            with gunicorn_process(env, args.workers, args.threads) as (base, proc):
                _one_at_a_time(base, token, slow, 30)
                times = _one_at_a_time(base, token, slow, 300)
                plain, call, bare = times["plain"], times["call"], times["bare"]
                print(summary("step, script task, 1 in flight", plain))
                print(summary("step, service task, 1 in flight", call))
                print(summary("bare client call to the server", bare))
                added = percentile(call, 50) - percentile(plain, 50) - percentile(bare, 50)
                print(
                    f"added cost of an integration call on a step: {added:.2f} ms p50 "
                    "(service-task step - script-task step - bare call; target < 2 ms)"
                )
                server = Server(proc.pid, f"cuebook-bench-{base.rsplit(':', 1)[1]}")
                for key, answer, name in (
                    ("call", "unique", "service task, uncached"),
                    ("cached", "repeated", "service task, cached"),
                ):
                    sessions = clone_sessions(env, base, token, key, args.sessions)
                    run_wrk(
                        base, token, sessions, connections=args.sessions, seconds=2, answer=answer
                    )
                    slow_before = cpu_seconds([slow_pid])
                    load = run_wrk(
                        base,
                        token,
                        sessions,
                        connections=args.sessions,
                        seconds=args.seconds,
                        server=server,
                        answer=answer,
                    )
                    print(load.line(f"{name}, {args.sessions} in flight"))
                    print(load.cpu_line())
                    if answer == "unique":
                        slow_ms = (cpu_seconds([slow_pid]) - slow_before) / load.steps * 1000
                        whole = (
                            load.cpu_per_step_ms + slow_ms + load.cpu_client_s / load.steps * 1000
                        )
                        print(
                            f"{'  the slow server (aiohttp) per call':<44} {slow_ms:6.2f} ms; "
                            f"all on the two cores {whole:.2f} ms a step: at most "
                            f"{2000 / whole:.0f} steps/s if nothing else ran"
                        )
                        print(
                            f"uncached calls/s through steps, {args.sessions} in flight: "
                            f"{load.rate:.0f} (target >= 500)"
                        )


if __name__ == "__main__":
    main()
