"""What authors and admins send to the editor API: request bodies and query strings as models.

An integration function's spec is not a model here: ``integrations`` checks it against its
own JSON Schema, so its endpoints pass the JSON object through.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from web.bodies import RequestBody, RequestQuery, Text, only

Parameters = Annotated[
    list[Any] | dict[str, Any],
    only(list, dict, message="must be a list (in order) or an object"),
]


class FunctionTrial(RequestBody):
    """POST /api/v1/integrations/{name}/test: call the function once with sample parameters."""

    parameters: Parameters = Field(
        default_factory=dict,
        description="The function's parameters: a list in declared order, or an object by name.",
    )


class EventsPage(RequestQuery):
    """GET /api/v1/events: the event log after a cursor, oldest first."""

    after: Annotated[Text, Field(max_length=100)] = Field(
        "",
        description="The `next` cursor of the previous page; empty: from the start.",
    )
    limit: int = Field(100, ge=1, le=1000, description="At most this many events.")


MAX_VERSION = 2**31 - 1  # version numbers are 32-bit integers in the database


class ReleaseBody(RequestBody):
    """PUT /api/v1/scripts/{key}/release: split new sessions between versions by weight."""

    versions: Annotated[list[Any], only(list, message="must be a list of {number, weight}")] = (
        Field(
            description="The versions and their weights in percent (whole numbers summing to "
            "100); one version at 100 is a publish.",
        )
    )


class VersionPair(RequestQuery):
    """GET /api/v1/scripts/{key}/versions/diff: the two versions to compare."""

    a: int = Field(ge=1, le=MAX_VERSION, description="The version compared from.")
    b: int = Field(ge=1, le=MAX_VERSION, description="The version compared to.")


class ComparePage(VersionPair):
    """GET /api/v1/scripts/{key}/versions/compare: two versions' sessions side by side."""

    since: datetime | None = Field(
        None,
        description="Count sessions started from this time (ISO 8601); by default since the "
        "latest release that split new sessions between the two.",
    )
    abandoned_after: float | None = Field(
        None,
        ge=0,
        le=10 * 365 * 86400,
        description="Seconds a waiting session stays untouched before it counts abandoned "
        "(default: CUEBOOK_ABANDONED_AFTER).",
    )


class DeployOptions(RequestQuery):
    """POST /api/v1/scripts/{key}/versions: the bundle's upload options (also a form field)."""

    publish: Annotated[Text, Field(max_length=10)] | None = Field(
        None, description="1, true, yes or on: publish the new version at once."
    )


# POST /api/v1/scripts/{key}/versions: the bundle's files, one form field each.
BUNDLE_UPLOAD: dict[str, Any] = {
    "type": "object",
    "required": ["files"],
    "properties": {
        "files": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "The bundle: .bpmn, .dmn, cuebook.json, forms, ... (or one .zip).",
        },
        "publish": {"type": "string", "description": "As the publish query argument."},
    },
}


class MoveVariables(RequestBody):
    """What becomes of a moved session's variables."""

    rename: dict[str, Text] = Field(
        default_factory=dict, description="Old variable name -> new name."
    )
    defaults: dict[str, Any] = Field(
        default_factory=dict, description="Variables the new version reads, set if absent."
    )


class MoveBody(RequestBody):
    """POST /api/v1/scripts/{key}/migrations: move open sessions to another version."""

    from_: int = Field(alias="from", ge=1, le=MAX_VERSION, description="The version moved from.")
    to: int = Field(ge=1, le=MAX_VERSION, description="The version moved to.")
    map: dict[str, Text] = Field(
        default_factory=dict,
        description="Element of the old version -> its counterpart in the new one.",
    )
    variables: MoveVariables = Field(default_factory=MoveVariables)
    dry_run: bool = Field(True, description="Only say what would move (the default).")
