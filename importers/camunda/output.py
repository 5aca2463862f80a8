"""What the translation of one document adds to the bundle beside the document itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Output:
    forms: dict[str, bytes] = field(default_factory=dict)  # form files written, by name
    lanes: dict[str, list[str]] = field(default_factory=dict)  # group -> task ids
    decisions: dict[str, list[str]] = field(default_factory=dict)  # decision -> outputs
    form_documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # .form by id/name
    used_forms: set[str] = field(default_factory=set)  # the .form documents a step uses
