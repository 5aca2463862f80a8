"""A session as a channel-neutral StepView (renderers in player/ turn it into each channel)."""

from __future__ import annotations

from engine.model import Handoff, Progress, Step, StepView
from engine.sessions.model import Session


def view_of(
    session: Session,
    step: Step | None,
    *,
    handoff: Handoff | None = None,
    notice: str | None = None,
    channel: str | None = None,
    for_person: bool = False,
    language: str = "",
) -> StepView:
    """The view of ``session`` waiting at (or ended on) ``step``.

    ``for_person``: the reader is an operator, who sees the real step of a handed-off
    session; a bot is shown that a person has it (the renderers decide how).
    """
    open_ = not session.ended
    return StepView(
        session_id=session.id,
        status=session.status.value,  # type: ignore[arg-type]
        step_token=session.step_token if open_ else None,
        version=session.version,
        step=step,
        channel=channel or session.channel,
        handoff=handoff if handoff is not None else session.handoff,
        misses=session.misses,
        notice=notice,
        progress=Progress(steps_taken=session.step_seq),
        for_person=for_person,
        language=language,
    )
