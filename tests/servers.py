"""Throwaway PostgreSQL and Redis servers for tests (pytest-postgresql / pytest-redis style).

Each server lives in a fresh temporary directory on a free loopback port and is stopped and
removed when the test session ends. As root, PostgreSQL runs as the ``postgres`` system user
(initdb refuses root).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"), Path("/usr/lib/postgresql/17/bin")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin(name: str) -> str:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found:
        return found
    raise RuntimeError(
        f"PostgreSQL's {name} was not found; install postgresql (bin/test does this on Debian)."
    )


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str
    directory: Path
    _run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@{self.host}:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [*self._run_as, _pg_bin("pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """initdb a fresh cluster in a temporary directory and start it on a free port."""
    directory = Path(tempfile.mkdtemp(prefix="test-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    data = directory / "data"
    subprocess.run(
        [*run_as, _pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True,
        capture_output=True,
    )
    port = free_port()
    options = (
        f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [*run_as, _pg_bin("pg_ctl"), "-D", str(data), "-l", str(directory / "log"), "-w", "-o", options, "start"],
        check=True,
        capture_output=True,
    )
    return PostgresServer(host="127.0.0.1", port=port, user="postgres", directory=directory, _run_as=run_as)


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_redis() -> RedisServer:
    """Start redis-server on a free port with no persistence; waits until it answers PING."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server was not found; install redis-server (bin/test does this on Debian).")
    directory = Path(tempfile.mkdtemp(prefix="test-redis-"))
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return RedisServer(port=port, process=process, directory=directory)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not answer PING within 15 s.")
