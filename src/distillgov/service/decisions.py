"""The decision log: every assessment served is kept under a decision id with its input, its
output, the rules version and the profile's hash, so it can be read and re-checked later.

Inputs and outputs are stored once per distinct content (`svc_documents`, keyed by the SHA-256 of
the JSON), and a decision refers to them by hash: the same question asked a thousand times is a
thousand 150-byte rows, not a thousand copies of a 14 KB determination. A determination depends
only on the request, the profile and the day, so the answer to a request already seen is served
from memory (`Answers`) instead of being assessed and encoded again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import time
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, text

from distillgov.errors import NotFound
from distillgov.framework import plain
from distillgov.service.metrics import DECISION_BATCH, DECISION_BATCH_SIZE, DECISION_QUEUE
from distillgov.storage.db import WriteGate, reading

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class UnknownDecision(NotFound):
    """No decision with that id in the log."""


class Bounded(Generic[K, V]):
    """A dict that forgets its least recently used entries beyond `size`. Only for what can be
    made again (answers) or looked up again (which documents are stored)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def packed(data: bytes) -> bytes:
    """Documents are kept zlib-compressed: a determination's 14 KB of JSON becomes about 3 KB."""
    return zlib.compress(data, 1)


@dataclass(frozen=True)
class Answer:
    """A determination as served: its canonical JSON and that JSON's hash, and what it was
    made with."""

    canonical: str
    output_hash: str
    framework_version: str
    profile_id: str
    profile_hash: str
    assessed_on: dt.date
    headline: str = ""  # the outcome in plain words (framework/plain.yaml)

    @classmethod
    def of(cls, determination: Any, profile: Any, day: dt.date) -> Answer:
        canonical: str = determination.to_json()
        d = determination
        return cls(
            canonical,
            digest(canonical.encode()),
            determination.framework_version,
            profile.id,
            profile.content_hash,
            day,
            plain.headline(d.category, d.rule, d.compliant, d.royalty),
        )


@dataclass(frozen=True)
class Decision:
    id: str
    created_at: dt.datetime
    framework_version: str
    profile_id: str
    profile_hash: str
    assessed_on: dt.date
    input_hash: str
    output_hash: str

    def row(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.created_at,
            self.framework_version,
            self.profile_id,
            self.profile_hash,
            self.assessed_on,
            self.input_hash,
            self.output_hash,
        )


class Answers(Bounded[tuple[str, dt.date], Answer]):
    """Answers by (request hash, today): a determination depends only on the request, the
    profile, the day (the request's, else the case's, else today) and the rules; the rules and
    the built-in profiles are fixed for the life of the process. A request seen before is
    answered without being parsed into a case again."""


_Waiting = tuple[Decision, dict[str, bytes], "asyncio.Future[None]"]


