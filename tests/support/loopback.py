"""A guard for tests: sockets may connect to this machine's loopback addresses only."""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Callable
from typing import Any

Connect = Callable[[socket.socket, Any], Any]


def is_loopback(address: Any) -> bool:
    """True if a socket address (host, port, ...) names this machine and nothing else."""
    host = str(address[0]).split("%", 1)[0]
    try:
        ips = [ipaddress.ip_address(host)]
    except ValueError:  # a name: every address it resolves to must be this machine's
        infos = socket.getaddrinfo(host, None)
        ips = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for ip in ips:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not ip.is_loopback:
            return False
    return bool(ips)


def loopback_only(connect: Connect, refused: list[str]) -> Connect:
    """``socket.connect`` (or ``connect_ex``) that refuses, and records in ``refused``, any
    IPv4 or IPv6 address off this machine, before a packet is sent."""

    def guarded(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address):
            refused.append(repr(address))
            raise OSError(errno.ENETUNREACH, f"tests connect to loopback only, not {address}")
        return connect(sock, address)

    return guarded
