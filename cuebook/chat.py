"""``cuebook chat KEY``: talk to a script in the terminal, over the script API (chat channel)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

Ask = Callable[[str], str]
Say = Callable[[str], None]


def _show(view: dict[str, Any], say: Say) -> None:
    for message in view.get("messages") or []:
        say(message["text"])
    for n, button in enumerate(view.get("buttons") or [], start=1):
        say(f"  [{n}] {button['label']}")
    if view.get("handoff"):
        handoff = view["handoff"]
        say(f"-- handed to a person: queue {handoff['queue']} ({handoff['reason']})")


def _wait_for_event(client: Any, view: dict[str, Any], say: Say, poll_s: float) -> dict[str, Any]:
    """Read the session again until an event (a message, a signal, a timer) has moved it."""
    say("-- waiting for an event (a message, a signal or a timer)...")
    while True:
        time.sleep(poll_s)
        resp = client.get(f"/api/v1/sessions/{view['session_id']}?render=chat")
        if resp.status_code >= 400:
            raise RuntimeError(resp.json()["error"]["message"])
        now: dict[str, Any] = resp.json()
        if now["step_token"] != view["step_token"] or now["status"] != view["status"]:
            _show(now, say)
            return now


def chat(
    api: str,
    token: str,
    script: str,
    ask: Ask,
    say: Say,
    *,
    timeout: float = 10.0,
    poll_s: float = 2.0,
) -> dict[str, Any]:
    """Run one dialogue to its end (or until the person types /quit); returns the last view."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=api.rstrip("/"), headers=headers, timeout=timeout) as client:
        resp = client.post("/api/v1/sessions", json={"script": script, "channel": "chat"})
        if resp.status_code >= 400:
            raise RuntimeError(resp.json()["error"]["message"])
        view: dict[str, Any] = resp.json()
        _show(view, say)
        while view["status"] == "waiting":
            if view.get("kind") == "wait":  # an event moves it on, not the person: look again
                view = _wait_for_event(client, view, say, poll_s)
                continue
            text = ask("> ").strip()
            if text in ("/quit", "/exit"):
                break
            resp = client.post(
                f"/api/v1/sessions/{view['session_id']}/steps",
                json={"step_token": view["step_token"], "text": text},
            )
            if resp.status_code >= 400:
                say(f"!! {resp.json()['error']['message']}")
                continue
            view = resp.json()
            _show(view, say)
        say(f"-- session {view['session_id']}: {view['status']}")
        return view
