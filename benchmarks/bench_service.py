"""A bounded load test of the service on loopback: C concurrent clients for S seconds against
`distillgov serve` on a fresh SQLite file, assessing (POST /api/v1/assessments, each
logged in the decision log), or reading the registry (GET a record's proof bundle, over 100
models), or half and half; rate limit off.

Targets (issue #6): >= 1,500 assessments/s, p99 <= 50 ms, zero errors, on this 2-core machine.

The assessments cycle through every example case under every built-in profile (72 distinct
requests: the questions a public service is asked again and again), or with `--unique` each
request is a case never seen before (every one assessed, encoded and stored afresh).

Load generator: `wrk` when it is on the PATH (C, one process for the assessing clients and one
for the reading ones; Debian's package), else asyncio httpx, which costs about as much CPU per
request as the server and so understates it. Both run on the same two cores as the server.

`--database postgresql+psycopg://USER@HOST:PORT/DB` runs the same load on PostgreSQL: a schema of
its own is made for the run (the service's tables, seeded as on SQLite) and dropped afterwards.

Run: .venv/bin/python -m benchmarks.bench_service [--clients 64] [--seconds 60] [--workers 2]
     [--unique] [--generator auto|wrk|python] [--mix assess|read|both|all] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import machine, report

ROOT = Path(__file__).resolve().parents[1]
MODELS = 100
PROFILES = ("us", "cn", "global_south")


def _seed(database: str) -> list[str]:
    """A registry of MODELS models under one signed checkpoint; the proof paths to read."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from distillgov.registry.records import Model, Organisation
    from distillgov.registry.registry import Registry
    from distillgov.storage.db import open_database

    engine = open_database(database)
    reg = Registry(engine)
    key = Ed25519PrivateKey.generate()
    reg.log.initialise("load.example/log", key)
    reg.add(Organisation(id="lab", name="A Lab"))
    reg.add_many([Model(id=f"model-{i}", name=f"Model {i}", owner="lab") for i in range(MODELS)])
    reg.log.checkpoint(key)
    engine.dispose()
    return [f"/api/v1/registry/records/model-{i}/proof" for i in range(MODELS)]


def assessment_bodies(unique: bool) -> list[str]:
    """One JSON body per example case and profile; with `unique`, templates whose case id
    carries `@N@`, for the load generator to number."""
    import yaml

    bodies = []
    for path in sorted((ROOT / "examples" / "cases").glob("*.yaml")):
        if path.name == "expected.yaml":
            continue
        case = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        if unique:
            case["id"] = f"{case['id']}-@N@"
        bodies += [json.dumps({"case": case, "jurisdiction": p}) for p in PROFILES]
    return bodies


@dataclass
class Side:
    """One kind of request under load: how many answered well, how fast, how many failed."""

    ok: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- wrk -------------------------------------------------------------------------------------

_WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT %d %d %d %d %d %d\\n", summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
"""

_WRK_ASSESS = """
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local i, n = 0, 0
local headers = {["Content-Type"] = "application/json"}
request = function()
  i = i %% #bodies + 1
  n = n + 1
  local body = string.gsub(bodies[i], "@N@", tostring(n))
  return wrk.format("POST", "/api/v1/assessments", headers, body)
