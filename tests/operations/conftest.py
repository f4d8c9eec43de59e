"""A database with something in every part, as an operator's would be: a signed transparency
log with a disclosure, a compulsory licence with usage settled into the ledger."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sqlalchemy import Engine

from distillgov.assessment.assess import assess_case
from distillgov.assessment.casefiles import load_case
from distillgov.jurisdictions import load_builtin
from distillgov.licensing.licences import open_licence
from distillgov.licensing.settlement import settle
from distillgov.licensing.usage import ingest, report_files
from distillgov.registry.log import create_key
from distillgov.registry.records import Disclosure, Model, Organisation, TeacherLink
from distillgov.registry.registry import Registry

ROOT = Path(__file__).resolve().parents[2]


def populate(engine: Engine, folder: Path) -> Registry:
    reg = Registry(engine)
    key = create_key(folder / "log.pem")
    reg.log.initialise("ops.example/log", key)
    reg.add(Organisation(id="lab", name="A Lab"))
    reg.add(Organisation(id="big", name="Big Lab"))
    reg.add(Model(id="big-1", name="Big", owner="big"))
    reg.add(Model(id="tiny-1", name="Tiny", owner="lab"))
    reg.add(
        Disclosure(
            id="d-tiny-1",
            student="tiny-1",
            teachers=[TeacherLink(model="big-1", signal="logits")],
            method_summary="Logit distillation.",
            data_sources_summary="Teacher outputs.",
            filed_on=dt.date(2025, 1, 10),
        )
    )
    reg.log.checkpoint(key)
    case = load_case(ROOT / "examples/cases/startup-clones-chat-model-via-public-api.yaml")
    profile = load_builtin("global_south")
    day = dt.date(2025, 3, 1)
    open_licence(engine, assess_case(case, profile, day), case, profile, day, "s-1", "lic-gs")
    usage = folder / "gs.jsonl"
    shutil.copy(ROOT / "examples/usage/cheap-chat-gs-2025.jsonl", usage)
    usage.write_text(usage.read_text().replace("lic-cheap-chat-gs", "lic-gs"))
    data = folder / "data"
    ingest(engine, usage, folder=data)
    settle(engine, report_files(engine, data), dt.date(2025, 7, 1))
    return reg
