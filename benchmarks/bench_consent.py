"""A distiller's consent check: a manifest of N items over 1,000 sites, each with its captured
robots.txt (AI preferences, Content Signals, AI-crawler groups) and tdmrep.json, a quarter of
the items with response headers, against a register of 10,000 reservations (target: 1,000,000
items in <= 60 s and <= 500 MB on this machine).

The check runs in a child process, so its peak memory (ru_maxrss) is its own.

Run: .venv/bin/python -m benchmarks.bench_consent [--items N]
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import main_for

SITES = 1_000
RESERVATIONS = 10_000

ROBOTS = [
    "User-agent: *\nAllow: /\nContent-Usage: train-ai=n, search=y\n"
    "Content-Usage: /open/ train-ai=y\n",
    "User-agent: *\nDisallow: /private/\nContent-Signal: search=yes, ai-train=no\n\n"
    "User-agent: GPTBot\nUser-agent: CCBot\nDisallow: /\n",
    "User-agent: *\nAllow: /\n",
    "User-agent: Googlebot\nAllow: /\n\nUser-agent: *\nDisallow: /tmp/\nContent-Usage: search=y\n",
]
TDM = [
    [{"location": "/open/", "tdm-reservation": 0}, {"location": "/", "tdm-reservation": 1}],
    [{"location": "/archive/*.pdf", "tdm-reservation": 1}],
]


def build(folder: Path, items: int) -> Path:
    rng = random.Random(20261201)
    (folder / "sites").mkdir()
    for s in range(SITES):
        (folder / "sites" / f"{s}.robots.txt").write_text(ROBOTS[s % len(ROBOTS)])
        (folder / "sites" / f"{s}.tdmrep.json").write_text(json.dumps(TDM[s % len(TDM)]))
    manifest = folder / "manifest.jsonl"
    paths = ["/", "/open/data.csv", "/private/x", "/archive/a.pdf", "/2026/story", "/tmp/y"]
    with manifest.open("w") as f:
        for i in range(items):
            s = rng.randrange(SITES)
            row: dict[str, object] = {
                "url": f"https://site{s}.example{rng.choice(paths)}?i={i}",
                "captured_at": "2026-11-20",
                "robots": f"sites/{s}.robots.txt",
                "tdmrep": f"sites/{s}.tdmrep.json",
            }
            if i % 4 == 0:
                row["headers"] = {
                    "Content-Usage": rng.choice(["train-ai=n", "train-ai=y", "search=y"])
                }
            if i % 10 == 0:
                row["work"] = f"isbn:{rng.randrange(RESERVATIONS * 2)}"
            f.write(json.dumps(row) + "\n")
    return manifest


def _register_database(folder: Path, reservations: int) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from distillgov.consent import register
    from distillgov.registry.records import Organisation
    from distillgov.registry.registry import Registry
    from distillgov.storage.db import open_database

    url = f"sqlite:///{folder / 'register.sqlite'}"
    engine = open_database(url)
    reg = Registry(engine)
    reg.log.initialise("bench.example/log", Ed25519PrivateKey.generate())
    reg.add(Organisation(id="publisher", name="Publisher"))
    day = dt.date(2026, 11, 1)
    for i in range(reservations):
        scope = [{"kind": "work", "value": f"isbn:{i}"}]
        if i % 10 == 0:
            scope.append(
                {"kind": "url_pattern", "value": f"https://site{i % SITES}.example/2026/*"}
            )
        form = register.parse_reservation({"id": f"r{i}", "holder": "publisher", "scope": scope})
        register.file_reservation(engine, reg.log, form, "publisher", day)
    engine.dispose()
    return url


CHILD = """
import json, resource, sys, time
from pathlib import Path
from distillgov.consent import manifest, register
from distillgov.storage.db import open_database
start = time.perf_counter()
index = register.load_index(open_database(sys.argv[1]))
with open(sys.argv[3], "w") as out:
    summary = manifest.check(Path(sys.argv[2]), index, out, "csv", workers=int(sys.argv[4]))
seconds = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
figures = {"seconds": seconds, "own_mb": own, "worker_mb": worker, "items": summary["items"]}
print(json.dumps(figures))
"""


def run(
    items: int = 1_000_000, workers: int | None = None, reservations: int = RESERVATIONS
) -> dict[str, float]:
    import os

    workers = workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        manifest = build(folder, items)
        url = _register_database(folder, reservations)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", CHILD, url, str(manifest), str(folder / "report.csv"),
             str(workers)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        wall = time.perf_counter() - started
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        assert figures["items"] == items, figures
    return {
        "check, register loaded and every item written (s)": figures["seconds"],
        "items per second": items / figures["seconds"],
        # The sum of every process's peak: an upper bound (forked workers share pages).
        "peak memory, parent + workers (MB)": figures["own_mb"] + workers * figures["worker_mb"],
        "workers": float(workers),
        "wall time with interpreter start (s)": wall,
    }


def title(n: int) -> str:
    return f"Consent check, {n:,} items, {SITES:,} sites, {RESERVATIONS:,} reservations"


def main() -> None:
    main_for(__doc__, "items", 1_000_000, run, title, ".1f")


if __name__ == "__main__":
    main()