end
"""

_WRK_READ = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def _wrk(
    base: str, clients: dict[str, int], seconds: float, bodies: list[str], paths: list[str]
) -> dict[str, Side]:
    with tempfile.TemporaryDirectory(prefix="distillgov-wrk-") as tmp:
        folder = Path(tmp)
        (folder / "bodies.txt").write_text("\n".join(bodies) + "\n")
        (folder / "paths.txt").write_text("\n".join(paths) + "\n")
        scripts = {
            "assess": _WRK_ASSESS % {"bodies": folder / "bodies.txt"} + _WRK_DONE,
            "read": _WRK_READ % {"paths": folder / "paths.txt"} + _WRK_DONE,
        }
        runs = {}
        for side, connections in clients.items():
            (folder / f"{side}.lua").write_text(scripts[side])
            runs[side] = subprocess.Popen(
                [
                    "wrk",
                    "-t1",
                    f"-c{connections}",
                    f"-d{seconds:g}s",
                    "--timeout",
                    "5s",
                    "-s",
                    str(folder / f"{side}.lua"),
                    base,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        sides = {}
        for side, process in runs.items():
            output, _ = process.communicate(timeout=seconds + 60)
            found = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.M)
            if found is None:
                raise RuntimeError(f"wrk gave no result:\n{output}")
            total, bad_status, failed, duration, p50, p99 = map(int, found.groups())
            sides[side] = Side(
                ok=total - bad_status,
                errors=bad_status + failed,
                seconds=duration / 1e6,
                p50_ms=p50 / 1000,
                p99_ms=p99 / 1000,
            )
        return sides


# --- Python (asyncio httpx) ------------------------------------------------------------------


async def _python(
    base: str, clients: dict[str, int], seconds: float, bodies: list[str], paths: list[str]
) -> dict[str, Side]:
    import httpx

    latencies: dict[str, list[float]] = {"assess": [], "read": []}
    errors = {"assess": 0, "read": 0}
    stop = time.perf_counter() + seconds
    numbered = 0

    async def client(side: str, n: int) -> None:
        nonlocal numbered
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            i = n
            while time.perf_counter() < stop:
                i += 1
                start = time.perf_counter()
                try:
                    if side == "assess":
                        numbered += 1
                        body = bodies[i % len(bodies)].replace("@N@", str(numbered))
                        r = await http.post(
                            "/api/v1/assessments",
                            content=body,
                            headers={"Content-Type": "application/json"},
                        )
                        ok = r.status_code == 201
                    else:
                        ok = (await http.get(paths[i % len(paths)])).status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies[side].append(time.perf_counter() - start)
                else:
                    errors[side] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(side, n) for side, k in clients.items() for n in range(k)))
    wall = time.perf_counter() - started

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    return {
        side: Side(len(values), errors[side], wall, pct(values, 0.50), pct(values, 0.99))
        for side, values in latencies.items()
        if side in clients
    }


# --- the run ---------------------------------------------------------------------------------


def run(
    clients: int = 64,
    seconds: float = 60,
    workers: int = 2,
    unique: bool = False,
    generator: str = "auto",
    mix: str = "assess",
    database: str | None = None,
) -> dict[str, float]:
    """`mix`: every client assessing ("assess"), every client reading ("read"), or half and
    half ("both")."""
    split = {
        "assess": {"assess": clients},
        "read": {"read": clients},
        "both": {"assess": max(1, clients // 2), "read": max(1, clients // 2)},
    }[mix]
    use_wrk = generator == "wrk" or (generator == "auto" and shutil.which("wrk") is not None)
    bodies = assessment_bodies(unique)
    with (
        tempfile.TemporaryDirectory(prefix="distillgov-load-") as tmp,
        _database(database, Path(tmp)) as url,
    ):
        database = url
        paths = _seed(database)
        port = _port()
        env = {
            **os.environ,
            "DISTILLGOV_DATABASE_URL": database,
            "DISTILLGOV_RATE_LIMIT": "0",
            "DISTILLGOV_ANONYMOUS_DAILY_QUOTA": "0",  # the load is anonymous by design
        }
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
            # The access log (a JSON line a request) goes to a file: a pipe nobody reads would
            # fill and stall the server.
            stderr=(Path(tmp) / "server.log").open("wb"),
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for(server, port, workers)
            sides = (
                _wrk(base, split, seconds, bodies, paths)
                if use_wrk
                else asyncio.run(_python(base, split, seconds, bodies, paths))
            )
        finally:
            server.terminate()
            server.wait(timeout=20)
    figures: dict[str, float] = {}
    for side, label in (("assess", "assessment"), ("read", "registry read")):
        if side in sides:
            done = sides[side]
            figures[f"{label}s per second (req/s)"] = done.ok / done.seconds
            figures[f"{label} p50 (ms)"] = done.p50_ms
            figures[f"{label} p99 (ms)"] = done.p99_ms
    figures["errors"] = float(sum(done.errors for done in sides.values()))
    figures["load generator is wrk (1 = yes)"] = float(use_wrk)
    return figures


@contextmanager
def _database(given: str | None, folder: Path) -> Iterator[str]:
    """The run's database URL: a fresh SQLite file, or a fresh schema on the PostgreSQL server
    `given` names (dropped afterwards)."""
    if given is None or given.startswith("sqlite"):
        yield given or f"sqlite:///{folder / 'service.sqlite'}"
        return
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(given)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{given}{'&' if '?' in given else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def serving(database: str, folder: Path, workers: int = 2) -> Iterator[str]:
    """`distillgov serve --workers N` on `database`, rate limit off, its log in `folder`; the
    base URL once every worker listens. Stopped (SIGTERM) on leaving."""
    port = _port()
    env = {**os.environ, "DISTILLGOV_DATABASE_URL": database, "DISTILLGOV_RATE_LIMIT": "0"}
    command = [sys.executable, "-m", "distillgov", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "server.log").open("wb"),  # a pipe nobody reads would stall it
    )
    try:
        _wait_for(server, port, workers)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(server: subprocess.Popen[bytes], port: int, workers: int) -> None:
    """Until the service answers; then long enough for every worker to have started (each
    starts listening only when ready, and the load's connections are spread over those
    listening when it begins)."""
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.1)
    if workers > 1:
        time.sleep(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--unique", action="store_true", help="every assessment a new case")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--database", help="a PostgreSQL URL (a schema is made for the run); default: SQLite file"
    )
    parser.add_argument(
        "--mix",
        choices=("assess", "read", "both", "all"),
        default="all",
        help="what the clients do; 'all' runs assess, read and both one after the other",
    )
    args = parser.parse_args()
    requests = "each a new case" if args.unique else f"{len(assessment_bodies(False))} distinct"
    for mix in ("assess", "read", "both") if args.mix == "all" else (args.mix,):
        figures = run(
            args.clients,
            args.seconds,
            args.workers,
            args.unique,
            args.generator,
            mix,
            args.database,
        )
        on = "PostgreSQL" if args.database and args.database.startswith("postgres") else "SQLite"
        report(
            f"Service load ({mix}, {on}), {args.clients} clients for {args.seconds:g} s, "
            f"{args.workers} worker(s), assessments {requests} ({machine()})",
            [
                (k, format(v, ",.0f" if "/s" in k or k == "errors" or "1 =" in k else ",.1f"))
                for k, v in figures.items()
            ],
        )


if __name__ == "__main__":
    main()
