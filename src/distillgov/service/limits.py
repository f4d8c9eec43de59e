"""Rate limits and the anonymous quota, held in common by every server on one database.

Each server decides at once from its own copy of a client's allowance, and a thread exchanges
the copies with the database every `every` seconds (`Sharing`): what this server granted since
the last exchange is added to the client's row, and every row any server changed since the last
exchange is read back. A request never waits for the database to be limited, and a client spread
over several servers is held to one allowance; between two exchanges it may get ahead by what
the other servers granted it in that interval (at most the rate times the interval on each).
Without the thread (an app object only built, never served) the limits are the process's own.
See docs/operations.md and interpretation 94.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, Engine, text

from distillgov.errors import RateLimited
from distillgov.storage.db import WriteGate


class Shared(Protocol):
    def share(self, c: Connection, now: float, since: float) -> None: ...


@dataclass
class _Bucket:
    tokens: float  # as of `at`
    at: float
    unshared: int = 0  # spent here since the last exchange


def _smaller(c: Connection) -> tuple[str, str]:
    """The two-argument minimum and maximum in the connection's SQL."""
    return ("MIN", "MAX") if c.dialect.name == "sqlite" else ("LEAST", "GREATEST")


class RateLimiter:
    """A token bucket per client (token, else address): `rate` requests a second on average,
    bursts up to `burst`. Zero rate turns it off."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        if self.rate <= 0:
            return
        now = time.time()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                bucket = self._buckets[client] = _Bucket(float(self.burst), now)
            tokens = min(float(self.burst), bucket.tokens + max(0.0, now - bucket.at) * self.rate)
            bucket.tokens, bucket.at = tokens, max(now, bucket.at)
            if tokens < 1:
                wait = (1 - tokens) / self.rate
                raise RateLimited(
                    f"more than {self.rate:g} requests a second; retry in {wait:.1f} s",
                    max(1, round(wait)),
                )
            bucket.tokens -= 1
            bucket.unshared += 1

    def share(self, c: Connection, now: float, since: float) -> None:
        """Add what this server granted since the last exchange to each client's row, then
        read back every row any server changed since `since`."""
        if self.rate <= 0:
            return
        with self._lock:
            sent = {k: b.unshared for k, b in self._buckets.items() if b.unshared}
            for client in sent:
                self._buckets[client].unshared = 0
            # A client idle long enough to have a full bucket again needs no copy here.
            idle = [k for k, b in self._buckets.items() if now - b.at > self.burst / self.rate]
            for client in idle:
                del self._buckets[client]
        least, most = _smaller(c)
        upsert = text(
            "INSERT INTO svc_rate_buckets (client, tokens, updated_at) "
            "VALUES (:c, :burst - :spent, :now) ON CONFLICT (client) DO UPDATE SET "
            f"tokens = {most}(-:burst, {least}(:burst, svc_rate_buckets.tokens + "
            f"{most}(0, :now - svc_rate_buckets.updated_at) * :rate) - :spent), "
            f"updated_at = {most}(svc_rate_buckets.updated_at, :now)"
        )
        common = {"burst": float(self.burst), "now": now, "rate": self.rate}
        for client, spent in sent.items():
            c.execute(upsert, {**common, "c": client, "spent": spent})
        changed = c.execute(
            text("SELECT client, tokens, updated_at FROM svc_rate_buckets WHERE updated_at >= :s"),
            {"s": since},
        ).all()
        with self._lock:
            for client, tokens, at in changed:
                bucket = self._buckets.setdefault(str(client), _Bucket(float(tokens), float(at)))
                # Every server's grants up to the exchange, less what this one granted since.
                bucket.tokens, bucket.at = float(tokens) - bucket.unshared, float(at)
        c.execute(
            text("DELETE FROM svc_rate_buckets WHERE updated_at < :old"),
            {"old": now - max(3600.0, 2 * self.burst / self.rate)},
        )


class AnonymousQuota:
    """How many decisions one address may have logged without an account, per UTC day, so that
    strangers cannot grow the decision log without bound. Zero turns it off."""

    def __init__(self, per_day: int) -> None:
        self.per_day = per_day
        self._day = dt.date.min
        self._used: dict[str, int] = {}  # every server's, as of the last exchange, plus ours since
        self._unshared: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, client: str, now: dt.datetime | None = None) -> None:
        if self.per_day <= 0:
            return
        moment = now or dt.datetime.now(dt.UTC)
        with self._lock:
            if moment.date() != self._day:
                self._day, self._used, self._unshared = moment.date(), {}, {}
            used = self._used.get(client, 0)
            if used >= self.per_day:
                midnight = dt.datetime.combine(
                    moment.date() + dt.timedelta(days=1), dt.time(), dt.UTC
                )
                wait = max(1, int((midnight - moment).total_seconds()))
                raise RateLimited(
                    f"{self.per_day} assessments a day without an account from one address: "
                    "sign in with an API token, or try again tomorrow (UTC)",
                    wait,
                )
            self._used[client] = used + 1
            self._unshared[client] = self._unshared.get(client, 0) + 1

    def share(self, c: Connection, now: float, since: float) -> None:
        if self.per_day <= 0:
            return
        with self._lock:
            day, sent, self._unshared = self._day, self._unshared, {}
        if day == dt.date.min:  # nothing asked yet
            day = dt.datetime.fromtimestamp(now, dt.UTC).date()
        upsert = text(
            "INSERT INTO svc_quota_use (day, client, used, updated_at) VALUES (:d, :c, :n, :t) "
            "ON CONFLICT (day, client) DO UPDATE SET used = svc_quota_use.used + :n, "
            "updated_at = :t"
        )
        for client, n in sent.items():
            c.execute(upsert, {"d": day, "c": client, "n": n, "t": now})
        changed = c.execute(
            text("SELECT client, used FROM svc_quota_use WHERE day = :d AND updated_at >= :s"),
            {"d": day, "s": since},
        ).all()
        with self._lock:
            if self._day in (day, dt.date.min):
                self._day = day
                for client, used in changed:
                    self._used[str(client)] = int(used) + self._unshared.get(str(client), 0)
        c.execute(
            text("DELETE FROM svc_quota_use WHERE day < :old"), {"old": day - dt.timedelta(days=2)}
        )


CLOCK_MARGIN = 2.0  # seconds: how far apart the servers' clocks may be


class Sharing:
    """The thread that exchanges the limits' state with the database every `every` seconds;
    `stop` makes a last exchange, so that what this server granted is not forgotten."""

    def __init__(self, engine: Engine, parts: list[Shared], every: float = 0.25) -> None:
        self.engine, self.parts, self.every = engine, parts, every
        self._gate = WriteGate(engine)
        self._stopping = threading.Event()
        self.failures = 0
        self._since = 0.0
        self._thread = threading.Thread(target=self._run, name="limits-sharing", daemon=True)

    def start(self) -> Sharing:
        self._thread.start()
        return self

    def exchange(self) -> None:
        with self._gate, self.engine.begin() as c:
            if c.dialect.name == "postgresql":  # losing the last exchange in a crash is harmless
                c.execute(text("SET LOCAL synchronous_commit TO OFF"))
            now = time.time()
            for part in self.parts:
                part.share(c, now, self._since)
        # Rows changed by a server whose clock is behind ours, or whose exchange committed
        # after ours began, are read again next time: the window overlaps by a margin.
        self._since = now - self.every - CLOCK_MARGIN

    def _run(self) -> None:
        while not self._stopping.wait(self.every):
            try:
                self.exchange()
            except Exception:  # the database away for a moment: the limits go on locally
                self.failures += 1

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        try:
            self.exchange()
        except Exception:
            self.failures += 1
