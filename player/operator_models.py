"""What clients send to and get from the operators and offers API, as typed models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from engine.operators import Profile
from web.bodies import RequestBody, RequestQuery, Text
from web.described import Answer

Login = Annotated[Text, Field(min_length=1, max_length=200)]
GroupName = Annotated[Text, Field(min_length=1, max_length=100)]
Channel = Literal["web", "chat", "ivr", "ticket"]
Language = Annotated[Text, Field(min_length=2, max_length=20)]


class SkillIn(RequestBody):
    group: GroupName = Field(description="A group (queue) the operator serves.")
    level: int = Field(1, ge=1, le=10, description="Skill level, 1 to 10 (higher first).")


class _ProfileFields(RequestBody):
    name: Annotated[Text, Field(max_length=200)] | None = Field(None, description="Full name.")
    skills: Annotated[list[SkillIn], Field(max_length=200)] | None = Field(
        None, description="Groups served, each with a level."
    )
    languages: Annotated[list[Language], Field(max_length=20)] | None = Field(
        None, description="Languages spoken (ru, en, ...)."
    )
    channels: Annotated[list[Channel], Field(max_length=4)] | None = Field(
        None, description="Channels taken (empty: any)."
    )
    capacity_conversations: int | None = Field(
        None, ge=0, le=100, description="Conversations at once."
    )
    capacity_tickets: int | None = Field(None, ge=0, le=100, description="Work items at once.")
    active: bool | None = Field(None, description="False: offered nothing.")

    def changes(self) -> dict[str, Any]:
        """The fields given, as the engine's Profile names them."""
        found: dict[str, Any] = {}
        for name in ("name", "capacity_conversations", "capacity_tickets", "active"):
            value = getattr(self, name)
            if value is not None:
                found[name] = value
        if self.skills is not None:
            found["skills"] = tuple((s.group, s.level) for s in self.skills)
        if self.languages is not None:
            found["languages"] = tuple(self.languages)
        if self.channels is not None:
            found["channels"] = tuple(self.channels)
        return found


class CreateOperator(_ProfileFields):
    """POST /api/v1/operators: a profile for the operator token named ``login`` (made if
    there is none; then shown once as ``token``)."""

    login: Login = Field(description="The operator token's name.")

    def profile(self) -> Profile:
        return Profile(login=self.login, **self.changes())


class UpdateOperator(_ProfileFields):
    """PUT /api/v1/operators/{id}: the fields given are replaced."""


class SetPresence(RequestBody):
    presence: Literal["ready", "busy", "away", "offline"] = Field(
        description="ready: offered work; busy, away: offered nothing; offline: signed off."
    )


class OperatorPage(RequestQuery):
    limit: int = Field(100, ge=1, le=500)
    after: int = Field(0, ge=0, le=2**31 - 1, description="The next of the previous page.")


class LoadOut(Answer):
    conversations: int
    tickets: int
    offered_conversations: int
    offered_tickets: int


class OperatorOut(Answer):
    id: int
    login: str
    name: str
    skills: list[dict[str, Any]]
    languages: list[str]
    channels: list[str]
    capacity_conversations: int
    capacity_tickets: int
    active: bool
    presence: str
    presence_since: str | None
    last_seen_at: str | None
    idle_since: str | None
    load: LoadOut


class CreatedOperator(OperatorOut):
    token: str | None = Field(description="The new token (only when one was made), shown once.")


class OperatorPageOut(Answer):
    operators: list[OperatorOut]
    next: int | None


class PresenceOut(Answer):
    operator_id: int
    login: str
    presence: str
    presence_since: str | None
    last_seen_at: str | None
    time_in_states: dict[str, float] = Field(description="Seconds in each state, last 24 h.")


class OfferOut(Answer):
    id: str
    item_kind: Literal["conversation", "ticket"]
    item_id: str = Field(description="The session id, or the work item id.")
    group: str
    operator_id: int
    status: str
    offered_at: str | None
    expires_at: str | None
    decided_at: str | None


class MyOffers(Answer):
    operator_id: int
    presence: str
    offers: list[OfferOut] = Field(description="Pending, oldest first.")


class DecidedOffer(Answer):
    offer: OfferOut
    session: dict[str, Any] | None = Field(None, description="The conversation taken (web).")
    work_item: dict[str, Any] | None = Field(None, description="The work item taken.")


class StreamQuery(RequestQuery):
    seconds: float | None = Field(
        None, gt=0, le=60, description="How long the stream stays open (default: the setting)."
    )
