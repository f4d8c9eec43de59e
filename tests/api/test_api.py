"""The API over real HTTP, on SQLite and PostgreSQL: assessment and the decision log, problem
documents, the registry, the clearinghouse, and who may do what."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from distillgov.registry.checkpoint import Checkpoint, parse_verifier_key, verify
from distillgov.registry.merkle import leaf_hash, verify_inclusion
from distillgov.registry.registry import Registry
from tests.api.conftest import Served

ROOT = Path(__file__).resolve().parents[2]
CASE = json.loads(  # as a JSON client would send it: dates as strings
    json.dumps(
        yaml.safe_load(
            (ROOT / "examples/cases/startup-clones-chat-model-via-public-api.yaml").read_text()
        ),
        default=str,
    )
)


def test_an_assessment_is_served_logged_and_rechecked(served: Served) -> None:
    with served.client() as http:
        made = http.post("/api/v1/assessments", json={"case": CASE, "jurisdiction": "cn"})
        assert made.status_code == 201
        body = made.json()
        d = body["determination"]
        assert (d["category"], d["rule"]) == ("commercial_cloning", "compulsory_license")
        assert d["royalty"]["window_end"] == "2026-11-13"
        stored = http.get(f"/api/v1/decisions/{body['decision_id']}").json()
        assert stored["output"] == d and stored["input"]["jurisdiction"] == "cn"
        assert stored["profile_hash"] == d["profile"]["hash"]
        again = http.get(f"/api/v1/decisions/{body['decision_id']}/recheck").json()
        assert again["same_output"] is True
        batch = http.post(
            "/api/v1/assessments/batch",
            json={"cases": [CASE, {**CASE, "access": "intrusion"}], "jurisdiction": "us"},
        ).json()
        assert [r["rule"] for r in batch["results"]] == ["prohibited", "prohibited"]
        assert [r["category"] for r in batch["results"]][1] == "illicit"


def test_errors_are_problem_documents_naming_the_fields(served: Served) -> None:
    with served.client() as http:
        bad = http.post(
            "/api/v1/assessments",
            json={"case": {**CASE, "access": "telepathy"}, "jurisdiction": "cn"},
        )
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        problem = bad.json()
        assert problem["status"] == 422 and problem["errors"][0]["field"] == "access"
        assert problem["errors"][0]["value"] == "telepathy"
        shape = http.post("/api/v1/assessments", json={"jurisdiction": "cn"})
        assert shape.status_code == 422 and shape.json()["errors"][0]["field"] == "case"
        unknown = http.get("/api/v1/decisions/nope")
        assert unknown.status_code == 404 and unknown.json()["title"] == "Not found"
        nowhere = http.get("/api/v1/nowhere")
        assert (
            nowhere.status_code == 404
            and "application/problem+json" in nowhere.headers["content-type"]
        )
        profile = http.post("/api/v1/assessments", json={"case": CASE, "jurisdiction": "mars"})
        assert profile.status_code == 422
        (fault,) = profile.json()["errors"]  # a closed vocabulary, named in the OpenAPI document
        assert fault["field"] == "jurisdiction" and fault["value"] == "mars"
        huge = http.post(
            "/api/v1/assessments/batch",
            json={"cases": [CASE] * 1001, "jurisdiction": "us"},
        )
        assert huge.status_code == 422 and huge.json()["errors"][0]["field"] == "cases"
        broken = http.post(
            "/api/v1/assessments",
            content=b'{"case": {',
            headers={"Content-Type": "application/json"},
        )
        assert broken.status_code == 422 and broken.json()["errors"][0]["reason"].startswith(
            "Invalid JSON"
        )
        for r in (bad, shape, unknown, profile, huge, broken):
            assert "Traceback" not in r.text


def test_a_body_over_the_limit_is_refused_whether_its_length_is_declared_or_not(
    tmp_path: Path,
) -> None:
    from distillgov.api.app import create_app
    from tests.api.conftest import running

    app = create_app(f"sqlite:///{tmp_path / 'small.sqlite'}", tmp_path, rate=0, max_body=2_000)
    big = json.dumps({"case": {**CASE, "title": "x" * 3_000}, "jurisdiction": "cn"}).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent in chunks
        for start in range(0, len(big), 500):
            yield big[start : start + 500]

    with running(app) as base, httpx.Client(base_url=base) as http:
        declared = http.post("/api/v1/assessments", content=big)
        streamed = http.post(
            "/api/v1/assessments", content=chunks(), headers={"Content-Type": "application/json"}
        )
        for refused in (declared, streamed):
            assert refused.status_code == 413, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
        small = http.post("/api/v1/assessments", json={"case": CASE, "jurisdiction": "cn"})
        assert small.status_code == 201
    with app.state.engine.connect() as c:  # only the small one was logged
        assert c.exec_driver_sql("SELECT COUNT(*) FROM svc_decisions").scalar_one() == 1
    app.state.engine.dispose()


def registry_with_a_model(served: Served) -> Registry:
    from distillgov.registry.records import Model, Organisation

    reg = Registry(served.engine)
    reg.log.initialise("api.example/log", key := Ed25519PrivateKey.generate())
    for org in ("lab", "big"):
        reg.add(Organisation(id=org, name=org))
    reg.add(Model(id="big-1", name="Big", owner="big"))
    reg.add(Model(id="tiny-1", name="Tiny", owner="lab"))
    reg.log.checkpoint(key)
    served.key = key  # type: ignore[attr-defined]
    return reg


DISCLOSURE = {
    "id": "d-tiny-1",
    "student": "tiny-1",
    "teachers": [{"model": "big-1", "signal": "logits"}],
    "method_summary": "Logit distillation.",
    "data_sources_summary": "Teacher outputs.",
    "filed_on": "2025-01-10",
}


def test_only_the_owning_organisation_files_a_disclosure_and_anyone_verifies_it(
    served: Served,
) -> None:
    reg = registry_with_a_model(served)
    distiller = served.account("ana", "distiller", "lab")
    other = served.account("bob", "distiller", "big")
    reader = served.account("eve", "distiller", "lab", write=False)
    with served.client() as public:
        anonymous = public.post("/api/v1/registry/disclosures", json=DISCLOSURE)
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    with served.client(other) as http:
        assert http.post("/api/v1/registry/disclosures", json=DISCLOSURE).status_code == 403
    with served.client(reader) as http:
        refused = http.post("/api/v1/registry/disclosures", json=DISCLOSURE)
        assert refused.status_code == 403 and "write" in refused.json()["detail"]
    size = reg.log.size()
    assert size == 4  # the refusals left no trace
    with served.client("dg_not-a-token") as http:
        assert http.get("/api/v1/registry/screen").status_code == 401
    with served.client(distiller) as http:
        filed = http.post("/api/v1/registry/disclosures", json=DISCLOSURE)
        assert filed.status_code == 201 and filed.json()["entry"] == 4, filed.text
        again = http.post("/api/v1/registry/disclosures", json=DISCLOSURE)
        assert again.status_code == 409
    reg.log.checkpoint(served.key)  # type: ignore[attr-defined]
    with served.client() as public:
        bundle = public.get("/api/v1/registry/records/d-tiny-1/proof").json()
        name, key = parse_verifier_key(bundle["verifier_key"])
        head = Checkpoint.parse(verify(bundle["checkpoint"], name, key))
        verify_inclusion(
            leaf_hash(bundle["entry"].encode()),
            bundle["index"],
            head.size,
            [bytes.fromhex(h) for h in bundle["proof"]],
            head.root,
        )
        lineage = public.get("/api/v1/registry/models/tiny-1/lineage").json()
        assert lineage["lineage"][0]["model"] == "big-1"
        assert lineage["lineage"][0]["link"] == "distilled" and lineage["bases"] is True
        assert public.get("/api/v1/registry/checkpoint").json()["size"] == 5


def test_licensing_reads_and_usage_upload_follow_the_parties(
    served: Served, tmp_path: Path
) -> None:
    import datetime as dt

    from distillgov.assessment.assess import assess_case
    from distillgov.assessment.casefiles import load_case
    from distillgov.jurisdictions import load_builtin
    from distillgov.licensing.licences import open_licence

    case = load_case(ROOT / "examples/cases/startup-clones-chat-model-via-public-api.yaml")
    profile = load_builtin("global_south")
    day = dt.date(2025, 3, 1)
    open_licence(
        served.engine, assess_case(case, profile, day), case, profile, day, "s-1", "lic-gs"
    )
    licensee = served.account("cc", "distiller", "cheap-chat-inc")
    owner = served.account("fl", "teacher_owner", "frontier-labs")
    stranger = served.account("xx", "distiller", "someone-else")
    regulator = served.account("reg", "regulator", None)
    usage = (
        (ROOT / "examples/usage/cheap-chat-gs-2025.jsonl")
        .read_text()
        .replace("lic-cheap-chat-gs", "lic-gs")
    )
    files = {"report": ("gs.jsonl", usage.encode(), "application/x-ndjson")}
    with served.client(stranger) as http:
        assert http.get("/api/v1/licences").json() == []
        assert http.get("/api/v1/licences/lic-gs").status_code == 403
        assert http.post("/api/v1/licences/lic-gs/usage", files=files).status_code == 403
    with served.client(licensee) as http:
        bad = http.post(
            "/api/v1/licences/lic-gs/usage",
            files={
                "report": (
                    "bad.csv",
                    b"licence,period,units,revenue,currency\nlic-gs,2025-13,1,1.00,USD\n",
                )
            },
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0] == {
            "field": "period",
            "value": "2025-13",
            "reason": "must be YYYY-MM",
            "location": "line 2",
        }
        other = http.post(
            "/api/v1/licences/lic-gs/usage",
            files={
                "report": (
                    "o.csv",
                    b"licence,period,units,revenue,currency\nlic-x,2025-03,1,1.00,USD\n",
                )
            },
        )
        assert other.status_code == 422 and other.json()["errors"][0]["reason"] == (
            "this report is for licence lic-gs"
        )
        assert other.json()["detail"].startswith("o.csv: refused")
        done = http.post("/api/v1/licences/lic-gs/usage", files=files)
        assert done.status_code == 201 and done.json() == {
            "report": "gs",
            "rows": 4,
            "new": True,
            "replaces": None,
        }
        # The same rows under another name: refused as a duplicate, naming the report.
        copy = {"report": ("gs-copy.jsonl", usage.encode(), "application/x-ndjson")}
        dup = http.post("/api/v1/licences/lic-gs/usage", files=copy)
        assert dup.status_code == 409 and "the same rows as report 'gs'" in dup.json()["detail"]
        fixed = {"report": ("gs-fixed.jsonl", usage.replace("41000.00", "41001.00").encode(), "x")}
        corrected = http.post("/api/v1/licences/lic-gs/usage?corrects=gs", files=fixed)
        assert corrected.status_code == 201 and corrected.json()["replaces"] == "gs", corrected.text
        # Put back as first sent: a correction of the correction (the voided original is no
        # duplicate), so the figures below are the worked example's.
        back = {"report": ("gs-restored.jsonl", usage.encode(), "application/x-ndjson")}
        restored = http.post("/api/v1/licences/lic-gs/usage?corrects=gs-fixed", files=back)
        assert restored.status_code == 201 and restored.json()["replaces"] == "gs-fixed"
    from distillgov.licensing.settlement import settle
    from distillgov.licensing.usage import report_files

    settle(served.engine, report_files(served.engine, served.data_dir), dt.date(2025, 7, 1))
    with served.client(owner) as http:
        assert [lic["id"] for lic in http.get("/api/v1/licences").json()] == ["lic-gs"]
        account = http.get("/api/v1/ledger/accounts/developer:frontier-labs:USD").json()
        assert account["balance"] == "1599.44"
        assert http.get("/api/v1/ledger/accounts/licensee:cheap-chat-inc:USD").status_code == 403
    with served.client(regulator) as http:
        periods = http.get("/api/v1/settlements").json()
        assert sum(p["royalty_minor"] for p in periods) == 266_573
        assert http.post("/api/v1/licences/lic-gs/usage", files=files).status_code == 403
    with served.client() as public:
        assert public.get("/api/v1/licences").status_code == 401


def test_only_an_administrator_manages_accounts(served: Served) -> None:
    admin = served.account("root", "administrator", None)
    regulator = served.account("reg", "regulator", None)
    with served.client(regulator) as http:
        assert (
            http.post(
                "/api/v1/accounts", json={"id": "x", "role": "distiller", "organisation": "o"}
            ).status_code
            == 403
        )
    with served.client(admin) as http:
        made = http.post(
            "/api/v1/accounts", json={"id": "x", "role": "distiller", "organisation": "o"}
        )
        assert made.status_code == 201
        token = http.post("/api/v1/accounts/x/tokens", json={"scopes": ["read"], "days": 1}).json()[
            "token"
        ]
        assert http.post("/api/v1/accounts", json={"id": "y", "role": "king"}).status_code == 422
    with served.client(token) as http:
        assert http.get("/api/v1/jurisdictions").status_code == 200
        assert json.loads(http.get("/api/v1/health").text)["status"] == "ok"


def test_browser_sessions_use_an_httponly_cookie_and_writes_need_the_csrf_token(
    served: Served,
) -> None:
    registry_with_a_model(served)
    token = served.account("ana", "distiller", "lab")
    with served.client() as browser:
        signed = browser.post("/api/v1/session", json={"token": token})
        assert signed.status_code == 201
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=28800" in cookie
        csrf = signed.json()["csrf"]
        assert browser.get("/api/v1/session").json()["account"] == "ana"
        size = Registry(served.engine).log.size()
        forged = browser.post("/api/v1/registry/disclosures", json=DISCLOSURE)
        assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["detail"]
        wrong = browser.post(
            "/api/v1/registry/disclosures", json=DISCLOSURE, headers={"X-CSRF-Token": "nope"}
        )
        assert wrong.status_code == 403 and Registry(served.engine).log.size() == size
        filed = browser.post(
            "/api/v1/registry/disclosures", json=DISCLOSURE, headers={"X-CSRF-Token": csrf}
        )
        assert filed.status_code == 201
        assert (
            browser.request("DELETE", "/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code
            == 204
        )
        assert browser.get("/api/v1/session").status_code == 401
        bad = browser.post("/api/v1/session", json={"token": "dg_not-a-real-token"})
        assert bad.status_code == 401


def test_the_policy_lab_scores_the_profiles(served: Served) -> None:
    with served.client() as http:
        scores = http.get("/api/v1/lab/compare", params={"on": "2025-03-01"}).json()
        by_profile = {s["profile"]: s for s in scores}
        assert set(by_profile) == {"us", "cn", "global_south"}
        assert by_profile["us"]["exclusivity"] == 2.0 and by_profile["cn"]["exclusivity"] == 0.5
        for s in scores:
            assert {"utilitarian", "rawlsian", "lockean", "deontological"} <= set(s)
        bad = http.get("/api/v1/lab/compare", params={"profiles": "mars"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["value"] == "mars"


def test_checkpoints_consistency_and_proofs_at_a_size_are_served(served: Served) -> None:
    from distillgov.registry.merkle import verify_consistency
    from distillgov.registry.records import Organisation

    reg = registry_with_a_model(served)  # 4 entries, signed at size 4
    reg.add(Organisation(id="more", name="More"))
    reg.log.checkpoint(served.key)  # type: ignore[attr-defined]
    with served.client() as public:
        listed = public.get("/api/v1/registry/checkpoints").json()
        assert [c["size"] for c in listed] == [4, 5] and listed[0]["signed_at"]
        bundle = public.get("/api/v1/registry/consistency", params={"old": 4}).json()
        name, key = parse_verifier_key(bundle["verifier_key"])
        old = Checkpoint.parse(verify(bundle["old_checkpoint"], name, key))
        new = Checkpoint.parse(verify(bundle["checkpoint"], name, key))
        verify_consistency(4, 5, [bytes.fromhex(h) for h in bundle["proof"]], old.root, new.root)
        at = public.get("/api/v1/registry/records/tiny-1/proof", params={"size": 4}).json()
        assert at["size"] == 4 and at["checkpoint"] == bundle["old_checkpoint"]
        missing = public.get("/api/v1/registry/consistency", params={"old": 3})
        assert missing.status_code == 404 and "no checkpoint was signed at size 3" in missing.text
        ahead = public.get("/api/v1/registry/consistency", params={"old": 9})
        assert ahead.status_code == 422 and "rolled back" in ahead.json()["detail"]
