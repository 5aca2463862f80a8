"""A PostgreSQL cluster of a test's own, on a free loopback port, that the test may stop
and start (the shared cluster other test runs use is never restarted).

Debian's server binaries (``/usr/lib/postgresql/<major>/bin``) run it; ``initdb`` refuses
root, so under root every command runs as the ``postgres`` user (``runuser``) and the data
directory lives in a temporary folder that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_BINARIES = Path("/usr/lib/postgresql")
START_TIMEOUT_S = 30


def server_binaries() -> Path | None:
    """The newest installed ``bin`` folder with initdb and pg_ctl, or None."""
    if not SERVER_BINARIES.is_dir():
        return None
    found = [
        folder / "bin"
        for folder in SERVER_BINARIES.iterdir()
        if (folder / "bin" / "initdb").is_file() and (folder / "bin" / "pg_ctl").is_file()
    ]
    majors = sorted(
        found, key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0
    )
    return majors[-1] if majors else None


def missing_reason() -> str | None:
    """Why a private cluster cannot run here (None: it can)."""
    if server_binaries() is None:
        return f"no PostgreSQL server binaries (initdb, pg_ctl) under {SERVER_BINARIES}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and no 'postgres' user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root and no runuser to run initdb as 'postgres'"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateCluster:
    """One cluster: ``start``, ``stop(mode)`` (smart, fast or immediate), ``start`` again."""

    def __init__(self, folder: Path) -> None:
        binaries = server_binaries()
        assert binaries is not None, missing_reason()
        self.bin = binaries
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = _free_port()
        self.owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self.owner is not None:
            os.chown(folder, self.owner.pw_uid, self.owner.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--no-instructions",
            "-E",
            "UTF8",
            "--locale=C",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            # Loopback only, the socket in the test's folder (not the system cluster's), and
            # no durability shortcuts: the test checks what survives a crash.
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{folder}'\nmax_connections = 60\n"
                "shared_buffers = 32MB\nfsync = on\nlogging_collector = off\n"
            )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str, timeout: float = 60) -> str:
        command = [str(self.bin / program), *args]
        if self.owner is not None:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            cwd=self.folder,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        """Start and wait until it accepts connections (crash recovery included)."""
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            timeout=START_TIMEOUT_S + 10,
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions are ended and the cluster shuts down cleanly; ``immediate``:
        every process quits at once, as in a crash (recovery runs at the next start)."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "30")

    def running(self) -> bool:
        command = [str(self.bin / "pg_ctl"), "status", "-D", str(self.data)]
        if self.owner is not None:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A started cluster in a temporary folder; stopped (immediately) and removed after."""
    folder = Path(tempfile.mkdtemp(prefix="cuebook-pg-"))
    try:
        cluster = PrivateCluster(folder)
        cluster.start()
        try:
            yield cluster
        finally:
            if cluster.running():
                cluster.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
