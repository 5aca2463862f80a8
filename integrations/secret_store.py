"""Secrets referenced by name, and masking of their values in anything shown or logged."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote, quote_plus

from integrations.errors import SecretMissing

ENV_PREFIX = "CUEBOOK_SECRET_"
FILE_SETTING = "CUEBOOK_SECRETS_FILE"
MASK = "***"


class SecretsFileInvalid(ValueError):
    """A secrets file cannot be read; the message names the file and line, never a value."""


def _read_file(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SecretsFileInvalid(f"{path}: cannot read the secrets file ({exc.strerror})") from None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SecretsFileInvalid(f"{path}: not valid JSON (line {exc.lineno})") from None  # type: ignore[attr-defined]
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise SecretsFileInvalid(f"{path}: a JSON secrets file maps names to strings")
        return {_name(str(k)): v for k, v in data.items()}
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise SecretsFileInvalid(f"{path}: line {number} is not NAME=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[_name(name.strip())] = value
    return values


def _name(name: str) -> str:
    return name[len(ENV_PREFIX) :] if name.startswith(ENV_PREFIX) else name


class Masker:
    """Replaces every form a secret value can take in text (raw, URL-encoded, JSON-escaped)."""

    __slots__ = ("_forms",)

    def __init__(self, values: Iterable[str]) -> None:
        forms: set[str] = set()
        for value in values:
            if not value:
                continue
            forms.update(
                {
                    value,
                    quote(value, safe=""),
                    quote(value),
                    quote_plus(value),
                    json.dumps(value, ensure_ascii=False)[1:-1],
                    json.dumps(value)[1:-1],
                }
            )
        self._forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def __bool__(self) -> bool:
        return bool(self._forms)


NO_MASK = Masker(())


class SecretStore:
    """Secret values by name: ``CUEBOOK_SECRET_<NAME>`` in an environment, then a secrets file.

    The file holds a JSON object or ``NAME=value`` lines (``#`` comments allowed). The
    environment is read on every lookup, so a rotated value is picked up without a restart.
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        file: str | Path | None = None,
    ) -> None:
        self._environ: Mapping[str, str] = {} if environ is None else environ
        self._file = Path(file) if file else None
        self._file_values = _read_file(self._file) if self._file else {}
        self._maskers: dict[tuple[str, ...], Masker] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SecretStore:
        """Secrets from ``environ`` (default ``os.environ``) and the file named by
        ``CUEBOOK_SECRETS_FILE`` when set."""
        env = os.environ if environ is None else environ
        return cls(env, env.get(FILE_SETTING) or None)

    def __repr__(self) -> str:
        return f"SecretStore(file={str(self._file) if self._file else None!r})"

    def reload(self) -> None:
        """Read the secrets file again."""
        if self._file:
            self._file_values = _read_file(self._file)

    def _where(self, name: str) -> str:
        where = f"environment variable {ENV_PREFIX}{name}"
        return f"{where} or {self._file}" if self._file else where

    def get(self, name: str) -> str:
        """The value of secret ``name``; raises ``SecretMissing`` naming it."""
        value = self._environ.get(ENV_PREFIX + name)
        if value is None:
            value = self._file_values.get(name)
        if value is None:
            raise SecretMissing(name, self._where(name))
        return value

    def has(self, name: str) -> bool:
        return ENV_PREFIX + name in self._environ or name in self._file_values

    def values_for(self, names: Iterable[str]) -> dict[str, str]:
        """Values of ``names``; raises ``SecretMissing`` for the first one not configured."""
        return {name: self.get(name) for name in names}

    def masker(self, values: Mapping[str, str]) -> Masker:
        """A masker for ``values`` (built once per distinct set of values)."""
        if not values:
            return NO_MASK
        key = tuple(values.values())
        masker = self._maskers.get(key)
        if masker is None:
            masker = Masker(key)
            with self._lock:
                if len(self._maskers) > 1024:
                    self._maskers.clear()
                self._maskers[key] = masker
        return masker
