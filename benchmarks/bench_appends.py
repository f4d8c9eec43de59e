"""How appends to the transparency log are best serialised across processes on PostgreSQL: P
processes each append E entries, one transaction each (as disclosures arrive through the API),
under each way of keeping the log linear:

- `table`: `LOCK TABLE log_entries IN EXCLUSIVE MODE` for the transaction (what the log does);
- `advisory`: `pg_advisory_xact_lock` on a fixed key;
- `optimistic`: no lock; the index is the primary key, so a writer that read a stale size fails
  with a unique violation and tries again.

Each run ends with the log verified (no index twice, every link holding). Figures: appends per
second over all processes, and retries for `optimistic`.

Run: .venv/bin/python -m benchmarks.bench_appends [--processes 2] [--entries 500]
     [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
import uuid

from benchmarks.common import machine, report

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STRATEGIES = {
    "table": "LOCK TABLE log_entries IN EXCLUSIVE MODE",
    "advisory": "SELECT pg_advisory_xact_lock(7346)",
    "optimistic": "SELECT 1",
}


def _append(url: str, strategy: str, entries: int, worker: int, retries: object) -> None:
    from sqlalchemy.exc import IntegrityError

    from distillgov.registry import log as log_module
    from distillgov.registry.records import Organisation
    from distillgov.registry.registry import Registry
    from distillgov.storage.db import connect

    log_module.APPEND_LOCK = STRATEGIES[strategy]  # this process only: the benchmark's knob
    reg = Registry(connect(url))
    tried = 0
    for n in range(entries):
        while True:
            try:
                reg.add(Organisation(id=f"org-{worker}-{n}", name=f"Org {worker} {n}"))
                break
            except IntegrityError:  # another process took the index: read the size again
                tried += 1
    retries.value += tried  # type: ignore[attr-defined]


def run(processes: int = 2, entries: int = 500, database: str = PG) -> dict[str, float]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy import create_engine, text

    from distillgov.registry.registry import Registry
    from distillgov.storage.db import connect, migrate

    figures: dict[str, float] = {}
    admin = create_engine(database)
    context = multiprocessing.get_context("spawn")
    for strategy in STRATEGIES:
        schema = f"appends_{uuid.uuid4().hex[:10]}"
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{database}?options=-csearch_path%3D{schema}"
        try:
            engine = connect(url)
            migrate(engine)
            Registry(engine).log.initialise("appends.example/log", Ed25519PrivateKey.generate())
            retries = context.Value("q", 0)
            workers = [
                context.Process(target=_append, args=(url, strategy, entries, w, retries))
                for w in range(processes)
            ]
            started = time.perf_counter()
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            seconds = time.perf_counter() - started
            assert all(w.exitcode == 0 for w in workers), f"{strategy}: a writer failed"
            log = Registry(engine).log
            assert log.size() == processes * entries and log.verify() is None, strategy
            figures[f"{strategy}: appends per second"] = processes * entries / seconds
            if strategy == "optimistic":
                figures["optimistic: retries"] = float(retries.value)
            engine.dispose()
        finally:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--database", default=PG)
    args = parser.parse_args()
    figures = run(args.processes, args.entries, args.database)
    report(
        f"Log appends from {args.processes} processes, {args.entries} each, one transaction "
        f"each, PostgreSQL ({machine()})",
        [(k, format(v, ",.0f")) for k, v in figures.items()],
    )


if __name__ == "__main__":
    main()
