"""Allow-list entries, host matching and address classes (a fixed resolver: no DNS).

Private, link-local and metadata addresses appear here as data only: ``check`` and
``connect_addresses`` never open a socket, and the connect-time guard runs over a backend
that fails instead of connecting."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

import httpcore
import pytest

from integrations import AllowList
from integrations.allowlist import forbidden_reason
from integrations.errors import AllowListInvalid, HostRefused, HostUnresolved
from integrations.pool import GuardedBackend

ADDRESSES = {
    "api.example.com": ["93.184.216.34"],
    "crm.example.com": ["93.184.216.35"],
    "internal.example.com": ["10.1.2.3"],
    "intranet.corp": ["192.168.1.10"],
    "sneaky.example.com": ["93.184.216.36", "127.0.0.1"],
    "metadata.example.com": ["169.254.169.254"],
    "v6.example.com": ["2606:2800:220:1::1"],
}


def fixed_resolver(host: str, port: int) -> list[str]:
    if host not in ADDRESSES:
        raise OSError(f"unknown host {host}")
    return ADDRESSES[host]


def allow(setting: str) -> AllowList:
    return AllowList.parse(setting, resolver=fixed_resolver)


def refused(allow_list: AllowList, url: str) -> str:
    with pytest.raises(HostRefused) as caught:
        allow_list.check(url)
    return str(caught.value)


def test_exact_host_any_port() -> None:
    rules = allow("api.example.com")
    rules.check("https://api.example.com/x")
    rules.check("http://API.Example.com.:8080/x")
    assert "crm.example.com" in refused(rules, "https://crm.example.com/")


def test_host_with_port() -> None:
    rules = allow("api.example.com:8443")
    rules.check("https://api.example.com:8443/")
    assert "api.example.com:443" in refused(rules, "https://api.example.com/")


def test_wildcard_matches_subdomains_only() -> None:
    rules = allow("*.example.com")
    rules.check("https://crm.example.com/")
    rules.check("https://api.example.com/")
    assert "not on the allowed hosts list" in refused(rules, "https://example.com/")
    assert "not on the allowed hosts list" in refused(rules, "https://evil-example.com/")


def test_wildcard_names_must_resolve_to_public_addresses() -> None:
    rules = allow("*.example.com")
    assert "a private address" in refused(rules, "https://internal.example.com/")
    assert "a loopback address" in refused(rules, "https://sneaky.example.com/")
    assert "a link-local address" in refused(rules, "http://metadata.example.com/")
    rules.check("https://v6.example.com/")


def test_exact_names_and_listed_networks_may_be_private() -> None:
    allow("intranet.corp").check("http://intranet.corp/")
    allow("*.example.com, 10.0.0.0/8").check("https://internal.example.com/")


def test_ip_literals_need_an_address_entry() -> None:
    rules = allow("127.0.0.1, 10.20.0.0/16, [::1]:8080")
    rules.check("http://127.0.0.1:5000/")
    rules.check("http://10.20.3.4/")
    rules.check("http://[::1]:8080/")
    assert "10.21.0.1" in refused(rules, "http://10.21.0.1/")
    assert "::1" in refused(rules, "http://[::1]:9090/")
    assert "169.254.169.254" in refused(allow("*"), "http://169.254.169.254/latest/")
    assert "127.0.0.1" in refused(allow("*.example.com"), "http://127.0.0.1/")


def test_only_http_schemes() -> None:
    rules = allow("api.example.com")
    assert "scheme 'ftp'" in refused(rules, "ftp://api.example.com/")
    assert "scheme 'file'" in refused(rules, "file:///etc/passwd")


def test_empty_allow_list_refuses_everything() -> None:
    refused(allow(""), "https://api.example.com/")


def test_unresolvable_host() -> None:
    with pytest.raises(HostUnresolved, match=r"nowhere\.example\.com"):
        allow("*.example.com").check("https://nowhere.example.com/")


def test_from_env() -> None:
    rules = AllowList.from_env({"CUEBOOK_INTEGRATION_ALLOWED_HOSTS": " api.example.com , ,1.2.3.4"})
    assert rules.entries == ("api.example.com", "1.2.3.4")


@pytest.mark.parametrize(
    "entry", ["exa mple.com", "*example.com", "a.*.com", "host:99999", "10.0.0.0/33", "[::1"]
)
def test_bad_entries_are_named(entry: str) -> None:
    with pytest.raises(AllowListInvalid) as caught:
        AllowList.parse(f"ok.example.com,{entry}")
    assert caught.value.entry == entry


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.0.1", "a private address"),
        ("fd00::1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "a non-public address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("93.184.216.34", None),
        ("2606:2800:220:1::1", None),
    ],
)
def test_address_classes(address: str, reason: str | None) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


def test_connect_time_resolution_refuses_a_rebound_name() -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    rules = AllowList.parse("*.example.com", resolver=lambda host, port: next(answers))
    rules.check("https://rebind.example.com/")
    with pytest.raises(HostRefused, match="non-public"):
        rules.connect_addresses("rebind.example.com", 443)


def test_connect_addresses_keep_only_allowed_ones() -> None:
    assert allow("*.example.com").connect_addresses("sneaky.example.com", 443) == ["93.184.216.36"]
    assert allow("intranet.corp").connect_addresses("intranet.corp", 80) == ["192.168.1.10"]
    assert allow("127.0.0.1").connect_addresses("127.0.0.1", 8080) == ["127.0.0.1"]
    with pytest.raises(HostRefused):
        allow("127.0.0.1").connect_addresses("10.0.0.1", 80)
    with pytest.raises(HostRefused):
        allow("api.example.com").connect_addresses("crm.example.com", 443)


class NoNetwork(httpcore.NetworkBackend):
    """The backend under ``GuardedBackend``: records where it was asked to connect, and never
    opens a socket (a broken guard must not send a packet to the addresses above)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.asked.append((host, port))
        raise httpcore.ConnectError(f"no network in unit tests ({host}:{port})")


def guarded(setting: str) -> tuple[GuardedBackend, NoNetwork]:
    backend = GuardedBackend(allow(setting))
    inner = NoNetwork()
    backend._inner = inner  # type: ignore[assignment]
    return backend, inner


def test_guarded_backend_never_opens_a_refused_connection() -> None:
    backend, inner = guarded("*.example.com")
    with pytest.raises(HostRefused):
        backend.connect_tcp("metadata.example.com", 80, timeout=0.1)
    with pytest.raises(HostRefused):
        backend.connect_tcp("internal.example.com", 80, timeout=0.1)
    assert inner.asked == []


def test_guarded_backend_connects_only_to_allowed_addresses() -> None:
    backend, inner = guarded("*.example.com")
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("sneaky.example.com", 443, timeout=0.1)
    assert inner.asked == [("93.184.216.36", 443)], "the loopback answer is never tried"