class DecisionLog:
    """Decisions are written in batches — one transaction, one flush to disk, for every decision
    that arrived while the previous batch was being written — and each request waits until its
    own is committed: nothing is answered before it is durable, and the disk is not asked to
    flush per request. One batch at a time is written, by a thread of its own, so the event
    loop goes on serving while the disk flushes; loop and thread meet once a batch, not once a
    request."""

    def __init__(self, engine: Engine, remember: int = 65_536) -> None:
        self.engine = engine
        self._gate = WriteGate(engine)
        self._stored = Bounded[str, bool](remember)  # documents known to be committed
        self._pending: dict[asyncio.AbstractEventLoop, list[_Waiting]] = {}
        self._writing: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="decision-log")
        self._raw: Any = None

    async def record(self, decision: Decision, documents: dict[str, bytes]) -> None:
        """Store a decision and the documents it refers to (hash → uncompressed JSON), each
        only if not known to be stored already; return once committed."""
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()
        new = {h: body for h, body in documents.items() if h not in self._stored}
        self._pending.setdefault(loop, []).append((decision, new, committed))
        DECISION_QUEUE.inc()
        if loop not in self._writing:
            self._writing[loop] = loop.create_task(self._drain(loop))
        try:
            await committed
        finally:
            DECISION_QUEUE.dec()

    async def close(self) -> None:
        """Wait until every decision handed to the log has been written (or has failed): a
        server stopping calls this after its last request, before it exits."""
        task = self._writing.get(asyncio.get_running_loop())
        if task is not None:
            await asyncio.shield(task)

    async def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while batch := self._pending.pop(loop, None):
                documents = {h: body for _, docs, _ in batch for h, body in docs.items()}
                rows = [decision.row() for decision, _, _ in batch]
                started = time.perf_counter()
                failure = await loop.run_in_executor(self._writer, self._write, rows, documents)
                DECISION_BATCH.observe(time.perf_counter() - started)
                DECISION_BATCH_SIZE.observe(len(rows))
                if failure is None:
                    for h in documents:
                        self._stored.put(h, True)
                for _, _, future in batch:
                    if future.done():
                        continue
                    if failure is None:
                        future.set_result(None)
                    else:  # every waiting request gets the failure, none is lost
                        future.set_exception(failure)
        finally:
            self._writing.pop(loop, None)

    def _write(self, rows: list[tuple[Any, ...]], documents: dict[str, bytes]) -> Exception | None:
        """One transaction on the writer's own driver connection. Straight through the driver,
        one statement a table (per 500 rows): SQLAlchemy's few hundred microseconds of Python a
        transaction, and a step through the driver per row, each had this thread take the
        interpreter lock back from a busy event loop (measured: docs/performance.md)."""
        sqlite = self.engine.dialect.name == "sqlite"
        try:
            with self._gate:
                if self._raw is None:
                    self._raw = self.engine.raw_connection()  # kept: this thread's alone
                cursor = self._raw.cursor()
                try:
                    if sqlite:  # the connection is in autocommit mode: begin, take the lock
                        cursor.execute("BEGIN IMMEDIATE")
                    stored = [(h, packed(body)) for h, body in documents.items()]
                    statements = _inserts(
                        "svc_documents (hash, body)", stored, sqlite, "ON CONFLICT DO NOTHING"
                    ) + _inserts(
                        "svc_decisions (id, created_at, framework_version, profile_id, "
                        "profile_hash, assessed_on, input_hash, output_hash)",
                        rows,
                        sqlite,
                    )
                    for sql, params in statements:
                        cursor.execute(sql, params)
                    if sqlite:
                        cursor.execute("COMMIT")
                    else:
                        self._raw.commit()
                except BaseException:
                    try:
                        self._raw.rollback()
                    except Exception:  # the connection itself failed: the next batch opens one
                        broken, self._raw = self._raw, None
                        broken.invalidate()
                    raise
        except Exception as exc:
            return exc
        return None


def _inserts(
    into: str, rows: list[tuple[Any, ...]], sqlite: bool, then: str = ""
) -> list[tuple[str, tuple[Any, ...]]]:
    """`INSERT INTO {into} VALUES (...), (...) {then}` statements, 500 rows at most each."""
    mark = "?" if sqlite else "%s"
    statements = []
    for at in range(0, len(rows), 500):
        chunk = rows[at : at + 500]
        one = "(" + ", ".join([mark] * len(chunk[0])) + ")"
        sql = f"INSERT INTO {into} VALUES {', '.join([one] * len(chunk))} {then}".rstrip()
        statements.append((sql, tuple(v for row in chunk for v in row)))
    return statements


def uuid7(now_ns: int | None = None) -> uuid.UUID:
    """A version 7 UUID (RFC 9562, section 5.7): 48 bits of Unix milliseconds, then 74 random
    bits. Decision ids sort by the time they were made, so each batch of new decisions lands at
    the end of the id index instead of on a random page of it (CPython 3.11 has no uuid7)."""
    ms = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    value = (ms & (1 << 48) - 1) << 80 | int.from_bytes(os.urandom(10)) & ((1 << 80) - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # the RFC 9562 variant
    return uuid.UUID(int=value)


def new_decision(answer: Answer, input_hash: str) -> Decision:
    return Decision(
        id=str(uuid7()),
        created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        framework_version=answer.framework_version,
        profile_id=answer.profile_id,
        profile_hash=answer.profile_hash,
        assessed_on=answer.assessed_on,
        input_hash=input_hash,
        output_hash=answer.output_hash,
    )


def read(engine: Engine, decision_id: str) -> dict[str, Any]:
    """A logged decision with its input and output, as they were stored."""
    with reading(engine) as c:
        row = c.execute(
            text(
                "SELECT d.created_at, d.framework_version, d.profile_id, d.profile_hash, "
                "d.assessed_on, i.body, o.body FROM svc_decisions d "
                "JOIN svc_documents i ON i.hash = d.input_hash "
                "JOIN svc_documents o ON o.hash = d.output_hash WHERE d.id = :i"
            ),
            {"i": decision_id},
        ).first()
    if row is None:
        raise UnknownDecision(f"no decision '{decision_id}'")
    return {
        "decision_id": decision_id,
        "created_at": str(row[0]),
        "framework_version": row[1],
        "profile_id": row[2],
        "profile_hash": row[3],
        "assessed_on": str(row[4]),
        "input": json.loads(zlib.decompress(bytes(row[5]))),
        "output": json.loads(zlib.decompress(bytes(row[6]))),
    }
