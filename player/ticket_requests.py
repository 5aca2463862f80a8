"""What clients send to the tickets, work items and customers API, as typed models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from engine.customers import Identity, identity
from engine.tickets import Comment, TicketRequest
from web.bodies import RequestBody, RequestQuery, Text

Key = Annotated[Text, Field(min_length=1, max_length=200)]
Name = Annotated[Text, Field(min_length=1, max_length=100)]
ChannelName = Annotated[Text, Field(min_length=1, max_length=20)]


class IdentityIn(RequestBody):
    """A phone number, e-mail address or chat id of a customer."""

    kind: Annotated[Text, Field(max_length=20)] = Field(description="phone, email or chat.")
    value: Key = Field(description="The number, address or id as the channel gives it.")

    def checked(self, path: str) -> Identity:
        return identity(self.kind, self.value, path)


class OpenTicket(RequestBody):
    """POST /api/v1/tickets: a customer's request, routed by a routing script."""

    customer_key: Key | None = Field(None, description="The customer (or give identity).")
    identity: IdentityIn | None = Field(
        None, description="A phone, e-mail or chat id naming the customer instead of the key."
    )
    channel: ChannelName = Field(description="Where the customer wrote: phone, chat, email...")
    type: Name = Field(description="The request's type (groups.json types).")
    category: Annotated[Text, Field(max_length=100)] = Field("", description="Its category.")
    subject: Annotated[Text, Field(max_length=300)] = Field("", description="What it is about.")
    body: Text = Field("", description="The customer's words.")
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Anything else the routing reads (segment, ...)."
    )
    script: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="Routing script key (default: CUEBOOK_TICKET_SCRIPT)."
    )

    def request(self) -> TicketRequest:
        return TicketRequest(
            channel=self.channel,
            type=self.type,
            category=self.category,
            subject=self.subject,
            body=self.body,
            attributes=self.attributes,
            script=self.script,
            customer_key=self.customer_key,
            identity=self.identity.checked("identity") if self.identity else None,
        )


class AddComment(RequestBody):
    """POST /api/v1/tickets/{id}/comments: a message on the ticket."""

    author: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        "operator", description='"customer" for the customer\'s own words; else a comment.'
    )
    channel: ChannelName | None = Field(None, description="Where the customer wrote.")
    text: Annotated[Text, Field(min_length=1)] = Field(description="The message.")

    def comment(self) -> Comment:
        return Comment(author=self.author, text=self.text, channel=self.channel)


class TicketPage(RequestQuery):
    """GET /api/v1/tickets: newest first, filtered, keyset-paged."""

    customer_key: Key | None = None
    status: Annotated[Text, Field(max_length=20)] | None = None
    group: Name | None = None
    limit: int = Field(50, ge=1, le=200)
    after: Annotated[Text, Field(max_length=500)] | None = None


class CompleteWork(RequestBody):
    """POST /api/v1/work-items/{id}/complete: the answer to the task's form."""

    answer: dict[str, Any] = Field(description="Values of the form's fields.")


class TransferWork(RequestBody):
    """POST /api/v1/work-items/{id}/transfer: the ticket to another group."""

    group: Name = Field(description="The group to hand the ticket to.")
    reason: Annotated[Text, Field(min_length=1, max_length=2000)] = Field(
        description="Why, for the route."
    )


class TransferTicket(TransferWork):
    """POST /api/v1/tickets/{id}/transfer: the ticket to another group, work item or not."""


class GroupsQuery(RequestQuery):
    """GET /api/v1/groups: the groups of a routing script's published version."""

    script: Annotated[Text, Field(min_length=1, max_length=100)] | None = None


class WorkPage(RequestQuery):
    """GET /api/v1/work-items: open items a person holds (default: the caller)."""

    assignee: Key | None = None
    limit: int = Field(50, ge=1, le=200)


class SetIdentities(RequestBody):
    """PUT /api/v1/customers/{key}/identities: the customer's identities, all of them."""

    identities: Annotated[list[IdentityIn], Field(max_length=50)] = Field(
        description="Phone numbers, e-mail addresses and chat ids of this customer."
    )

    def checked(self) -> list[Identity]:
        return [item.checked(f"identities[{i}]") for i, item in enumerate(self.identities)]


class HistoryPage(RequestQuery):
    """GET /api/v1/customers/{key}/history."""

    limit: int = Field(50, ge=1, le=200)
