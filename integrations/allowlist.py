"""Which hosts integration functions may reach (the guard against server-side request forgery).

The setting ``CUEBOOK_INTEGRATION_ALLOWED_HOSTS`` is a comma-separated list of entries:
``host``, ``host:port``, ``*.example.com`` (any subdomain), ``*`` (any host name), an IP
address (``10.1.2.3``, ``[::1]:8080``) or a network (``10.20.0.0/16``). A host name must match
a name entry and an IP literal must fall in an address entry. Every address a name resolves
to must be public (not loopback, link-local, private, multicast, unspecified or reserved)
unless the host is listed by its exact name or the address falls in a listed network.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import httpx
from cachetools import TTLCache

from integrations.errors import AllowListInvalid, HostRefused, HostUnresolved

SETTING = "CUEBOOK_INTEGRATION_ALLOWED_HOSTS"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class _NameEntry:
    name: str
    wildcard: bool
    port: int | None

    def matches(self, host: str, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if not self.wildcard:
            return host == self.name
        return self.name == "" or host.endswith("." + self.name)


@dataclass(frozen=True)
class _NetEntry:
    network: IPNetwork
    port: int | None

    def matches(self, address: IPAddress, port: int) -> bool:
        return (self.port is None or self.port == port) and address in self.network


def forbidden_reason(address: IPAddress) -> str | None:
    """Why ``address`` is not a public address (``None`` when it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("is_unspecified", "an unspecified"),
        ("is_loopback", "a loopback"),
        ("is_link_local", "a link-local"),
        ("is_multicast", "a multicast"),
        ("is_reserved", "a reserved"),
        ("is_private", "a private"),
    )
    for attribute, label in checks:
        if getattr(address, attribute):
            return f"{label} address"
    if not address.is_global:
        return "a non-public address"
    return None


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise AllowListInvalid(entry, f"bad port {text!r}")
    return int(text)


def _host_name(text: str, entry: str) -> str:
    try:
        name = text.encode("idna").decode("ascii").lower().rstrip(".")
    except UnicodeError:
        raise AllowListInvalid(entry, "not a valid host name") from None
    if not name or not all(_LABEL.match(label) for label in name.split(".")):
        raise AllowListInvalid(entry, "not a valid host name")
    return name


def _parse_entry(entry: str) -> _NameEntry | _NetEntry:
    text = entry.strip()
    port: int | None = None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise AllowListInvalid(entry, "bad bracketed IPv6 address")
        if rest:
            port = _port(rest[1:], entry)
        text = host
    else:
        try:
            return _NetEntry(ipaddress.ip_network(text, strict=False), None)
        except ValueError:
            pass
        if text.count(":") == 1:
            text, _, port_text = text.partition(":")
            port = _port(port_text, entry)
    try:
        return _NetEntry(ipaddress.ip_network(text, strict=False), port)
    except ValueError:
        if "/" in text or ":" in text:
            raise AllowListInvalid(entry, "not a valid address or network") from None
    if text == "*":
        return _NameEntry("", True, port)
    if text.startswith("*."):
        return _NameEntry(_host_name(text[2:], entry), True, port)
    if "*" in text:
        raise AllowListInvalid(entry, "a wildcard may only be a leading '*.'")
    return _NameEntry(_host_name(text, entry), False, port)


