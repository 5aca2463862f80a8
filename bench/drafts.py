"""What the editor waits for: a draft of the largest sample (internet_outage: two diagrams,
a DMN table, 17 forms) checked, saved, tried out and published through gunicorn on
PostgreSQL, one request at a time as one methodologist's page sends them.

    python bench/drafts.py [--rounds 30]

Prints p50 / p99 / mean per request kind. Each round changes one step's name, so every save,
test deploy and publish has new content to store and compile. The baseline in the same run
is `GET /api/v1/drafts/{id}` (the draft read back with its files): the other figures are
what checking, saving or compiling adds to moving the files over HTTP.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import ROOT, cli, fresh_schema, gunicorn_process, summary

SAMPLE = ROOT / "bpmn" / "internet_outage"


def _timed(client: httpx.Client, method: str, url: str, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    resp = client.request(method, url, **kwargs)
    return (time.perf_counter() - started) * 1000, resp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with fresh_schema() as env:
        author = cli(env, "token", "create", "--role", "methodologist", "--name", "author")
        with gunicorn_process(env, 2, 2, start_timeout=180) as (base, _proc):
            client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {author}"}, timeout=60
            )
            files = [("files", (p.name, p.read_bytes())) for p in sorted(SAMPLE.iterdir())]
            made = client.post("/api/v1/scripts/outage/versions?publish=true", files=files)
            assert made.status_code == 201, made.text
            draft = client.post("/api/v1/drafts", json={"script": "outage"}).json()
            url = f"/api/v1/drafts/{draft['id']}"
            bpmn = "internet_outage.bpmn"
            kinds: dict[str, list[float]] = {
                k: [] for k in ("read", "validate", "save", "conflict", "test", "publish")
            }
            revision = draft["revision"]
            for n in range(args.rounds):
                body = dict(draft["files"])
                body[bpmn] = body[bpmn].replace('name="', f'name="{n} ', 1)
                stale = {"revision": revision, "files": draft["files"]}
                ms, resp = _timed(client, "GET", url)
                kinds["read"].append(ms)
                ms, resp = _timed(client, "POST", url + "/validate", json={"files": body})
                assert resp.json()["valid"], resp.text
                kinds["validate"].append(ms)
                ms, resp = _timed(client, "PUT", url, json={"revision": revision, "files": body})
                assert resp.status_code == 200, resp.text
                kinds["save"].append(ms)
                revision = resp.json()["revision"]
                ms, refused = _timed(client, "PUT", url, json=stale)
                assert refused.status_code == 409, refused.text
                kinds["conflict"].append(ms)
                for kind in ("test", "publish"):
                    ms, resp = _timed(client, "POST", f"{url}/{kind}", json={"revision": revision})
                    assert resp.status_code == 200, resp.text
                    kinds[kind].append(ms)
            client.close()
    size = sum(len(p.read_bytes()) for p in SAMPLE.iterdir())
    print(
        f"draft of bpmn/internet_outage ({size // 1024} KB in {len(files)} files), "
        f"{args.rounds} rounds, one request at a time"
    )
    for kind, values in kinds.items():
        print(summary(kind, values))


if __name__ == "__main__":
    main()
