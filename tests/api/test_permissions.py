"""Every role against every write endpoint, on SQLite and PostgreSQL: the allowed role succeeds,
every other gets a clean 401 (no token) or 403, and a refusal leaves no trace in the data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from distillgov.assessment.assess import assess_case
from distillgov.assessment.casefiles import load_case
from distillgov.jurisdictions import load_builtin
from distillgov.licensing.licences import open_licence
from distillgov.registry.records import Disclosure, Model, Organisation
from distillgov.registry.registry import Registry
from tests.api.conftest import Served

ROOT = Path(__file__).resolve().parents[2]
ROLES = (
    "public",
    "distiller",
    "read_only",
    "teacher_owner",
    "rights_holder",
    "regulator",
    "administrator",
)
USAGE = b"licence,period,units,revenue,currency\nlic-gs,2025-03,1000,10.00,USD\n"


def setting(served: Served) -> dict[str, str | None]:
    reg = Registry(served.engine)
    reg.log.initialise("api.example/log", Ed25519PrivateKey.generate())
    for org in ("cheap-chat-inc", "frontier-labs"):
        reg.add(Organisation(id=org, name=org))
    reg.add(Model(id="frontier-chat-4", name="Frontier Chat 4", owner="frontier-labs"))
    reg.add(Model(id="cheap-chat-1", name="Cheap Chat 1", owner="cheap-chat-inc"))
    reg.add(
        Disclosure.model_validate(
            {
                "id": "d-cheap-chat-1",
                "student": "cheap-chat-1",
                "teachers": [{"model": "frontier-chat-4", "signal": "output_sequences"}],
                "method_summary": "Supervised fine-tuning on API answers.",
                "data_sources_summary": "Teacher outputs.",
                "filed_on": "2025-01-10",
            }
        )
    )
    case = load_case(ROOT / "examples/cases/startup-clones-chat-model-via-public-api.yaml")
    profile, day = load_builtin("global_south"), dt.date(2025, 3, 1)
    open_licence(
        served.engine, assess_case(case, profile, day), case, profile, day, "cheap-chat-1", "lic-gs"
    )
    return {
        "public": None,
        "distiller": served.account("ana", "distiller", "cheap-chat-inc"),
        "read_only": served.account("ro", "distiller", "cheap-chat-inc", write=False),
        "teacher_owner": served.account("tom", "teacher_owner", "frontier-labs"),
        "rights_holder": served.account("ria", "rights_holder", "maria-ruiz"),
        "regulator": served.account("reg", "regulator", None),
        "administrator": served.account("adm", "administrator", None),
    }


def footprint(served: Served) -> tuple[Any, ...]:
    with served.engine.connect() as c:
        counts = tuple(
            c.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
            for table in (
                "log_entries",
                "lic_reports",
                "svc_accounts",
                "svc_tokens",
                "reg_statements",
            )
        )
    files = (
        len(list((served.data_dir / "usage").glob("*")))
        if (served.data_dir / "usage").exists()
        else 0
    )
    return (*counts, files)


def endpoints(n: int) -> dict[str, tuple[str, dict[str, Any], str]]:
    """Each write: (path, request keywords, the role allowed). `n` keeps ids fresh."""
    return {
        "file a disclosure": (
            "/api/v1/registry/disclosures",
            {
                "json": {
                    "id": f"d-new-{n}",
                    "student": "cheap-chat-1",
                    "supersedes": None,
                    "teachers": [{"model": "frontier-chat-4", "signal": "logits"}],
                    "method_summary": "Logit distillation.",
                    "data_sources_summary": "Teacher outputs.",
                    "filed_on": "2025-02-01",
                }
            },
            "distiller",
        ),
        "make a statement": (
            "/api/v1/registry/statements",
            {
                "json": {
                    "id": f"s-{n}",
                    "about": "d-cheap-chat-1",
                    "by": "frontier-labs",
                    "kind": "acknowledgement",
                    "text": "We acknowledge this lineage.",
                }
            },
            "teacher_owner",
        ),
        "report usage": (
            f"/api/v1/licences/lic-gs/usage?report_id=r-{n}",
            {"files": {"report": ("r.csv", USAGE.replace(b"1000", str(1000 + n).encode()))}},
            "distiller",
        ),
        "create an account": (
            "/api/v1/accounts",
            {"json": {"id": f"new-{n}", "role": "distiller", "organisation": "x"}},
            "administrator",
        ),
        "issue a token": (
            "/api/v1/accounts/ana/tokens",
            {"json": {"scopes": ["read"]}},
            "administrator",
        ),
    }


def test_every_role_against_every_write_endpoint(served: Served) -> None:
    tokens = setting(served)
    n = 0
    outcomes = {}
    for action in endpoints(0):
        for role in ROLES:
            n += 1
            path, kwargs, allowed = endpoints(n)[action]
            before = footprint(served)
            with served.client(tokens[role]) as http:
                response = http.post(path, **kwargs)
            outcomes[(action, role)] = response.status_code
            if role == allowed:
                assert response.status_code == 201, (action, role, response.text)
                assert footprint(served) != before
                continue
            expected = 401 if role == "public" else 403
            assert response.status_code == expected, (action, role, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert footprint(served) == before, f"{role} refused '{action}' but data changed"
    assert sum(1 for code in outcomes.values() if code == 201) == len(endpoints(0))
