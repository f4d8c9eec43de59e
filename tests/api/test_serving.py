"""`distillgov serve --workers 2` as a user runs it: two worker processes answer on one port,
both take connections, and SIGTERM stops them all; a port already taken is a clear error."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.conftest import _free_port


def _children(pid: int) -> set[int]:
    """The worker processes (multiprocessing's resource tracker is a child too)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return {c for c in found if b"resource_tracker" not in _cmdline(c)}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _serve(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DISTILLGOV_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite'}",
        "DISTILLGOV_RATE_LIMIT": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "distillgov", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_workers_share_the_port_and_stop_together(tmp_path: Path) -> None:
    port = _free_port()
    server = _serve(tmp_path, port)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2 or not _answers(port):
            assert time.monotonic() < deadline, server.stderr.read() if server.stderr else ""
            workers = _children(server.pid)
            time.sleep(0.2)
        time.sleep(2)  # both listening
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}") for _ in range(40)]
        try:  # 40 connections held open: the kernel spreads them over both workers' sockets
            assert all(c.get("/api/v1/health").status_code == 200 for c in clients)
            held = _connections_held(port, workers)
        finally:
            for c in clients:
                c.close()
        assert sum(held.values()) == 40 and min(held.values()) >= 5, held
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        for pid in workers:  # no worker outlives the command
            assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid)
    finally:
        if server.poll() is None:
            server.kill()


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().split()[2]


def _connections_held(port: int, workers: set[int]) -> dict[int, int]:
    """How many established connections to `port` each worker process holds."""
    established = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
            established.add(fields[9])  # the socket's inode
    held = {}
    for pid in workers:
        inodes = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                inodes.add(os.readlink(fd))
            except OSError:  # closed meanwhile
                continue
        held[pid] = sum(f"socket:[{inode}]" in inodes for inode in established)
    return held


def test_a_port_already_taken_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = _serve(tmp_path, port)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err
