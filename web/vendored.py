"""Third-party browser assets vendored from npm into web/static/vendor/ (`make vendor`).

Both the player and the editor serve them from here, so there is one copy and one
version. Each package folder holds a manifest.json written by assets/vendor.py.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Response, send_from_directory

VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
VENDOR_MAX_AGE = 7 * 24 * 3600  # URLs carry the version (?v=), so a new one is fetched at once


@cache
def vendored_version(package: str) -> str:
    """The vendored version of ``package``, as its manifest records it."""
    manifest = json.loads((VENDOR / package / "manifest.json").read_text(encoding="utf-8"))
    return str(manifest["version"])


def vendored_file(path: str) -> Response:
    """One vendored file (404 for anything else; no path leaves the vendor folder)."""
    return send_from_directory(VENDOR, path, max_age=VENDOR_MAX_AGE)
