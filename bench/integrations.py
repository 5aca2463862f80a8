"""Integration calls through service-task steps, against a local server answering in 20 ms.

    python bench/integrations.py [--sessions 100] [--steps 20]

Prints, from one run: the bare httpx client rate and the invoker's own rates (baseline,
from bench/integrations_client.py); steps per second through gunicorn (sync workers) on
PostgreSQL with 100 sessions in flight, each step calling the function uncached and cached;
and the added cost of an integration call on a step beyond the server's own time (p50 of
steps with the call, minus p50 of the same steps without it, minus p50 of a bare call).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import cli, fresh_schema, gunicorn, percentile, run_dialogues, summary
from bench.integrations_client import local_server, measure_client, print_figures

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


def _sequential(base: str, token: str, key: str, steps: int) -> list[float]:
    """One session, one step at a time (latency without queueing)."""
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
        view = c.post("/api/v1/sessions", json={"script": key}).json()
        for i in range(steps):
            t0 = time.perf_counter()
            r = c.post(
                f"/api/v1/sessions/{view['session_id']}/steps",
                json={"step_token": view["step_token"], "answer": {"district": f"s{i}"}},
            )
            times.append((time.perf_counter() - t0) * 1000)
            view = r.json()
            assert r.status_code == 200, view
    return times


def _bare(url: str, calls: int) -> list[float]:
    """The server's own answer time as a plain client sees it, one call at a time."""
    times = []
    with httpx.Client(timeout=10) as c:
        for i in range(calls):
            t0 = time.perf_counter()
            c.get(f"{url}/outage/bare{i}")
            times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--workers", type=int, default=8, help="gunicorn sync workers")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    args = parser.parse_args()

    with local_server(DELAY_MS) as slow:
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
            with gunicorn(env, workers=args.workers, threads=args.threads) as base:
                _sequential(base, token, "plain", 20)
                plain = _sequential(base, token, "plain", 200)
                call = _sequential(base, token, "call", 200)
                bare = _bare(slow, 200)
                print(summary("step, script task, 1 in flight", plain))
                print(summary("step, service task, 1 in flight", call))
                print(summary("bare client call to the server", bare))
                added = percentile(call, 50) - percentile(plain, 50) - percentile(bare, 50)
                print(
                    f"added cost of an integration call on a step: {added:.2f} ms p50 "
                    "(service-task step - script-task step - bare call; target < 2 ms)"
                )
                unique = itertools.count()

                def fresh(view: dict[str, object], i: int) -> dict[str, object]:
                    return {"answer": {"district": f"u{next(unique)}"}}

                def repeated(view: dict[str, object], i: int) -> dict[str, object]:
                    return {"answer": {"district": f"d{i % 20}"}}

                busy, rate = run_dialogues(
                    base,
                    token,
                    "call",
                    sessions=args.sessions,
                    steps=args.steps,
                    think_s=0,
                    reply=fresh,
                    channel="web",
                    connections=args.sessions,
                )
                print(
                    summary(f"service task, {args.sessions} in flight", busy)
                    + f"  {rate:.0f} uncached calls/s through steps (target >= 500)"
                )
                cached, crate = run_dialogues(
                    base,
                    token,
                    "cached",
                    sessions=args.sessions,
                    steps=args.steps,
                    think_s=0,
                    reply=repeated,
                    channel="web",
                    connections=args.sessions,
                )
                print(
                    summary(f"cached service task, {args.sessions} in flight", cached)
                    + f"  {crate:.0f} steps/s"
                )


if __name__ == "__main__":
    main()
