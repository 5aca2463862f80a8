"""Path parameters: a segment holding a NUL character names nothing.

Text with NUL cannot be stored or looked up (PostgreSQL refuses it), so no key, id or name
ever holds one; the default converter refuses such a segment and the request is a 404, as
for any other name that does not exist, instead of failing in the database driver.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import Map, UnicodeConverter

SEGMENT_PATTERN = "^[^/\\u0000]+$"  # the converter's rule as the OpenAPI document writes it


class SegmentConverter(UnicodeConverter):
    """One path segment of text without NUL (Werkzeug's default, less the NUL)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\x00]")


def install_path_rules(app: Flask) -> None:
    """Call before any route is added: rules bind their converters when registered."""
    app.url_map.converters["default"] = SegmentConverter
    app.url_map.converters["string"] = SegmentConverter
