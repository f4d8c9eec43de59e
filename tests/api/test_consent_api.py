"""Creators' consent over HTTP, on SQLite and PostgreSQL: every role against every new write
route (only the holder's members file and withdraw its reservations; recording a check needs
the write scope), the public register and its proofs, and a manifest checked with its files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from distillgov.registry.records import Organisation
from distillgov.registry.registry import Registry
from tests.api.conftest import Served

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "consent"
ROLES = ("public", "holder", "holder_read_only", "other_holder", "distiller", "regulator")
KEY = Ed25519PrivateKey.generate()


def setting(served: Served) -> dict[str, str | None]:
    reg = Registry(served.engine)
    reg.log.initialise("api.example/log", KEY)
    for org in ("maria-ruiz", "news-co", "lab"):
        reg.add(Organisation(id=org, name=org))
    return {
        "public": None,
        "holder": served.account("maria", "rights_holder", "maria-ruiz"),
        "holder_read_only": served.account("maria-ro", "rights_holder", "maria-ruiz", write=False),
        "other_holder": served.account("news", "rights_holder", "news-co"),
        "distiller": served.account("ana", "distiller", "lab"),
        "regulator": served.account("reg", "regulator", None),
    }


def reservation(n: int) -> dict[str, Any]:
    return {
        "id": f"res-{n}",
        "holder": "maria-ruiz",
        "scope": [{"kind": "url_pattern", "value": "https://poems.example/poems/*"}],
    }


def footprint(served: Served) -> tuple[int, ...]:
    with served.engine.connect() as c:
        return tuple(
            c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("log_entries", "cns_reservations", "cns_withdrawals", "cns_reports")
        )


def _check(served: Served, token: str | None, dataset: str | None = None) -> Any:
    files = [("manifest", ("manifest.jsonl", (EXAMPLES / "manifest.jsonl").read_bytes()))]
    for name in ("site/robots.txt", "site/tdmrep.json", "pages/story.html"):
        files.append(("files", (name, (EXAMPLES / name).read_bytes())))
    path = "/api/v1/consent/check" + (f"?dataset={dataset}" if dataset else "")
    with served.client(token) as http:
        return http.post(path, files=files)


def test_every_role_against_every_consent_write(served: Served) -> None:
    tokens = setting(served)
    n = 0
    for action in ("reserve", "withdraw", "record a check"):
        for role in ROLES:
            n += 1
            before = footprint(served)
            if action == "reserve":
                with served.client(tokens[role]) as http:
                    r = http.post("/api/v1/consent/reservations", json=reservation(n))
                allowed = {"holder"}
            elif action == "withdraw":
                with served.client(tokens["holder"]) as http:
                    http.post("/api/v1/consent/reservations", json=reservation(1000 + n))
                before = footprint(served)
                with served.client(tokens[role]) as http:
                    r = http.post(
                        f"/api/v1/consent/reservations/res-{1000 + n}/withdrawal",
                        json={"id": f"wd-{n}"},
                    )
                allowed = {"holder"}
            else:
                r = _check(served, tokens[role], dataset=f"lab/crawl-{n}")
                allowed = {"holder", "other_holder", "distiller", "regulator"}
            if role in allowed:
                assert r.status_code in (200, 201), (action, role, r.text)
                assert footprint(served) != before
                continue
            expected = 401 if role == "public" else 403
            assert r.status_code == expected, (action, role, r.text)
            assert footprint(served) == before, f"{role} refused '{action}' but data changed"


def test_the_register_is_public_and_provable(served: Served) -> None:
    tokens = setting(served)
    with served.client(tokens["holder"]) as http:
        made = http.post("/api/v1/consent/reservations", json=reservation(1)).json()
    Registry(served.engine).log.checkpoint(KEY)
    with served.client() as http:
        listed = http.get("/api/v1/consent/reservations", params={"holder": "maria-ruiz"}).json()
        bundle = http.get("/api/v1/consent/reservations/res-1/proof").json()
    assert [r["id"] for r in listed] == ["res-1"]
    assert bundle["index"] == made["entry"]
    assert json.loads(bundle["entry"])["kind"] == "reservation"


def test_a_manifest_checked_with_its_files_and_a_bad_reservation_refused(served: Served) -> None:
    tokens = setting(served)
    r = _check(served, tokens["distiller"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["summary"]["items"] == 5 and len(body["items"]) == 5
    story = next(i for i in body["items"] if i["url"].endswith("harbour-story"))
    assert story["status"] == "reserved" and "HTML meta" in story["signals"]
    with served.client(tokens["holder"]) as http:
        bad = http.post("/api/v1/consent/reservations", json={**reservation(2), "scope": []})
    assert bad.status_code == 422 and "scope" in bad.text


def test_a_rights_holder_sees_only_where_its_own_works_were_reported(served: Served) -> None:
    tokens = setting(served)
    with served.client(tokens["holder"]) as http:
        http.post(
            "/api/v1/consent/reservations",
            json={**reservation(1), "scope": [{"kind": "domain", "value": "blog.example"}]},
        )
    # Captured today: the reservation, filed today, is in force for it.
    today = dt.date.today().isoformat()
    line = json.dumps({"url": "https://blog.example/post/1", "captured_at": today}) + "\n"
    with served.client(tokens["distiller"]) as http:
        done = http.post(
            "/api/v1/consent/check?dataset=lab/crawl",
            files=[("manifest", ("m.jsonl", line.encode()))],
        )
    assert done.status_code == 200, done.text
    with served.client(tokens["holder"]) as http:
        mine = http.get("/api/v1/consent/where").json()
    assert [(w["dataset"], w["reservations"]) for w in mine] == [("lab/crawl", {"res-1": 1})]
    with served.client(tokens["other_holder"]) as http:
        assert http.get("/api/v1/consent/where").json() == []
    with served.client(tokens["regulator"]) as http:
        assert http.get("/api/v1/consent/where").status_code == 403
    with served.client() as http:
        assert http.get("/api/v1/consent/where").status_code == 401
