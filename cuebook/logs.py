"""Log output of ``cuebook serve`` and ``cuebook worker``: plain text (the default), or one JSON
object per line with ``CUEBOOK_LOG_FORMAT=json`` for a log shipper.

A record's structured fields (``extra={"cuebook": {...}}``, as the request log line passes
them) become keys of the JSON object, or ``key=value`` pairs after a text line. Whatever the
format, the values of the process's secrets (``CUEBOOK_SECRET_*``, the secret key, the
database password) and anything that reads as a bearer token are masked before a line is
written, so a message that quotes one by mistake does not leak it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

FORMATS = ("text", "json")
FIELDS_ATTR = "cuebook"
MASK = "***"
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_TOKEN = re.compile(r"\bcb_[A-Za-z0-9_-]{20,}")  # Cuebook's API tokens
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Masker:
    """Replaces secret values and bearer tokens in a finished line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self._secrets = re.compile("|".join(re.escape(s) for s in values)) if values else None

    def __call__(self, line: str) -> str:
        line = _TOKEN.sub(MASK, _BEARER.sub(r"\1" + MASK, line))
        if self._secrets is not None:
            line = self._secrets.sub(MASK, line)
        return line


def secrets_of(env: Mapping[str, str], database_url: str = "") -> list[str]:
    """The secret values a log line must never show."""
    found = [v for k, v in env.items() if k.startswith("CUEBOOK_SECRET_") and v]
    if env.get("CUEBOOK_SECRET_KEY"):
        found.append(env["CUEBOOK_SECRET_KEY"])
    password = urlsplit(database_url).password if "://" in database_url else None
    if password:
        found.append(password)
    return found


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, FIELDS_ATTR, None)
    return dict(fields) if isinstance(fields, dict) else {}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the record's fields, and
    the exception's traceback as text."""

    def __init__(self, masker: Masker | None = None) -> None:
        super().__init__()
        self.masker = masker or Masker()

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _fields(record).items():
            if value is not None and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return self.masker(json.dumps(line, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value ...``."""

    def __init__(self, masker: Masker | None = None) -> None:
        super().__init__(TEXT_FORMAT)
        self.masker = masker or Masker()

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        pairs = [f"{k}={v}" for k, v in _fields(record).items() if v is not None]
        return self.masker(" ".join([line, *pairs]) if pairs else line)


def log_format(value: str | None) -> str:
    """``CUEBOOK_LOG_FORMAT``: text (default) or json."""
    fmt = (value or "text").strip().lower()
    if fmt not in FORMATS:
        raise ValueError(f"CUEBOOK_LOG_FORMAT={value!r} is not one of {', '.join(FORMATS)}")
    return fmt


def configure_logging(fmt: str, secrets: Iterable[str] = (), level: int = logging.INFO) -> None:
    """One handler on stderr for the root logger, in ``fmt``; Cuebook's loggers at ``level``,
    other libraries' at warnings."""
    masker = Masker(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(masker) if fmt == "json" else TextFormatter(masker))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "cuebook", False)]:
        root.removeHandler(old)
    handler.cuebook = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)  # libraries (Kafka's client is chatty) say warnings only
    logging.getLogger("cuebook").setLevel(level)