def resolve(host: str, port: int) -> list[str]:
    """Addresses ``host`` resolves to (the system resolver)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]).split("%", 1)[0] for info in infos})


class AllowList:
    """Allowed hosts. ``check(url)`` raises ``HostRefused`` or ``HostUnresolved``."""

    def __init__(
        self,
        entries: Iterable[str],
        *,
        resolver: Resolver = resolve,
        resolve_ttl_s: float = 30.0,
    ) -> None:
        self.entries = tuple(e.strip() for e in entries if e.strip())
        parsed = [_parse_entry(e) for e in self.entries]
        self._names = [e for e in parsed if isinstance(e, _NameEntry)]
        self._nets = [e for e in parsed if isinstance(e, _NetEntry)]
        self._resolver = resolver
        self._decisions: TTLCache[tuple[str, str, int], str | None] = TTLCache(
            maxsize=4096, ttl=resolve_ttl_s
        )
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, setting: str, **kwargs: object) -> AllowList:
        """An allow-list from a comma-separated setting."""
        return cls(setting.split(","), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AllowList:
        return cls.parse(environ.get(SETTING, ""))

    def __repr__(self) -> str:
        return f"AllowList({', '.join(self.entries)!r})"

    def check(self, url: httpx.URL | str) -> None:
        """Refuse ``url`` unless its scheme is http(s) and its host passes the rules."""
        if isinstance(url, str):
            try:
                url = httpx.URL(url)
            except httpx.InvalidURL as exc:
                raise HostRefused(f"not a valid URL: {exc}") from None
        scheme = url.scheme
        if scheme not in _DEFAULT_PORTS:
            raise HostRefused(f"scheme {scheme!r} is not allowed (only http and https)")
        host = url.raw_host.decode("ascii").lower().rstrip(".")
        if not host:
            raise HostRefused("the URL has no host")
        port = url.port or _DEFAULT_PORTS[scheme]
        key = (scheme, host, port)
        with self._lock:
            decision = self._decisions.get(key, False)
        if decision is False:
            decision = self._decide(host, port)
            with self._lock:
                self._decisions[key] = decision
        if decision is not None:
            raise HostRefused(decision)

    def connect_addresses(self, host: str, port: int) -> list[str]:
        """Addresses a connection to ``host`` may use, resolved now (at connect time, so a
        name that re-resolves to a forbidden address after ``check`` is still refused)."""
        name = host.lower().rstrip(".")
        try:
            literal: IPAddress | None = ipaddress.ip_address(name)
        except ValueError:
            literal = None
        if literal is not None:
            if self._net_match(literal, port):
                return [name]
            raise HostRefused(f"address {name}:{port} is not on the allowed hosts list ({SETTING})")
        matched = [entry for entry in self._names if entry.matches(name, port)]
        if not matched:
            raise HostRefused(f"host {name}:{port} is not on the allowed hosts list ({SETTING})")
        try:
            addresses = self._resolver(name, port)
        except (OSError, UnicodeError) as exc:
            raise HostUnresolved(f"host {name!r} cannot be resolved: {exc}") from None
        if any(not entry.wildcard for entry in matched):
            return addresses
        allowed = []
        for text in addresses:
            address = ipaddress.ip_address(text)
            if forbidden_reason(address) is None or self._net_match(address, port):
                allowed.append(text)
        if not allowed:
            raise HostRefused(
                f"host {name!r} resolves only to non-public addresses; list the host by its"
                " exact name or the address to allow it"
            )
        return allowed

    def _net_match(self, address: IPAddress, port: int) -> bool:
        return any(entry.matches(address, port) for entry in self._nets)

    def _decide(self, host: str, port: int) -> str | None:
        """``None`` when allowed, else the reason for refusing."""
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        where = f"{host}:{port}"
        if literal is not None:
            if self._net_match(literal, port):
                return None
            return f"address {where} is not on the allowed hosts list ({SETTING})"
        matched = [entry for entry in self._names if entry.matches(host, port)]
        if not matched:
            return f"host {where} is not on the allowed hosts list ({SETTING})"
        if any(not entry.wildcard for entry in matched):
            return None
        try:
            addresses = self._resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise HostUnresolved(f"host {host!r} cannot be resolved: {exc}") from None
        if not addresses:
            raise HostUnresolved(f"host {host!r} resolves to no address")
        for text in addresses:
            address = ipaddress.ip_address(text)
            reason = forbidden_reason(address)
            if reason is not None and not self._net_match(address, port):
                return (
                    f"host {host!r} resolves to {address}, {reason}; list the host by its exact"
                    " name or the address to allow it"
                )
        return None
