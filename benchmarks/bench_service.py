"""A bounded load test of the service on loopback: C concurrent clients for S seconds, half
assessments (POST /api/v1/assessments, each logged in the decision log) and half registry reads
(GET a record's proof bundle), against `distillgov serve` on a fresh SQLite file.

Targets (issue #6): >= 1,500 assessments/s, p99 <= 50 ms, zero errors, on this 2-core machine.

Run: .venv/bin/python -m benchmarks.bench_service [--clients 64] [--seconds 60] [--workers 1]
The load generator (httpx, asyncio) runs on the same two cores as the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import machine, report

ROOT = Path(__file__).resolve().parents[1]


def _seed(database: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from distillgov.registry.db import connect, migrate
    from distillgov.registry.records import Model, Organisation
    from distillgov.registry.registry import Registry

    engine = connect(database)
    migrate(engine)
    reg = Registry(engine)
    key = Ed25519PrivateKey.generate()
    reg.log.initialise("load.example/log", key)
    reg.add(Organisation(id="lab", name="A Lab"))
    reg.add(Model(id="tiny-1", name="Tiny", owner="lab"))
    reg.log.checkpoint(key)
    engine.dispose()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _load(
    base: str, clients: int, seconds: float, case: dict[str, object]
) -> dict[str, float]:
    import httpx

    assess_lat: list[float] = []
    read_lat: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    body = {"case": case, "jurisdiction": "cn"}

    async def client(n: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            i = n
            while time.perf_counter() < stop:
                start = time.perf_counter()
                try:
                    if i % 2 == 0:
                        r = await http.post("/api/v1/assessments", json=body)
                        ok, bucket = r.status_code == 201, assess_lat
                    else:
                        r = await http.get("/api/v1/registry/records/tiny-1/proof")
                        ok, bucket = r.status_code == 200, read_lat
                except httpx.HTTPError:
                    ok, bucket = False, read_lat
                elapsed = time.perf_counter() - start
                if ok:
                    bucket.append(elapsed)
                else:
                    errors += 1
                i += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    wall = time.perf_counter() - started

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    everything = assess_lat + read_lat
    return {
        "assessments per second (req/s)": len(assess_lat) / wall,
        "registry reads per second (req/s)": len(read_lat) / wall,
        "all requests per second (req/s)": len(everything) / wall,
        "assessment p50 (ms)": pct(assess_lat, 0.50),
        "assessment p99 (ms)": pct(assess_lat, 0.99),
        "registry read p50 (ms)": pct(read_lat, 0.50),
        "registry read p99 (ms)": pct(read_lat, 0.99),
        "errors": float(errors),
    }


def run(clients: int = 64, seconds: float = 60, workers: int = 1) -> dict[str, float]:
    import yaml

    case = json.loads(
        json.dumps(
            yaml.safe_load(
                (ROOT / "examples/cases/startup-clones-chat-model-via-public-api.yaml").read_text()
            ),
            default=str,
        )
    )
    with tempfile.TemporaryDirectory(prefix="distillgov-load-") as tmp:
        database = f"sqlite:///{Path(tmp) / 'service.sqlite'}"
        _seed(database)
        port = _port()
        env = {**os.environ, "DISTILLGOV_DATABASE_URL": database, "DISTILLGOV_RATE_LIMIT": "0"}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distillgov",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.1)
            return asyncio.run(_load(base, clients, seconds, case))
        finally:
            server.terminate()
            server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    figures = run(args.clients, args.seconds, args.workers)
    report(
        f"Service load, {args.clients} clients for {args.seconds:g} s, {args.workers} worker(s) "
        f"({machine()})",
        [
            (k, format(v, ",.0f" if "/s" in k or k == "errors" else ",.1f"))
            for k, v in figures.items()
        ],
    )


if __name__ == "__main__":
    main()
