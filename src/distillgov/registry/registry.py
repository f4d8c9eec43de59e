"""The registry: records checked against what is already registered, logged, and projected."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, text

from distillgov.errors import DistillgovError
from distillgov.registry.log import TransparencyLog
from distillgov.registry.records import Disclosure, Model, Organisation, Statement, _Record

MAX_DEPTH = 64  # lineage deeper than this is reported as cut off, which also stops any cycle


class RegistryError(DistillgovError):
    """A record was refused; nothing was written."""


class Registry:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.log = TransparencyLog(engine)

    def _exists(self, c: Any, table: str, key: str) -> bool:
        return (
            c.execute(text(f"SELECT 1 FROM {table} WHERE id = :k"), {"k": key}).first() is not None
        )

    def add(self, record: _Record) -> int:
        """Check, log and project one record; returns its log index."""
        with self.engine.begin() as c:
            kind = type(record).__name__.lower()
            check = getattr(self, f"_check_{kind}")
            check(c, record)
            (index,) = self.log.append_in(c, [(kind, record.model_dump(mode="json"))])
            getattr(self, f"_project_{kind}")(c, record, index)
        return index

    # --- checks: every refusal names the field, the value and why ---------------------------

    def _refuse(self, field: str, value: object, reason: str) -> RegistryError:
        return RegistryError(f"field '{field}', value {value!r}: {reason}")

    def _check_organisation(self, c: Any, r: Organisation) -> None:
        if self._exists(c, "reg_organisations", r.id):
            raise self._refuse("id", r.id, "an organisation with this id is already registered")

    def _check_model(self, c: Any, r: Model) -> None:
        if self._exists(c, "reg_models", r.id):
            raise self._refuse("id", r.id, "a model with this id is already registered")
        if not self._exists(c, "reg_organisations", r.owner):
            raise self._refuse("owner", r.owner, "no such organisation: register it first")

    def _check_disclosure(self, c: Any, r: Disclosure) -> None:
        if self._exists(c, "reg_disclosures", r.id):
            raise self._refuse("id", r.id, "a disclosure with this id is already filed")
        if not self._exists(c, "reg_models", r.student):
            raise self._refuse("student", r.student, "no such model: register it first")
        for i, t in enumerate(r.teachers):
            if not self._exists(c, "reg_models", t.model):
                raise self._refuse(
                    f"teachers[{i}].model", t.model, "no such model: register it first"
                )

    def _check_statement(self, c: Any, r: Statement) -> None:
        if self._exists(c, "reg_statements", r.id):
            raise self._refuse("id", r.id, "a statement with this id is already made")
        if not self._exists(c, "reg_disclosures", r.about):
            raise self._refuse("about", r.about, "no such disclosure")
        if not self._exists(c, "reg_organisations", r.by):
            raise self._refuse("by", r.by, "no such organisation")

    # --- projections --------------------------------------------------------------------------

    def _project_organisation(self, c: Any, r: Organisation, index: int) -> None:
        c.execute(
            text("INSERT INTO reg_organisations (id, name, entry) VALUES (:id, :name, :e)"),
            {"id": r.id, "name": r.name, "e": index},
        )

    def _project_model(self, c: Any, r: Model, index: int) -> None:
        c.execute(
            text(
                "INSERT INTO reg_models (id, name, owner, release_date, weights_digest, "
                "catalogue_id, entry) VALUES (:id, :name, :owner, :rd, :wd, :cat, :e)"
            ),
            {
                "id": r.id,
                "name": r.name,
                "owner": r.owner,
                "rd": r.release_date,
                "wd": r.weights_digest,
                "cat": r.catalogue_id,
                "e": index,
            },
        )

    def _project_disclosure(self, c: Any, r: Disclosure, index: int) -> None:
        c.execute(
            text(
                "INSERT INTO reg_disclosures (id, student, filed_on, commercial_release_date, "
                "late, entry) VALUES (:id, :s, :f, :crd, :late, :e)"
            ),
            {
                "id": r.id,
                "s": r.student,
                "f": r.filed_on,
                "crd": r.commercial_release_date,
                "late": r.late,
                "e": index,
            },
        )
        c.execute(
            text(
                "INSERT INTO reg_edges (disclosure, student, teacher, signal, share) "
                "VALUES (:d, :s, :t, :sig, :sh)"
            ),
            [
                {"d": r.id, "s": r.student, "t": t.model, "sig": t.signal.value, "sh": t.share}
                for t in r.teachers
            ],
        )

    def _project_statement(self, c: Any, r: Statement, index: int) -> None:
        c.execute(
            text(
                "INSERT INTO reg_statements (id, about, by_org, kind, entry) "
                "VALUES (:id, :about, :by, :kind, :e)"
            ),
            {"id": r.id, "about": r.about, "by": r.by, "kind": r.kind.value, "e": index},
        )

    # --- queries --------------------------------------------------------------------------------

    def entry_of(self, record_id: str) -> int:
        with self.engine.connect() as c:
            for table in ("reg_disclosures", "reg_models", "reg_organisations", "reg_statements"):
                found = c.execute(
                    text(f"SELECT entry FROM {table} WHERE id = :k"), {"k": record_id}
                ).scalar()
                if found is not None:
                    return int(found)
        raise RegistryError(f"no record with id '{record_id}'")

    def show(self, record_id: str) -> dict[str, Any]:
        """A record's log entry, decoded."""
        index = self.entry_of(record_id)
        with self.engine.connect() as c:
            body = c.execute(
                text("SELECT body FROM log_entries WHERE idx = :i"), {"i": index}
            ).scalar_one()
        entry: dict[str, Any] = json.loads(body)
        return entry

    def lineage(self, model: str, direction: str = "ancestors") -> list[dict[str, Any]]:
        """Every model reachable through distillation edges, with its shortest depth.

        One recursive query that runs unchanged on SQLite and PostgreSQL; the depth bound makes it
        stop on a cycle, and only the shortest depth of each model is kept."""
        with self.engine.connect() as c:
            if not self._exists(c, "reg_models", model):
                raise RegistryError(f"no model with id '{model}'")
            near, far = (
                ("student", "teacher") if direction == "ancestors" else ("teacher", "student")
            )
            rows = c.execute(
                text(
                    f"""
                    WITH RECURSIVE walk(model, parent, signal, depth) AS (
                        SELECT {far}, {near}, signal, 1 FROM reg_edges WHERE {near} = :m
                        UNION
                        SELECT e.{far}, e.{near}, e.signal, w.depth + 1
                        FROM reg_edges e JOIN walk w ON e.{near} = w.model
                        WHERE w.depth < :limit
                    )
                    SELECT model, parent, signal, MIN(depth) FROM walk
                    WHERE model <> :m GROUP BY model, parent, signal ORDER BY MIN(depth), model
                    """
                ),
                {"m": model, "limit": MAX_DEPTH},
            ).all()
        return [{"model": r[0], "via": r[1], "signal": r[2], "depth": int(r[3])} for r in rows]
