"""Tickets: customer problems routed by a routing script (BPMN + DMN) to specialist groups.

model        Ticket (typed over its row), TicketStatus, WorkItem, TicketRequest, Comment
numbers      human-readable numbers (T-2026-000123)
routing      how a ticket follows its workflow's variables (classification, moves, status)
dedup        one ticket per customer problem (lock, then find the open one)
journal      route entries, messages, events
transitions  the one write of a ticket, work items kept equal to the READY user tasks, and
             the engine hook that runs them after every advance of a ticket's workflow
commands     create (or join), comment
work         work items: claim, release, transfer, complete
transfer     a ticket moved to another group by a person (with or without a work item)
groups       a routing script's groups for clients (transfer forms, queue pickers)
queries      one ticket, a keyset-paged list, the route with time per element
queue        a group's queue: handed-off conversations and work items together
builtin      cuebook.create_ticket for service tasks
sla          cuebook.due_time and cuebook.sla_pause (calendars: engine/calendar.py)
"""

from engine.tickets.builtin import CREATE_TICKET, ticket_opener
from engine.tickets.commands import add_comment, create_ticket
from engine.tickets.groups import script_groups, ticket_groups
from engine.tickets.model import Comment, Ticket, TicketRequest, TicketStatus, WorkItem
from engine.tickets.queries import get_ticket, list_tickets, ticket_route
from engine.tickets.queue import group_queue
from engine.tickets.transfer import transfer_ticket
from engine.tickets.transitions import follow_instance
from engine.tickets.work import assigned_to, claim, complete, get_work_item, release, transfer

__all__ = [
    "CREATE_TICKET",
    "Comment",
    "Ticket",
    "TicketRequest",
    "TicketStatus",
    "WorkItem",
    "add_comment",
    "assigned_to",
    "claim",
    "complete",
    "create_ticket",
    "follow_instance",
    "get_ticket",
    "get_work_item",
    "group_queue",
    "list_tickets",
    "release",
    "script_groups",
    "ticket_groups",
    "ticket_opener",
    "ticket_route",
    "transfer",
    "transfer_ticket",
]
