"""Customers: the identities that name one customer, and their history across channels."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.customers import check_customer_key, customer_history, get_identities, set_identities
from player.ticket_requests import HistoryPage, SetIdentities
from web.auth import roles
from web.bodies import parse_body, parse_query
from web.context import services
from web.described import an_object, described

bp = Blueprint("customers", __name__, url_prefix="/api/v1/customers")
CLIENTS = ("operator", "bot")


@bp.put("/<key>/identities")
@roles(*CLIENTS)
@described(
    summary="Set a customer's identities",
    body=SetIdentities,
    responses={200: an_object("The customer's key and identities.")},
    errors=(409,),
)
def link(key: str) -> Any:
    identities = parse_body(SetIdentities).checked()
    svc = services()
    return jsonify(set_identities(svc.database, key, identities, svc.engine.clock()))


@bp.get("/<key>/identities")
@roles(*CLIENTS)
@described(
    summary="A customer's identities",
    responses={200: an_object("The customer's key and identities.")},
    errors=(422,),
)
def identities(key: str) -> Any:
    return jsonify(get_identities(services().database, check_customer_key(key)))


@bp.get("/<key>/history")
@roles(*CLIENTS)
@described(
    summary="A customer's sessions and tickets, newest first",
    query=HistoryPage,
    responses={200: an_object("The customer, their identities, sessions and tickets.")},
)
def history(key: str) -> Any:
    page = parse_query(HistoryPage)
    return jsonify(customer_history(services().database, key, limit=page.limit))
