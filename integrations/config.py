"""Process-wide settings of the invoker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_PREFIX = "CUEBOOK_INTEGRATION_"


@dataclass(frozen=True)
class InvokerConfig:
    """Limits shared by every call. Per-function timeouts, retries and caching live in specs."""

    max_response_bytes: int = 1 << 20
    max_redirects: int = 3
    max_connections: int = 128
    max_keepalive_connections: int = 100
    keepalive_expiry_s: float = 30.0
    stats_window: int = 1000
    user_agent: str = "Cuebook-Integrations/0.1"
    trust_env: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> InvokerConfig:
        """Read ``CUEBOOK_INTEGRATION_MAX_RESPONSE_BYTES``, ``..._MAX_REDIRECTS``,
        ``..._MAX_CONNECTIONS`` and ``..._TRUST_ENV`` (use proxy variables); raises
        ``ValueError`` naming a malformed setting."""

        def number(name: str, default: int) -> int:
            text = environ.get(_PREFIX + name)
            if text is None or not text.strip():
                return default
            try:
                value = int(text)
            except ValueError:
                raise ValueError(f"{_PREFIX}{name} must be an integer, got {text!r}") from None
            if value < 0:
                raise ValueError(f"{_PREFIX}{name} must not be negative")
            return value

        trust = environ.get(_PREFIX + "TRUST_ENV", "").strip().lower() in ("1", "true", "yes")
        connections = number("MAX_CONNECTIONS", cls.max_connections)
        return cls(
            max_response_bytes=number("MAX_RESPONSE_BYTES", cls.max_response_bytes),
            max_redirects=number("MAX_REDIRECTS", cls.max_redirects),
            max_connections=connections,
            max_keepalive_connections=min(cls.max_keepalive_connections, connections),
            trust_env=trust,
        )
