"""Channel renderers: a StepView as web JSON, chat JSON or IVR JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import Detail, MalformedInput
from engine.model import StepView
from player.renderers.chat import render_chat
from player.renderers.ivr import render_ivr
from player.renderers.web import render_web

Renderer = Callable[[StepView], dict[str, Any]]

RENDERERS: dict[str, Renderer] = {
    "web": render_web,
    "chat": render_chat,
    "ivr": render_ivr,
}


def renderer_for(kind: str) -> Renderer:
    """The renderer of a channel; an unknown ``kind`` is a MalformedInput naming the choices."""
    renderer = RENDERERS.get(kind)
    if renderer is None:
        known = ", ".join(sorted(RENDERERS))
        raise MalformedInput(
            f"unknown render {kind!r}; use one of {known}",
            details=[Detail("render", f"{kind!r} is not a renderer")],
        )
    return renderer


def render(view: StepView, kind: str) -> dict[str, Any]:
    """Render ``view`` for a channel (see ``renderer_for``)."""
    return renderer_for(kind)(view)


__all__ = [
    "RENDERERS",
    "Renderer",
    "render",
    "render_chat",
    "render_ivr",
    "render_web",
    "renderer_for",
]
