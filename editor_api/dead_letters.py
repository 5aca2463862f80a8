"""Dead letters over HTTP (admin): list them, retry one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from flask import Blueprint, jsonify
from pydantic import Field

from engine.events.dead_letters import list_dead_letters, retry_dead_letter
from engine.events.known import KnownMessages
from web.auth import roles
from web.bodies import RequestQuery, parse_query
from web.context import actor, services
from web.described import an_object, described

bp = Blueprint("dead_letters", __name__, url_prefix="/api/v1/dead-letters")


class DeadLettersPage(RequestQuery):
    """GET /api/v1/dead-letters: oldest first, after the id of the previous page's last."""

    status: Literal["dead", "retried", ""] = Field(
        "dead", description="dead (not retried yet), retried, or empty for both."
    )
    after: int = Field(0, ge=0, description="The `next` of the previous page.")
    limit: int = Field(100, ge=1, le=1000, description="At most this many.")


@bp.get("")
@roles("admin")
@described(
    summary="Dead letters, oldest first",
    query=DeadLettersPage,
    responses={200: an_object("`dead_letters` and the `next` cursor (an id).")},
)
def index() -> Any:
    page = parse_query(DeadLettersPage)
    with services().database.unit_of_work() as uow:
        letters = list_dead_letters(
            uow, status=page.status or None, after=page.after, limit=page.limit
        )
    cursor = letters[-1]["id"] if letters else page.after
    return jsonify({"dead_letters": letters, "next": cursor})


@bp.post("/<int:letter_id>/retry")
@roles("admin")
@described(
    summary="Deliver a dead letter again",
    responses={200: an_object("The letter, the outcome and the sessions reached.")},
    errors=(409, 422, 502),  # 422: the letter is still refused (not JSON, an unknown name)
)
def retry(letter_id: int) -> Any:
    svc = services()
    keep_for = timedelta(seconds=svc.settings.events.early_message_ttl)
    letter, received = retry_dead_letter(
        svc.database,
        svc.engine,
        KnownMessages.of(svc.database),
        letter_id,
        actor=actor().name,
        keep_for=keep_for,
    )
    return jsonify(
        {
            "dead_letter": letter,
            "outcome": received.outcome,
            "delivered_to": list(received.delivered_to),
        }
    )
