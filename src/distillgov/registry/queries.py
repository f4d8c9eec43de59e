"""Read-only questions the doors ask of the registry's tables: search, a model's page, who owns a
model, the latest signed checkpoint. The doors call these; they hold no SQL themselves."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Engine, bindparam, text

from distillgov.registry.log import TransparencyLog
from distillgov.registry.registry import MAX_DEPTH, UnknownRecord
from distillgov.storage.db import reading
from distillgov.storage.sqlrows import select_in

SEARCH_LIMIT = 500


def search_models(engine: Engine, q: str) -> list[dict[str, Any]]:
    """Models whose id, name or owner's name contains `q` (any case), with their teacher count."""
    with reading(engine) as c:
        rows = c.execute(
            text(
                """
                SELECT m.id, m.name, m.owner, m.licence,
                       (SELECT COUNT(*) FROM reg_edges e WHERE e.student = m.id)
                FROM reg_model_facts m JOIN reg_organisations o ON o.id = m.owner
                WHERE LOWER(m.id) LIKE :q OR LOWER(m.name) LIKE :q OR LOWER(o.name) LIKE :q
                ORDER BY m.id LIMIT :n
                """
            ),
            {"q": f"%{q.lower()}%", "n": SEARCH_LIMIT},
        ).all()
    return [
        {"id": r[0], "name": r[1], "owner": r[2], "licence": r[3], "teachers": int(r[4])}
        for r in rows
    ]


def model_card(engine: Engine, model: str) -> dict[str, Any]:
    """A model with its disclosures (each with its teachers) and the statements about it."""
    with reading(engine) as c:
        row = c.execute(
            text("SELECT id, name, owner, licence, entry FROM reg_model_facts WHERE id = :m"),
            {"m": model},
        ).first()
        if row is None:
            raise UnknownRecord(f"no model '{model}' in the registry")
        disclosures = c.execute(
            text(
                "SELECT d.id, d.filed_on, d.late, EXISTS (SELECT 1 FROM reg_disclosures n "
                "WHERE n.supersedes = d.id), d.logged_on, l.body FROM reg_disclosures d "
                "JOIN log_entries l ON l.idx = d.entry WHERE d.student = :m "
                "ORDER BY d.filed_on, d.id"
            ),
            {"m": model},
        ).all()
        bases = c.execute(
            text("SELECT base, relation FROM reg_base_models WHERE model = :m ORDER BY base"),
            {"m": model},
        ).all()
        edges = c.execute(
            text(
                "SELECT e.disclosure, e.teacher, e.signal, e.share FROM reg_edges e "
                "WHERE e.student = :m ORDER BY e.teacher"
            ),
            {"m": model},
        ).all()
        amendments = c.execute(
            text(
                "SELECT a.id, a.entry, l.body FROM reg_model_amendments a "
                "JOIN log_entries l ON l.idx = a.entry WHERE a.model = :m ORDER BY a.entry"
            ),
            {"m": model},
        ).all()
        statements = c.execute(
            text(
                "SELECT s.id, s.kind, s.by_org, s.about FROM reg_statements s "
                "WHERE s.about = :m OR s.about IN (SELECT id FROM reg_disclosures "
                "WHERE student = :m) ORDER BY s.id"
            ),
            {"m": model},
        ).all()
    return {
        "model": {
            "id": row[0],
            "name": row[1],
            "owner": row[2],
            "licence": row[3],
            "entry": row[4],
        },
        "base_models": [{"model": b[0], "relation": b[1]} for b in bases],
        # What was filed later to complete the model (its card, read after it was registered).
        "amendments": [
            {
                "id": a[0],
                "entry": int(a[1]),
                "source": _logged(a[2]).get("source"),
                "adds": sorted(
                    k
                    for k in ("licence", "base_models", "datasets", "card_declares_distillation")
                    if _logged(a[2]).get(k)
                ),
            }
            for a in amendments
        ],
        "disclosures": [
            {
                "id": d[0],
                "filed_on": str(d[1]),
                "logged_on": None if d[4] is None else str(d[4]),
                "late": bool(d[2]),
                "superseded": bool(d[3]),
                # What the transparency duty asks to be public: read from the logged entry.
                "method_summary": _logged(d[5]).get("method_summary"),
                "data_sources_summary": _logged(d[5]).get("data_sources_summary"),
                "teachers": [
                    {"model": e[1], "signal": e[2], "share": e[3]} for e in edges if e[0] == d[0]
                ],
            }
            for d in disclosures
        ],
        "statements": [
            {"id": s[0], "kind": s[1], "by_org": s[2], "about": s[3]} for s in statements
        ],
    }


