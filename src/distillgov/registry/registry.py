"""The registry: records checked against what is already registered, logged, and projected."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Engine, text

from distillgov.errors import Conflict, DistillgovError, NotFound
from distillgov.registry import projection
from distillgov.registry.log import APPEND_LOCK, TransparencyLog, log_time
from distillgov.registry.records import (
    KIND_OF,
    Disclosure,
    Model,
    ModelAmendment,
    Organisation,
    Statement,
    _Record,
)
from distillgov.storage.db import reading

MAX_DEPTH = 64  # lineage deeper than this is reported as cut off, which also stops any cycle


class RegistryError(DistillgovError):
    """A record was refused; nothing was written."""


class RecordExists(RegistryError, Conflict):
    """A record with that id is there already (or the one it amends was amended)."""


class UnknownRecord(RegistryError, NotFound):
    """No record, or no model, with that id."""


# A claimed filing date may be a day ahead of the log's UTC clock (a filer east of Greenwich).
CLAIM_AHEAD = 1
# The screen flags a claimed filing date this many days or more from the log's own.
CLAIM_GAP = 7


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _claim_not_ahead(record: _Record, now: str) -> None:
    claimed = getattr(record, "filed_on", None)
    if claimed is None:
        return
    today = dt.date.fromisoformat(now[:10])
    if claimed > today + dt.timedelta(days=CLAIM_AHEAD):
        raise RegistryError(
            f"field 'filed_on', value '{claimed}': after the log's date ({today}); the log "
            "records when it takes a disclosure, and a claimed date cannot be in the future"
        )


# A walk's columns keep one type in both of its terms (PostgreSQL insists).
_DISTILLED = "CAST('distilled' AS VARCHAR(20))"
_BASE = "CAST('base' AS VARCHAR(20))"
_RELATION = "CAST(COALESCE(b.relation, 'derived') AS VARCHAR(40))"


class Registry:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.log = TransparencyLog(engine)
        self._entries: dict[str, int] = {}

    def _exists(self, c: Any, table: str, key: str) -> bool:
        return (
            c.execute(text(f"SELECT 1 FROM {table} WHERE id = :k"), {"k": key}).first() is not None
        )

    def add(self, record: _Record) -> int:
        """Check, log and project one record; returns its log index."""
        return self.add_many([record])[0]

    def add_many(self, records: list[_Record]) -> list[int]:
        """Check, log and project records in one transaction: all are accepted, or none (the
        error names the first refused). Each is checked against those before it."""
        indexes = []
        now = log_time()
        with self.engine.begin() as c:
            for record in records:
                kind = KIND_OF[type(record)]
                getattr(self, f"_check_{kind}")(c, record)
                _claim_not_ahead(record, now)
                data = record.model_dump(mode="json")
                (index,) = self.log.append_in(c, [(kind, data)], now)
                projection.insert(c, projection.rows_of(kind, data, index, now))
                indexes.append(index)
        return indexes

    # --- checks: every refusal names the field, the value and why ---------------------------

    def _refuse(
        self, field: str, value: object, reason: str, kind: type[RegistryError] = RegistryError
    ) -> RegistryError:
        return kind(f"field '{field}', value {value!r}: {reason}")

    def _check_organisation(self, c: Any, r: Organisation) -> None:
        if self._exists(c, "reg_organisations", r.id):
            raise self._refuse(
                "id", r.id, "an organisation with this id is already registered", RecordExists
            )

    def _check_model(self, c: Any, r: Model) -> None:
        if self._exists(c, "reg_models", r.id):
            raise self._refuse(
                "id", r.id, "a model with this id is already registered", RecordExists
            )
        if not self._exists(c, "reg_organisations", r.owner):
            raise self._refuse("owner", r.owner, "no such organisation: register it first")
        for i, b in enumerate(r.base_models):
            if b.model == r.id:
                raise self._refuse(
                    f"base_models[{i}].model", b.model, "a model is not its own base"
                )
            if not self._exists(c, "reg_models", b.model):
                raise self._refuse(
                    f"base_models[{i}].model", b.model, "no such model: register it first"
                )

    def _check_model_amendment(self, c: Any, r: ModelAmendment) -> None:
        if self._exists(c, "reg_model_amendments", r.id):
            raise self._refuse(
                "id", r.id, "an amendment with this id is already filed", RecordExists
            )
        facts = c.execute(
            text("SELECT licence FROM reg_model_facts WHERE id = :m"), {"m": r.model}
        ).first()
        if facts is None:
            raise self._refuse("model", r.model, "no such model: register it first")
        if r.licence is not None and facts[0] is not None:
            raise self._refuse(
                "licence",
                r.licence,
                f"the model's licence is recorded already ({facts[0]!r}); an amendment completes "
                "a record, it does not change it",
            )
        for i, b in enumerate(r.base_models):
            where = f"base_models[{i}].model"
            if b.model == r.model:
                raise self._refuse(where, b.model, "a model is not its own base")
            if not self._exists(c, "reg_models", b.model):
                raise self._refuse(where, b.model, "no such model: register it first")
            if self._derived_from(c, b.model, r.model):
                raise self._refuse(where, b.model, f"it derives from '{r.model}' (a cycle)")
            known = c.execute(
                text("SELECT 1 FROM reg_base_models WHERE model = :m AND base = :b"),
                {"m": r.model, "b": b.model},
            ).first()
            if known is not None:
                raise self._refuse(where, b.model, "already recorded as this model's base")
        named = set(
            c.execute(
                text(
                    "SELECT dataset FROM reg_datasets WHERE model = :m AND (record = :m OR record "
                    "IN (SELECT id FROM reg_model_amendments WHERE model = :m))"
                ),
                {"m": r.model},
            ).scalars()
        )
        for i, d in enumerate(r.datasets):
            if d in named:
                raise self._refuse(f"datasets[{i}]", d, "already recorded for this model")

    def _derived_from(self, c: Any, model: str, ancestor: str) -> bool:
        """Whether `model` is `ancestor` or reaches it through base-model links."""
        found = c.execute(
            text(
                """
                WITH RECURSIVE up(model, depth) AS (
                    SELECT CAST(:m AS VARCHAR(120)), 0
                    UNION
                    SELECT b.base, u.depth + 1 FROM up u JOIN reg_base_models b ON b.model = u.model
                    WHERE u.depth < :limit
                )
                SELECT 1 FROM up WHERE model = :a LIMIT 1
                """
            ),
            {"m": model, "a": ancestor, "limit": MAX_DEPTH},
        ).first()
        return found is not None

    def _check_disclosure(self, c: Any, r: Disclosure) -> None:
        if self._exists(c, "reg_disclosures", r.id):
            raise self._refuse(
                "id", r.id, "a disclosure with this id is already filed", RecordExists
            )
        if r.supersedes is not None:
            old = c.execute(
                text("SELECT student FROM reg_disclosures WHERE id = :k"), {"k": r.supersedes}
            ).first()
            if old is None:
                raise self._refuse("supersedes", r.supersedes, "no such disclosure")
            if old[0] != r.student:
                raise self._refuse(
                    "supersedes", r.supersedes, f"it discloses '{old[0]}', not '{r.student}'"
                )
            newer = c.execute(
                text("SELECT id FROM reg_disclosures WHERE supersedes = :k"), {"k": r.supersedes}
            ).scalar()
            if newer is not None:
                raise self._refuse(
                    "supersedes",
                    r.supersedes,
                    f"already amended by '{newer}': amend that",
                    RecordExists,
                )
        if not self._exists(c, "reg_models", r.student):
            raise self._refuse("student", r.student, "no such model: register it first")
        for i, t in enumerate(r.teachers):
            if not self._exists(c, "reg_models", t.model):
                raise self._refuse(
                    f"teachers[{i}].model", t.model, "no such model: register it first"
                )

    def _check_statement(self, c: Any, r: Statement) -> None:
        if self._exists(c, "reg_statements", r.id):
            raise self._refuse("id", r.id, "a statement with this id is already made", RecordExists)
        about_model = r.kind.value == "suspected_undisclosed_distillation"
        table = "reg_models" if about_model else "reg_disclosures"
        if not self._exists(c, table, r.about):
            raise self._refuse(
                "about", r.about, f"no such {'model' if about_model else 'disclosure'}"
            )
        if not self._exists(c, "reg_organisations", r.by):
            raise self._refuse("by", r.by, "no such organisation")

    # --- projections --------------------------------------------------------------------------

    # --- queries --------------------------------------------------------------------------------

    def entry_of(self, record_id: str) -> int:
        """The log entry of a record. Records are never changed in place, so once found the
        answer is kept."""
        known = self._entries.get(record_id)
        if known is not None:
            return known
        with reading(self.engine) as c:
            found = c.execute(
                text(
                    "SELECT entry FROM reg_disclosures WHERE id = :k UNION ALL "
                    "SELECT entry FROM reg_models WHERE id = :k UNION ALL "
                    "SELECT entry FROM reg_organisations WHERE id = :k UNION ALL "
                    "SELECT entry FROM reg_statements WHERE id = :k UNION ALL "
                    "SELECT entry FROM reg_model_amendments WHERE id = :k"
                ),
                {"k": record_id},
            ).scalar()
        if found is None:
            raise UnknownRecord(f"no record with id '{record_id}'")
        if len(self._entries) >= 65_536:
            self._entries.clear()
        self._entries[record_id] = int(found)
        return int(found)

    def prove(self, record_id: str, at_size: int | None = None) -> dict[str, Any]:
        """A record's proof bundle, its entry checked to be that record's."""
        bundle: dict[str, Any] = self.log.prove(self.entry_of(record_id), at_size, record_id)
        return bundle

    def verify_projections(self, bodies: list[bytes] | None = None) -> list[str]:
        """Every row of the tables queries read that is not what the log gives (missing, extra
        or changed), each named; empty when they agree. `bodies`: the log's entries as the
        log's own check read them (TransparencyLog.verify), else they are read again."""
        with reading(self.engine) as c:
            return projection.check(c, bodies)

    def rebuild(self) -> dict[str, int]:
        """Recreate the projected tables from the log alone (one transaction); the rows written
        or removed, by table."""
        with self.engine.begin() as c:
            if c.dialect.name == "postgresql":  # no append lands while the tables are rebuilt
                c.execute(text(APPEND_LOCK))
            done = projection.rebuild(c)
        self._entries.clear()
        return done

    def show(self, record_id: str) -> dict[str, Any]:
        """A record's log entry, decoded."""
        index = self.entry_of(record_id)
        with reading(self.engine) as c:
            body = c.execute(
                text("SELECT body FROM log_entries WHERE idx = :i"), {"i": index}
            ).scalar_one()
        entry: dict[str, Any] = json.loads(body)
        return entry

    def lineage(
        self,
        model: str,
        direction: str = "ancestors",
        depth: int | None = None,
        bases: bool = False,
    ) -> list[dict[str, Any]]:
        """Every model reachable through the current disclosures' edges, with its depth (up to
        `depth` steps, at most MAX_DEPTH); with `bases`, through base-model links too (a
        fine-tune, adapter, merge or quantisation of its starting weights). Each row says how it
        was reached: `link` is "distilled" (then `signal` is the disclosed signal) or "base"
        (then `signal` is the card's relation, or "derived" where it names none).

        One recursive query that runs unchanged on SQLite and PostgreSQL; the depth bound makes it
        stop on a cycle, and only the shortest depth of each model is kept."""
        limit = MAX_DEPTH if depth is None else min(depth, MAX_DEPTH)
        if limit < 1:
            raise RegistryError(f"field 'depth', value {depth}: must be at least 1")
        up = direction == "ancestors"
        near, far = ("student", "teacher") if up else ("teacher", "student")
        b_near, b_far = ("model", "base") if up else ("base", "model")
        # Only the edges of current disclosures (not superseded by an amendment). Each step
        # joins on the walked column, so its index is used instead of a scan of every edge.
        current = "NOT EXISTS (SELECT 1 FROM reg_disclosures d WHERE d.supersedes = e.disclosure)"
        distilled = (
            f"SELECT e.{far}, e.{near}, e.signal, {_DISTILLED}, w.depth + 1 "
            f"FROM walk w JOIN reg_edges e ON e.{near} = w.model "
            f"WHERE w.depth < :limit AND {current}"
        )
        steps = distilled
        if bases and self.engine.dialect.name == "postgresql":
            # PostgreSQL allows one reference to the walk in its recursive term: both kinds of
            # link in one lateral subquery, each still found by its index.
            steps = (
                "SELECT l.far, l.near, l.signal, l.link, w.depth + 1 FROM walk w CROSS JOIN "
                f"LATERAL (SELECT e.{far} AS far, e.{near} AS near, e.signal AS signal, "
                f"{_DISTILLED} AS link FROM reg_edges e WHERE e.{near} = w.model AND {current} "
                f"UNION ALL SELECT b.{b_far}, b.{b_near}, {_RELATION}, {_BASE} "
                f"FROM reg_base_models b WHERE b.{b_near} = w.model) l WHERE w.depth < :limit"
            )
        elif bases:  # SQLite (3.34 and later) takes a recursive term of several SELECTs
            steps += (
                f" UNION SELECT b.{b_far}, b.{b_near}, {_RELATION}, {_BASE}, "
                f"w.depth + 1 FROM walk w JOIN reg_base_models b ON b.{b_near} = w.model "
                "WHERE w.depth < :limit"
            )
        with reading(self.engine) as c:
            if not self._exists(c, "reg_models", model):
                raise UnknownRecord(f"no model with id '{model}'")
            rows = c.execute(
                text(
                    f"""
                    WITH RECURSIVE walk(model, parent, signal, link, depth) AS (
                        SELECT CAST(:m AS VARCHAR(120)), CAST(NULL AS VARCHAR(120)),
                               CAST(NULL AS VARCHAR(40)), CAST(NULL AS VARCHAR(20)), 0
                        UNION
                        {steps}
                    )
                    SELECT model, parent, signal, link, MIN(depth) FROM walk
                    WHERE model <> :m GROUP BY model, parent, signal, link
                    ORDER BY MIN(depth), model
                    """
                ),
                {"m": model, "limit": limit},
            ).all()
        return [
            {"model": r[0], "via": r[1], "signal": r[2], "link": r[3], "depth": int(r[4])}
            for r in rows
        ]

    def path(self, start: str, goal: str) -> list[dict[str, Any]] | None:
        """The shortest chain of distillation edges between two models, in either direction
        (start learnt from ... goal, or goal learnt from ... start); None if they are unrelated."""
        for direction in ("ancestors", "descendants"):
            rows = self.lineage(start, direction)
            best: dict[str, dict[str, Any]] = {}
            for r in rows:  # rows come ordered by depth: the first seen is the shortest
                best.setdefault(r["model"], r)
            if goal in best:
                chain, at = [], goal
                while at != start:
                    step = best[at]
                    chain.append(step)
                    at = step["via"]
                return [{**step, "direction": direction} for step in reversed(chain)]
        return None

    def screen(self) -> list[dict[str, Any]]:
        """Registry-wide findings: late disclosures (by the log's time of filing), claimed filing
        dates far from it, disputed disclosures, models suspected of undisclosed distillation
        without a disclosure, and one weights digest with conflicting lineages."""
        current = "NOT EXISTS (SELECT 1 FROM reg_disclosures n WHERE n.supersedes = d.id)"
        with reading(self.engine) as c:
            late = c.execute(
                text(
                    f"SELECT d.id, d.student, d.filed_on, d.commercial_release_date, d.logged_on "
                    f"FROM reg_disclosures d WHERE d.late AND {current} ORDER BY d.id"
                )
            ).all()
            claims = c.execute(
                text(
                    "SELECT d.id, d.filed_on, d.logged_on FROM reg_disclosures d "
                    "WHERE d.logged_on IS NOT NULL ORDER BY d.id"
                )
            ).all()
            disputed = c.execute(
                text(
                    "SELECT s.id, s.about, s.by_org FROM reg_statements s "
                    "WHERE s.kind = 'dispute' ORDER BY s.id"
                )
            ).all()
            suspected = c.execute(
                text(
                    "SELECT s.id, s.about, s.by_org FROM reg_statements s "
                    "WHERE s.kind = 'suspected_undisclosed_distillation' AND NOT EXISTS "
                    "(SELECT 1 FROM reg_disclosures d WHERE d.student = s.about) ORDER BY s.id"
                )
            ).all()
            undisclosed = c.execute(
                text(
                    "SELECT m.id, m.owner FROM reg_model_facts m "
                    "WHERE m.card_declares_distillation AND NOT EXISTS "
                    "(SELECT 1 FROM reg_disclosures d WHERE d.student = m.id) "
                    "ORDER BY m.id"
                )
            ).all()
            digests = c.execute(
                text(
                    f"SELECT m.weights_digest, m.id, e.teacher FROM reg_models m "
                    f"JOIN reg_disclosures d ON d.student = m.id AND {current} "
                    f"JOIN reg_edges e ON e.disclosure = d.id "
                    f"WHERE m.weights_digest IS NOT NULL ORDER BY m.weights_digest, m.id, e.teacher"
                )
            ).all()
        out: list[dict[str, Any]] = [
            {
                "finding": "late_disclosure",
                "disclosure": r[0],
                "student": r[1],
                "filed_on": str(r[2]),
                "logged_on": None if r[4] is None else str(r[4]),
                "commercial_release_date": str(r[3]),
            }
            for r in late
        ]
        for disclosure, claimed, logged in claims:
            gap = (_day(logged) - _day(claimed)).days
            if abs(gap) >= CLAIM_GAP:
                out.append(
                    {
                        "finding": "claimed_date_far_from_log_time",
                        "disclosure": disclosure,
                        "filed_on": str(claimed)[:10],
                        "logged_on": str(logged)[:10],
                        "days_apart": gap,
                    }
                )
        out += [
            {"finding": "disputed", "statement": r[0], "disclosure": r[1], "by": r[2]}
            for r in disputed
        ]
        out += [
            {
                "finding": "suspected_undisclosed_distillation",
                "statement": r[0],
                "model": r[1],
                "by": r[2],
            }
            for r in suspected
        ]
        out += [
            {
                "finding": "card_declares_distillation_without_disclosure",
                "model": r[0],
                "owner": r[1],
            }
            for r in undisclosed
        ]
        lineages: dict[str, dict[str, set[str]]] = {}
        for digest, model, teacher in digests:
            lineages.setdefault(digest, {}).setdefault(model, set()).add(teacher)
        for digest, by_model in lineages.items():
            if len({frozenset(t) for t in by_model.values()}) > 1:
                out.append(
                    {
                        "finding": "conflicting_lineage",
                        "weights_digest": digest,
                        "models": {m: sorted(t) for m, t in sorted(by_model.items())},
                    }
                )
        return out

    def watch(self, teacher: str, since: int = 0) -> list[dict[str, Any]]:
        """Every disclosure naming a teacher, logged at or after entry `since`, with its proof."""
        with reading(self.engine) as c:
            if not self._exists(c, "reg_models", teacher):
                raise UnknownRecord(f"no model with id '{teacher}'")
            rows = c.execute(
                text(
                    "SELECT d.id, d.student, e.signal, d.entry FROM reg_edges e "
                    "JOIN reg_disclosures d ON d.id = e.disclosure "
                    "WHERE e.teacher = :t AND d.entry >= :since ORDER BY d.entry"
                ),
                {"t": teacher, "since": since},
            ).all()
        return [
            {
                "disclosure": r[0],
                "student": r[1],
                "signal": r[2],
                "entry": int(r[3]),
                "proof": self.log.prove(int(r[3]), record=str(r[0])),
            }
            for r in rows
        ]
