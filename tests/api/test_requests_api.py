"""Data subjects' requests over HTTP, on SQLite and PostgreSQL: every role against every new
write route (the allowed one succeeds, the others get 401/403 and leave no trace), and each
party sees only its own requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from distillgov.licensing.pool import Claim, register_claims
from distillgov.registry.records import Disclosure, Model, Organisation
from distillgov.registry.registry import Registry
from tests.api.conftest import Served

ROLES = ("public", "subject", "other_subject", "acme", "lab", "other_org", "regulator")
FORM = {
    "kind": "deletion",
    "organisation": "acme",
    "dataset": "acme/forum-posts",
    "jurisdiction": "us",
    "received_on": "2026-11-02",
    "subject": {"name": "Ada Example", "email": "ada@example.org"},
}


def setting(served: Served) -> dict[str, str | None]:
    reg = Registry(served.engine)
    reg.log.initialise("api.example/log", Ed25519PrivateKey.generate())
    for org in ("acme", "lab", "other"):
        reg.add(Organisation(id=org, name=org))
    reg.add(Model(id="acme-t", name="T", owner="acme", datasets=["acme/forum-posts"]))
    reg.add(Model(id="lab-s", name="S", owner="lab"))
    reg.add(
        Disclosure.model_validate(
            {
                "id": "d-lab-s",
                "student": "lab-s",
                "teachers": [{"model": "acme-t", "signal": "logits"}],
                "method_summary": "Logit distillation.",
                "data_sources_summary": "Prompts.",
                "filed_on": "2026-01-10",
            }
        )
    )
    return {
        "public": None,
        "subject": served.account("ada", "data_subject", None),
        "other_subject": served.account("bob", "data_subject", None),
        "acme": served.account("acme-dpo", "distiller", "acme"),
        "lab": served.account("lab-dpo", "distiller", "lab"),
        "other_org": served.account("oth", "distiller", "other"),
        "regulator": served.account("reg", "regulator", None),
    }


def footprint(served: Served) -> tuple[int, ...]:
    with served.engine.connect() as c:
        return tuple(
            c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("dsr_events", "dsr_requests", "dsr_subjects", "dsr_duties")
        )


def _post(served: Served, token: str | None, path: str, body: dict[str, Any]) -> Any:
    with served.client(token) as http:
        return http.post(path, json=body)


def test_every_role_against_every_request_write(served: Served) -> None:
    tokens = setting(served)
    subject = tokens["subject"]
    made = _post(served, subject, "/api/v1/requests", FORM)
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    # Each write: (path, body, the roles allowed), tried in an order in which each can succeed.
    writes = [
        ("/api/v1/requests", {**FORM, "organisation": "lab"}, {"subject", "other_subject", "lab"}),
        (f"/api/v1/requests/{rid}/steps", {"action": "acknowledge"}, {"acme"}),
        (f"/api/v1/requests/{rid}/steps", {"action": "verify"}, {"acme"}),
        (f"/api/v1/requests/{rid}/steps", {"action": "fulfil"}, {"acme"}),
        ("/api/v1/duties/close", {"duty": f"{rid}/lab-s", "outcome": "carried_out"}, {"lab"}),
    ]
    for path, body, allowed in writes:
        for role in ROLES:
            before = footprint(served)
            response = _post(served, tokens[role], path, body)
            if role in allowed and response.status_code == 201:
                assert footprint(served) != before
                continue
            if role in allowed:  # a second allowed role finds the step already taken
                assert response.status_code == 409, (path, role, response.text)
                continue
            expected = 401 if role == "public" else 403
            assert response.status_code == expected, (path, role, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert footprint(served) == before, f"{role} refused on {path} but data changed"


def test_each_party_sees_only_its_own_requests(served: Served) -> None:
    tokens = setting(served)
    rid = _post(served, tokens["subject"], "/api/v1/requests", FORM).json()["id"]
    lab = _post(
        served, tokens["other_subject"], "/api/v1/requests", {**FORM, "organisation": "lab"}
    )
    lab_id = lab.json()["id"]

    def listed(role: str) -> set[str]:
        with served.client(tokens[role]) as http:
            return {r["id"] for r in http.get("/api/v1/requests").json()}

    assert listed("subject") == {rid}
    assert listed("other_subject") == {lab_id}
    assert listed("acme") == {rid}
    assert listed("lab") == {lab_id}
    assert listed("other_org") == set()
    assert listed("regulator") == {rid, lab_id}
    for role, code in (("subject", 200), ("acme", 200), ("regulator", 200), ("other_subject", 403),
                       ("lab", 403), ("public", 401)):  # fmt: skip
        with served.client(tokens[role]) as http:
            assert http.get(f"/api/v1/requests/{rid}").status_code == code, role
    with served.client(tokens["acme"]) as http:
        assert http.get("/api/v1/requests/overdue").status_code == 403
    with served.client(tokens["regulator"]) as http:
        screen = http.get("/api/v1/requests/overdue").json()
        assert {r["id"] for r in screen["requests"]} == {rid, lab_id}  # acknowledgement late
    for step in ("verify", "fulfil"):
        _post(served, tokens["acme"], f"/api/v1/requests/{rid}/steps", {"action": step})

    def duties(role: str) -> Any:
        with served.client(tokens[role]) as http:
            return http.get("/api/v1/duties")

    assert [d["model"] for d in duties("lab").json()] == ["lab-s"]  # only its own models'
    assert [d["model"] for d in duties("acme").json()] == ["acme-t"]
    assert duties("other_org").json() == []
    assert (duties("subject").status_code, duties("public").status_code) == (403, 401)


def test_only_the_requester_withdraws_and_a_bad_step_is_a_clear_problem(served: Served) -> None:
    tokens = setting(served)
    rid = _post(served, tokens["subject"], "/api/v1/requests", FORM).json()["id"]
    path = f"/api/v1/requests/{rid}/steps"
    assert _post(served, tokens["acme"], path, {"action": "withdraw"}).status_code == 403
    bad = _post(served, tokens["acme"], path, {"action": "refuse", "reason": "because"})
    assert bad.status_code == 422
    assert "field 'reason', value 'because'" in bad.text
    early = _post(served, tokens["acme"], path, {"action": "fulfil"})
    assert early.status_code == 409 and "identity is verified" in early.text
    done = _post(served, tokens["subject"], path, {"action": "withdraw"})
    assert done.status_code == 201 and done.json()["status"] == "withdrawn"
    assert [e["actor"] for e in done.json()["events"]] == ["requester", "requester"]


def test_an_access_request_exports_what_is_held_about_the_person(served: Served) -> None:
    tokens = setting(served)
    # Ada is also a creator paid through the collective pool, under her holder id "ada".
    register_claims(
        served.engine, "global_south", [Claim("c-ada", "ada", "Forum essays", 3, True)],
        dt.date(2026, 1, 5),
    )  # fmt: skip
    form = {**FORM, "kind": "access", "subject": {"email": "ada@example.org", "reference": "ada"}}
    rid = _post(served, tokens["subject"], "/api/v1/requests", form).json()["id"]
    with served.client(tokens["subject"]) as http:
        assert http.get(f"/api/v1/requests/{rid}/export").status_code == 422  # not verified yet
    _post(served, tokens["acme"], f"/api/v1/requests/{rid}/steps", {"action": "verify"})
    with served.client(tokens["subject"]) as http:
        doc = http.get(f"/api/v1/requests/{rid}/export").json()
    assert doc["format"] == "distillgov.access-export/1"
    assert doc["service"]["account"]["account"] == "ada"
    assert doc["service"]["account"]["role"] == "data_subject"
    assert [r["id"] for r in doc["requests"]] == [rid]
    assert [(c["claim"], c["work"]) for c in doc["clearinghouse"]["pool_claims"]] == [
        ("c-ada", "Forum essays")
    ]
    with served.client(tokens["regulator"]) as http:
        assert http.get(f"/api/v1/requests/{rid}/export").status_code == 403