def _logged(body: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(str(body)).get("data", {})
    return data


def owner_of(engine: Engine, model: str) -> str:
    with reading(engine) as c:
        owner = c.execute(text("SELECT owner FROM reg_models WHERE id = :m"), {"m": model}).scalar()
    if owner is None:
        raise UnknownRecord(f"no model '{model}': register it first")
    return str(owner)


def latest_checkpoint(log: TransparencyLog) -> tuple[int, str] | None:
    """The largest signed checkpoint: its tree size and its note."""
    with reading(log.engine) as c:
        log.reload_settings(c)  # a server started before `registry init` learns the key
        row = c.execute(
            text("SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
        ).first()
    return None if row is None else (int(row[0]), str(row[1]))


def log_status(engine: Engine) -> dict[str, Any]:
    """The log's size, and the size and signing time (UTC; None before revision 0011) of its
    latest checkpoint: what an operator watches."""
    with reading(engine) as c:
        size = c.execute(text("SELECT MAX(idx) FROM log_entries")).scalar()
        last = c.execute(
            text("SELECT size, signed_at FROM log_checkpoints ORDER BY size DESC LIMIT 1")
        ).first()
    signed_at = None
    if last is not None and last[1] is not None:
        signed_at = (
            last[1] if isinstance(last[1], dt.datetime) else dt.datetime.fromisoformat(str(last[1]))
        )
    return {
        "size": 0 if size is None else int(size) + 1,
        "checkpoint_size": None if last is None else int(last[0]),
        "checkpoint_signed_at": signed_at,
    }


def declared_teacher_shares(engine: Engine) -> list[float]:
    """Every declared share of a student's training signal that came from one teacher, over the
    current (not superseded) disclosures: what the policy lab's calibration reads."""
    with reading(engine) as c:
        rows = c.execute(
            text(
                """
                SELECT e.share FROM reg_edges e JOIN reg_disclosures d ON d.id = e.disclosure
                WHERE e.share IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM reg_disclosures n WHERE n.supersedes = d.id)
                ORDER BY d.id, e.teacher
                """
            )
        ).all()
    return [float(r[0]) for r in rows]


def trained_on(engine: Engine, dataset: str) -> list[str]:
    """Models that declare `dataset` among their training data (on their own record or in a
    disclosure about them)."""
    with reading(engine) as c:
        rows = c.execute(
            text("SELECT DISTINCT model FROM reg_datasets WHERE dataset = :d ORDER BY model"),
            {"d": dataset},
        ).all()
    return [str(r[0]) for r in rows]


def model_exists(engine: Engine, model: str) -> bool:
    with reading(engine) as c:
        return (
            c.execute(text("SELECT 1 FROM reg_models WHERE id = :m"), {"m": model}).first()
            is not None
        )


def organisation_exists(engine: Engine, organisation: str) -> bool:
    with reading(engine) as c:
        found = c.execute(
            text("SELECT 1 FROM reg_organisations WHERE id = :o"), {"o": organisation}
        ).first()
    return found is not None


def downstream(
    engine: Engine, roots: list[str], max_depth: int = MAX_DEPTH
) -> list[dict[str, Any]]:
    """Every registered model that learnt from one of `roots`, directly or through others: by a
    current disclosure's distillation edge (teacher -> student) or as a derivative of a base model
    (fine-tune, adapter, merge, quantisation), with its owner, its depth (the roots are 0) and the
    model it was reached through. Breadth first, so each model's shortest depth is kept; bounded
    by `max_depth`, so a cycle ends."""
    with reading(engine) as c:
        owners = dict(
            select_in(c, "SELECT id, owner FROM reg_models WHERE id IN ({})", sorted(set(roots)))
        )
        found: dict[str, dict[str, Any]] = {
            r: {"model": r, "owner": owners[r], "depth": 0, "via": None, "link": "root"}
            for r in sorted(owners)
        }
        frontier = sorted(owners)
        for depth in range(1, max_depth + 1):
            if not frontier:
                break
            students = select_in(
                c,
                "SELECT e.teacher, e.student, m.owner, 'distilled' FROM reg_edges e "
                "JOIN reg_models m ON m.id = e.student WHERE e.teacher IN ({}) AND NOT EXISTS "
                "(SELECT 1 FROM reg_disclosures d WHERE d.supersedes = e.disclosure)",
                frontier,
            )
            derived = select_in(
                c,
                "SELECT b.base, b.model, m.owner, COALESCE(b.relation, 'derived') "
                "FROM reg_base_models b JOIN reg_models m ON m.id = b.model WHERE b.base IN ({})",
                frontier,
            )
            nxt = []
            for via, model, owner, link in sorted(students + derived, key=lambda r: (r[1], r[0])):
                if model not in found:
                    found[model] = {
                        "model": model,
                        "owner": owner,
                        "depth": depth,
                        "via": via,
                        "link": link,
                    }
                    nxt.append(model)
            frontier = nxt
    return sorted(found.values(), key=lambda r: (r["depth"], r["model"]))


def organisations_named(engine: Engine, names: list[str]) -> list[dict[str, Any]]:
    """Registered organisations whose id or name is one of `names` (a person registered as an
    organisation, for an access request), with the models they own."""
    if not names:
        return []
    with reading(engine) as c:
        orgs = c.execute(
            text(
                "SELECT id, name, entry FROM reg_organisations WHERE id IN :n OR name IN :n "
                "ORDER BY id"
            ).bindparams(bindparam("n", expanding=True)),
            {"n": names},
        ).all()
        out = []
        for org in orgs:
            models = c.execute(
                text("SELECT id, name, entry FROM reg_models WHERE owner = :o ORDER BY id"),
                {"o": org[0]},
            ).all()
            out.append(
                {
                    "organisation": org[0],
                    "name": org[1],
                    "log_entry": int(org[2]),
                    "models": [{"id": m[0], "name": m[1], "log_entry": int(m[2])} for m in models],
                }
            )
    return out


def declaring(engine: Engine, dataset: str) -> list[dict[str, str]]:
    """The records (a model's own, or a disclosure) that declare training on `dataset`."""
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT record, model FROM reg_datasets WHERE dataset = :d ORDER BY model, record"
            ),
            {"d": dataset},
        ).all()
    return [{"record": str(r[0]), "model": str(r[1])} for r in rows]
