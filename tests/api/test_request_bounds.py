"""No request can make the server need more than 1 GiB or take more than 10 s: `distillgov serve`
as a user runs it, sent the heaviest bodies the limits allow and the nastiest shapes, each
timed; the server's peak resident memory is read from /proc afterwards, and it still answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.conftest import _free_port

MEMORY_BYTES = 1 << 30
SECONDS = 10.0
CASE = {
    "assessed_on": "2025-03-01",
    "access": "public_api_within_terms",
    "purpose": "commercial_product",
    "deployment": "commercial",
    "market_relation": "direct_substitute",
}
UNKNOWN = {"assessed_on": "2025-03-01"}  # every fact unknown: the missing-fact analysis runs


def _peak_resident_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")  # pragma: no cover


def _hostile_bodies() -> list[tuple[str, bytes]]:
    limit = 5 * 1024 * 1024 - 1024  # just under the body limit
    deep = b'{"case": ' + b"[" * 200_000 + b"]" * 200_000 + b', "jurisdiction": "us"}'
    wide = json.dumps({"case": {**CASE, "id": "x"}, "jurisdiction": "us", "pad": ["a"] * 600_000})
    long_text = json.dumps(
        {"case": {**CASE, "description": "x" * (limit - 200)}, "jurisdiction": "us"}
    )
    keys = json.dumps({"case": {f"k{i}": i for i in range(250_000)}, "jurisdiction": "us"})
    return [
        ("/api/v1/assessments", deep[:limit]),
        ("/api/v1/assessments", wide.encode()[:limit]),
        ("/api/v1/assessments", long_text.encode()),
        ("/api/v1/assessments", keys.encode()[:limit]),
        (
            "/api/v1/assessments/batch",
            json.dumps({"cases": [CASE] * 1000, "jurisdiction": "us"}).encode(),
        ),
        (
            "/api/v1/assessments/batch",
            json.dumps({"cases": [UNKNOWN] * 1000, "jurisdiction": "cn"}).encode(),
        ),
        (
            "/api/v1/assessments/batch",
            json.dumps(
                {"cases": [{**CASE, "id": "y" * 300}] * 1000, "jurisdiction": "us"}
            ).encode(),
        ),
    ]


def test_no_request_needs_more_than_a_gibibyte_or_ten_seconds(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DISTILLGOV_DATABASE_URL": f"sqlite:///{tmp_path / 'bounds.sqlite'}",
        "DISTILLGOV_RATE_LIMIT": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "distillgov", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "server.log").open("w"),  # a pipe nobody reads would fill
        text=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get("/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
            for path, body in _hostile_bodies():
                start = time.monotonic()
                r = http.post(path, content=body, headers={"content-type": "application/json"})
                took = time.monotonic() - start
                print(f"{path} {len(body):>8} bytes: {r.status_code} in {took:.2f} s")
                assert r.status_code < 500, (path, body[:60], r.status_code, r.text[:300])
                assert took < SECONDS, (path, body[:60], took)
            assert http.get("/api/v1/health").status_code == 200
            peak = _peak_resident_bytes(server.pid)
            print(f"server peak resident memory: {peak / 2**20:.0f} MiB")  # shown with -s
            assert peak < MEMORY_BYTES, f"peak resident memory {peak / 2**20:.0f} MiB"
    finally:
        server.terminate()
        server.wait(timeout=30)
