"""The call-backs API: schedule a call-back to a customer, list and read them, cancel one.

Operators schedule them for themselves or a group; bots (a chat-bot promising a call) may
too, naming the operator or the group. Scripts schedule them with the built-in
``cuebook.schedule_callback`` (engine/operators/callback_firing.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from flask import Blueprint, jsonify
from pydantic import Field

from engine.errors import Detail, ValidationFailed
from engine.operators.callbacks import (
    CallbackRequest,
    cancel_callback,
    get_callback,
    list_callbacks,
    schedule_callback,
)
from web.auth import roles
from web.bodies import RequestBody, RequestQuery, Text, parse_body, parse_query
from web.context import actor, services
from web.described import Answer, described

bp = Blueprint("callbacks", __name__, url_prefix="/api/v1/callbacks")
CLIENTS = ("operator", "bot")


class ScheduleCallback(RequestBody):
    """POST /api/v1/callbacks: whom to call back, when, and who calls."""

    customer_key: Annotated[Text, Field(min_length=1, max_length=200)] | None = Field(
        None, description="The customer (or give phone)."
    )
    phone: Annotated[Text, Field(min_length=1, max_length=50)] | None = Field(
        None, description="The number to call (spaces and dashes are dropped)."
    )
    due_at: Annotated[Text, Field(max_length=40)] | None = Field(
        None, description="When, ISO 8601 with a zone (or give delay_minutes)."
    )
    delay_minutes: float | None = Field(
        None, gt=0, le=527040, description="When, in minutes from now (or give due_at)."
    )
    operator: Annotated[Text, Field(min_length=1, max_length=200)] | None = Field(
        None, description="Who calls (an operator's login); default: the operator asking."
    )
    group: Annotated[Text, Field(min_length=1, max_length=100)] | None = Field(
        None, description="The group whose queue takes it when the operator is away."
    )
    note: Annotated[Text, Field(max_length=2000)] = Field("", description="What it is about.")
    session_id: Annotated[Text, Field(max_length=36)] | None = Field(
        None, description="The conversation that asked for it."
    )

    def request(self) -> CallbackRequest:
        due = None
        if self.due_at is not None:
            try:
                due = datetime.fromisoformat(self.due_at.replace("Z", "+00:00"))
            except ValueError:
                raise ValidationFailed(
                    f"due_at {self.due_at!r} is not an ISO 8601 time",
                    [Detail("due_at", "not an ISO 8601 time")],
                ) from None
        return CallbackRequest(
            customer_key=self.customer_key,
            phone=self.phone,
            due_at=due,
            delay_minutes=self.delay_minutes,
            operator=self.operator,
            group=self.group,
            note=self.note,
            instance_id=self.session_id,
        )


class CallbackPage(RequestQuery):
    """GET /api/v1/callbacks: soonest due first."""

    operator: Annotated[Text, Field(max_length=200)] | None = Field(
        None, description="Only this operator's (a login)."
    )
    status: Annotated[Text, Field(max_length=20)] | None = Field(
        None, description="scheduled, fired, done or cancelled."
    )
    limit: int = Field(50, ge=1, le=200)


class CallbackOut(Answer):
    id: str
    customer_key: str | None
    phone: str | None
    due_at: str
    operator: str | None = Field(description="The operator's login (null: the group's).")
    group: str | None
    note: str
    instance_id: str | None = Field(description="The conversation that asked for it.")
    ticket_id: str | None = Field(description="The ticket it became once fired.")
    status: str = Field(description="scheduled, fired, done or cancelled.")
    created_by: str
    created_at: str
    fired_at: str | None


class CallbackList(Answer):
    items: list[CallbackOut]


@bp.post("")
@roles(*CLIENTS)
@described(
    summary="Schedule a call-back to a customer",
    body=ScheduleCallback,
    responses={201: CallbackOut},
    errors=(409,),
)
def schedule() -> Any:
    request = parse_body(ScheduleCallback).request()
    svc = services()
    view = schedule_callback(
        svc.database, svc.engine, request, actor(), script=svc.settings.ticket_script
    )
    return jsonify(view), 201


@bp.get("")
@roles(*CLIENTS)
@described(
    summary="Call-backs, soonest due first", query=CallbackPage, responses={200: CallbackList}
)
def listed() -> Any:
    page = parse_query(CallbackPage)
    found = list_callbacks(
        services().database, operator=page.operator, status=page.status, limit=page.limit
    )
    return jsonify(found)


@bp.get("/<callback_id>")
@roles(*CLIENTS)
@described(summary="One call-back", responses={200: CallbackOut})
def show(callback_id: str) -> Any:
    return jsonify(get_callback(services().database, callback_id))


@bp.delete("/<callback_id>")
@roles(*CLIENTS)
@described(summary="Cancel a scheduled call-back", responses={200: CallbackOut}, errors=(409,))
def cancel(callback_id: str) -> Any:
    svc = services()
    return jsonify(cancel_callback(svc.database, svc.engine, callback_id, actor()))
