"""Sessions: one walk of a script by an operator, a chat-bot or an IVR.

model        Session (typed over the instance row), Status, Actor, Reply, HandoffReason
tokens       step tokens and the retry rule
journal      history rows, outbox events, business counters
transitions  where a workflow arrived, and the one write of a session's new state
commands     start, step, back, resume
handoff      not understood, hand off, claim, hand back
queries      current view, history, transcript, handoff queue
"""

from engine.sessions.commands import (
    go_back,
    go_back_in,
    resume,
    start_session,
    start_session_in,
    submit_step,
    submit_step_in,
)
from engine.sessions.handoff import claim, hand_back
from engine.sessions.model import Actor, HandoffReason, Reply, Session, Status
from engine.sessions.queries import (
    get_session,
    get_session_in,
    queue,
    session_history,
    transcript,
)
from engine.sessions.runtime import Engine

__all__ = [
    "Actor",
    "Engine",
    "HandoffReason",
    "Reply",
    "Session",
    "Status",
    "claim",
    "get_session",
    "get_session_in",
    "go_back",
    "go_back_in",
    "hand_back",
    "queue",
    "resume",
    "session_history",
    "start_session",
    "start_session_in",
    "submit_step",
    "submit_step_in",
    "transcript",
]
