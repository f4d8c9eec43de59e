"""Running the service: one uvicorn process, or several each with a listening socket of its own.

With `--workers N` uvicorn's own supervisor shares one listening socket among its workers, and
whichever is idle when clients connect takes them: a client that keeps its connection open (as
API clients and browsers do) stays with that worker, and in our measurements one worker was
often left with five times the connections of the other. Here each worker listens on its own
socket bound with SO_REUSEPORT, and the kernel spreads new connections evenly among them.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import wait
from typing import Any

import uvicorn

from distillgov.service.metrics import MULTIPROCESS

APP = "distillgov.api.app:app_from_env"


# uvicorn's own logging setup is left out: the app logs JSON lines (api/observe.py). A stop waits
# this long for the requests in hand before it closes their connections.
OPTIONS: dict[str, Any] = {"log_config": None, "timeout_graceful_shutdown": 30}


def run(host: str, port: int, workers: int, app: str = APP) -> int:
    """Serve until interrupted; the exit status."""
    if workers <= 1:
        uvicorn.run(app, factory=True, host=host, port=port, **OPTIONS)
        return 0
    problem = _cannot_listen(host, port)
    if problem:
        print(f"distillgov serve: cannot listen on {host}:{port}: {problem}", file=sys.stderr)
        return 1
    with _metrics_folder():
        return _supervise(host, port, workers, app)


@contextmanager
def _metrics_folder() -> Iterator[None]:
    """Workers write their metrics to files in one folder, which a scrape of any of them adds
    up (the Prometheus client's multiprocess mode); an empty one of our own unless the operator
    named one."""
    if os.environ.get(MULTIPROCESS):
        yield
        return
    folder = tempfile.mkdtemp(prefix="distillgov-metrics-")
    os.environ[MULTIPROCESS] = folder
    try:
        yield
    finally:
        del os.environ[MULTIPROCESS]
        shutil.rmtree(folder, ignore_errors=True)


def _supervise(host: str, port: int, workers: int, app: str) -> int:
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=_worker, args=(host, port, app), name=f"distillgov-worker-{n}")
        for n in range(workers)
    ]
    for child in children:
        child.start()

    asked_to_stop = False

    def stop(*_: Any) -> None:
        nonlocal asked_to_stop
        asked_to_stop = True
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: uvicorn finishes the requests in hand

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    wait([child.sentinel for child in children])  # one ends (stopped, or failed): all end
    failed = not asked_to_stop
    stop()
    for child in children:
        child.join()
    # uvicorn ends by raising again the signal it was stopped with: that is a clean stop.
    clean = {0, -signal.SIGTERM, -signal.SIGINT}
    return 1 if failed or any(child.exitcode not in clean for child in children) else 0


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _cannot_listen(host: str, port: int) -> str | None:
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def _worker(host: str, port: int, app: str) -> None:
    listener = socket.socket(_family(host), socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    # Not listening yet: uvicorn listens once the app is loaded, so the kernel sends no
    # connection to a worker that is still starting.
    config = uvicorn.Config(app, factory=True, **OPTIONS)
    uvicorn.Server(config).run(sockets=[listener])
