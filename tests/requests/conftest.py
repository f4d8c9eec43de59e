"""A registry with a lineage for the requests tests: a dataset, a teacher trained on it, and a
chain of students and derivatives below it, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from distillgov.registry.records import (
    BaseModelLink,
    Disclosure,
    Model,
    Organisation,
    Signal,
    TeacherLink,
)
from distillgov.registry.registry import Registry
from tests.registry.conftest import engine  # noqa: F401  (the database fixture, both kinds)

DATASET = "acme/forum-posts"
DEPTH = 6  # students below the teacher: the issue asks for a lineage of depth >= 5


def build_lineage(db: Engine, depth: int = DEPTH) -> list[str]:
    """acme-teacher (trained on DATASET) <- s1 <- s2 ... <- s{depth}, each distilled from the
    one above it and owned by its own organisation; plus a fine-tune of s2 and an unrelated
    model. Returns the chain, teacher first."""
    reg = Registry(db)
    reg.log.initialise("registry.example/test-log", Ed25519PrivateKey.generate())
    orgs = ["acme", "other", *[f"lab{i}" for i in range(1, depth + 1)], "tuner"]
    reg.add_many([Organisation(id=o, name=o.title()) for o in orgs])
    reg.add(Model(id="acme-teacher", name="Acme Teacher", owner="acme", datasets=[DATASET]))
    reg.add(Model(id="unrelated", name="Unrelated", owner="other", datasets=["other/data"]))
    chain = ["acme-teacher"]
    for i in range(1, depth + 1):
        student = f"s{i}"
        reg.add(Model(id=student, name=f"Student {i}", owner=f"lab{i}"))
        reg.add(
            Disclosure(
                id=f"d{i}",
                student=student,
                teachers=[TeacherLink(model=chain[-1], signal=Signal.LOGITS)],
                method_summary="Logit distillation.",
                data_sources_summary="Prompts written in house.",
                filed_on=dt.date(2026, 1, i),
            )
        )
        chain.append(student)
    reg.add(
        Model(
            id="s2-tuned",
            name="Tuned",
            owner="tuner",
            base_models=[BaseModelLink(model="s2", relation="finetune")],
        )
    )
    return chain


@pytest.fixture
def lineage(engine: Engine) -> list[str]:  # noqa: F811
    return build_lineage(engine)
