"""The tests' own guard: a socket may connect to loopback addresses only (no packet leaves)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.support.loopback import is_loopback, loopback_only


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        (("127.0.0.1", 80), True),
        (("127.0.0.2", 80), True),
        (("::1", 80, 0, 0), True),
        (("::ffff:127.0.0.1", 80, 0, 0), True),
        (("localhost", 80), True),
        (("10.1.2.3", 80), False),
        (("172.16.5.4", 80), False),
        (("192.168.0.1", 80), False),
        (("169.254.169.254", 80), False),
        (("fe80::1%1", 80, 0, 1), False),
        (("93.184.216.34", 443), False),
        (("0.0.0.0", 80), False),
    ],
)
def test_loopback_addresses(address: Any, loopback: bool) -> None:
    assert is_loopback(address) is loopback


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_a_connect_off_this_machine_is_refused_before_it_starts(family: int) -> None:
    tried: list[Any] = []
    refused: list[str] = []
    guarded = loopback_only(lambda sock, address: tried.append(address), refused)
    target = ("169.254.169.254", 80) if family == socket.AF_INET else ("fd00::1", 80, 0, 0)
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        with pytest.raises(OSError, match="loopback only"):
            guarded(sock, target)
        guarded(sock, ("127.0.0.1", 9) if family == socket.AF_INET else ("::1", 9, 0, 0))
    assert tried == [("127.0.0.1", 9) if family == socket.AF_INET else ("::1", 9, 0, 0)]
    assert refused == [repr(target)]


def test_the_guard_is_on_in_every_test(_loopback_only: list[str]) -> None:
    # 0.0.0.0 is refused by the guard, yet reaches only this machine were the guard off.
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", 9)) != 0  # loopback goes through (refused port)
        with pytest.raises(OSError, match="loopback only"):
            sock.connect(("0.0.0.0", 9))
    assert _loopback_only == ["('0.0.0.0', 9)"]
    _loopback_only.clear()  # seen: do not fail this test for it
