"""The web app in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
the wizard for two cases, a lineage graph, a proof verified in the browser, and a usage upload
with a bad row refused."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from distillgov.assessment.assess import assess_case
from distillgov.assessment.casefiles import load_case
from distillgov.jurisdictions import load_builtin
from distillgov.licensing.licences import open_licence
from distillgov.registry.records import (
    BaseModelLink,
    Disclosure,
    Model,
    ModelAmendment,
    Organisation,
)
from distillgov.registry.registry import Registry
from tests.api.conftest import Served
from tests.licensing.conftest import pay_all

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("DISTILLGOV_CHROMIUM", "/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("served", ["sqlite"], indirect=True)]


@pytest.fixture
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield b
        b.close()


# axe-core, from the npm registry: `make setup` installs it beside the virtual environment.
AXE = ROOT / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
PUBLIC_PAGES = ["/", "/assess", "/registry", "/jurisdictions", "/licensing", "/payouts",
                "/consent", "/requests", "/overview", "/watch-terms", "/framework"]  # fmt: skip


def fits_and_passes_axe(page: object, where: str) -> None:
    """No sideways scroll at the page's width, and no serious or critical axe-core finding."""
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no axe-core at {AXE}: make setup installs it with npm")
        pytest.skip(f"no axe-core at {AXE} (npm install --prefix .venv/npm axe-core)")
    scroll, client = page.evaluate(  # type: ignore[attr-defined]
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{where}: {scroll} px wide in a {client} px window"
    page.evaluate(AXE.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    found = page.evaluate(  # type: ignore[attr-defined]
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    assert found == [], f"{where}: {found}"


def answer_step(page: object, answers: dict[str, str]) -> None:
    """Answer the questions of a step that the wizard asks; one the earlier answers settle is
    not on the page (it says so), and a user could not answer it."""
    for fact, value in answers.items():
        name = "q-" + fact.replace(".", "-")
        page.wait_for_selector("form:not([data-checking])", state="attached")  # type: ignore[attr-defined]
        if not page.locator(f"#{name}:visible").count():  # type: ignore[attr-defined]
            assert "Not asked, because your answers settle them" in page.inner_text("form")  # type: ignore[attr-defined]
            continue
        if page.locator(f"input[type=radio][name='{name}']").count():  # type: ignore[attr-defined]
            page.check(f"input[type=radio][name='{name}'][value='{value}']")  # type: ignore[attr-defined]
        else:
            page.fill(f"#{name}", value)  # type: ignore[attr-defined]


def run_wizard(
    page: object, base: str, steps: list[dict[str, str]], jurisdiction: str, on: str
) -> str:
    page.goto(f"{base}/assess")  # type: ignore[attr-defined]
    page.evaluate("sessionStorage.clear()")  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]
    for number, answers in enumerate(steps, start=1):
        page.wait_for_selector(f"text=Step {number} of 10")  # type: ignore[attr-defined]
        answer_step(page, answers)
        page.click("button:has-text('Next')")  # type: ignore[attr-defined]
    page.select_option("#jurisdiction", jurisdiction)  # type: ignore[attr-defined]
    page.fill("#on", on)  # type: ignore[attr-defined]
    page.click("button:has-text('Review')")  # type: ignore[attr-defined]
    page.wait_for_selector("text=Check your answers")  # type: ignore[attr-defined]
    page.click("button:has-text('Get the determination')")  # type: ignore[attr-defined]
    page.wait_for_selector(".outcome")  # type: ignore[attr-defined]
    return str(page.inner_text("#result"))  # type: ignore[attr-defined]


CLONE = [
    {"teacher.release_date": "2024-05-13", "teacher.weights_public": "false",
     "teacher.outputs_public": "true", "teacher.abuse_proven": "false",
     "teacher.terms.forbids_distillation": "false"},
    {"distiller.same_owner_as_teacher": "false", "consent.granted": "false"},
    {"access": "public_api_within_terms"},
    {"purpose": "commercial_product", "deployment": "commercial",
     "market_relation": "direct_substitute", "commercial_release_date": "2025-01-20"},
    {"output_use.training": "true", "volume.outputs": "2000000", "volume.one_off": "false"},
    {"creative_works_at_scale": "false", "personal_data.involved": "false"},
    {"safety.evaluated": "true", "safety.improvements_shared": "false", "safety.unsafe_use": "false"},
    {"transparency.disclosure_filed": "true", "transparency.filed_on": "2025-01-10"},
]  # fmt: skip


def test_the_wizard_for_two_cases_with_back_and_forward(served: Served, browser: object) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    text = run_wizard(page, served.url, CLONE, "cn", "2025-03-01")
    # The outcome in plain words (issue #17 items 1 and 4), what to do before what is unknown.
    assert text.splitlines()[2] == (
        "Allowed under a compulsory licence — you pay a royalty until 13 Nov 2026. "
        "You meet its conditions."
    )
    assert "A commercial copy of the teacher" in text and "compulsory_license" not in text
    assert text.index("What you must do") < text.index("Royalty window")
    assert "Report usage and pay the royalty — until 13 Nov 2026" in text
    page.set_viewport_size({"width": 360, "height": 800})
    fits_and_passes_axe(page, "the determination at 360 px")
    assert "2024-11-13" in text and "2026-11-13" in text  # the royalty window on its timeline
    assert "Download the determination letter" in text
    page.click("summary >> nth=0")
    source = page.locator("details[open] .cite a").first
    assert source.inner_text().startswith("Kinds of distillation and their rules — ")
    assert (source.get_attribute("href") or "").startswith("/framework#types-")
    # Back and forward keep every answer; unknown stays unknown.
    page.click("button:has-text('Change answers')")
    page.wait_for_selector("text=Check your answers")
    assert "The public API, within its terms" in page.inner_text("#wizard")
    assert "China" in page.inner_text("#wizard")
    fits_and_passes_axe(page, "check your answers at 360 px")
    # Each answer's Change link returns to its step, focused on its question, then straight
    # back to the check (issue #17 item 3).
    page.click("a.change:has-text('How were the teacher')")
    page.wait_for_selector("input[name='q-access']:focus")
    page.check("input[name='q-access'][value='intrusion']")
    page.click("button:has-text('Save and return to check your answers')")
    page.wait_for_selector("text=Check your answers")
    assert "By breaking in" in page.inner_text("#wizard")
    page.click("a.change:has-text('Jurisdiction')")
    page.wait_for_selector("#jurisdiction:focus")
    page.click("button:has-text('Save and return to check your answers')")
    page.click("button:has-text('Get the determination')")
    page.wait_for_selector(".outcome")
    assert "Not allowed." in page.inner_text("#result")
    illicit = [*CLONE[:2], {"access": "intrusion"}, *CLONE[3:]]
    text = run_wizard(page, served.url, illicit, "us", "2025-03-01")
    assert "Not allowed. You do not yet meet its conditions." in text
    assert "Distillation by improper means" in text
    unknown = [*CLONE[:2], {"access": ""}, *CLONE[3:]]
    text = run_wizard(page, served.url, unknown, "us", "2025-03-01")
    assert "What we still need to know" in text
    assert text.index("What you must do") < text.index("What we still need to know")
    assert (
        "If By breaking in: Distillation by improper means — not allowed (and you would not "
        "meet its conditions)" in text
    )


def test_a_lineage_graph_and_a_proof_verified_in_the_browser(
    served: Served, browser: object
) -> None:
    reg = Registry(served.engine)
    key = Ed25519PrivateKey.generate()
    reg.log.initialise("web.example/log", key)
    reg.add(Organisation(id="lab", name="A Lab"))
    for m in ("big-1", "mid-1", "tiny-1"):
        reg.add(Model(id=m, name=m.title(), owner="lab"))
    for student, teacher in (("mid-1", "big-1"), ("tiny-1", "mid-1")):
        reg.add(
            Disclosure.model_validate(
                {
                    "id": f"d-{student}",
                    "student": student,
                    "teachers": [{"model": teacher, "signal": "logits"}],
                    "method_summary": "Logits.",
                    "data_sources_summary": "Outputs.",
                    "filed_on": "2025-01-01",
                }
            )
        )
    reg.add(Model(id="base-0", name="Base-0", owner="lab"))
    reg.add(
        ModelAmendment(
            id="tiny-1.card",
            model="tiny-1",
            base_models=[BaseModelLink(model="base-0", relation="finetune")],
            source="its model card",
        )
    )
    reg.log.checkpoint(key)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{served.url}/registry?q=tiny")
    page.click("text=Tiny-1")
    assert page.locator("#lineage svg text", has_text="big-1").count() == 1
    # The base named later by an amendment: drawn dashed, and the amendment listed.
    assert page.locator("#lineage svg line[stroke-dasharray]").count() == 1
    assert "Completed later by amendment tiny-1.card" in page.inner_text("main")
    page.click("#lineage svg a:has-text('mid-1')")  # the graph is a way around the registry
    page.wait_for_url("**/registry/models/mid-1")
    page.click("button.verify >> nth=0")
    verdict = page.locator("output.verdict >> nth=0")
    verdict.wait_for(state="visible")
    page.wait_for_function("document.querySelector('output.verdict').className.includes(' ')")
    assert verdict.inner_text().startswith("Verified in your browser: entry")
    assert "the key this server sent, now pinned in this browser" in verdict.inner_text()
    assert "Method: Logits." in page.content()  # the summary the transparency duty asks for
    # A server that later sends another key is not believed: the pinned one decides.
    page.evaluate(
        "localStorage.setItem('distillgov.pinnedVerifierKey', 'other.example/log+00000000+AQ==')"
    )
    page.reload()
    page.click("button.verify >> nth=0")
    page.wait_for_function("document.querySelector('output.verdict').className.includes('bad')")
    assert "Not verified" in page.locator("output.verdict >> nth=0").inner_text()
    page.evaluate("localStorage.removeItem('distillgov.pinnedVerifierKey')")
    # The browser checks for itself: a tampered entry does not verify.
    from sqlalchemy import text

    with served.engine.begin() as c:
        c.execute(text("UPDATE log_entries SET body = REPLACE(body, 'Logits.', 'Other.')"))
    page.goto(f"{served.url}/registry/models/tiny-1")  # a record not yet served
    page.click("button.verify[data-record='d-tiny-1']")
    page.wait_for_function(
        "document.querySelector(\"output.verdict[for='d-tiny-1']\").className.includes('bad')"
    )
    assert "Not verified" in page.locator("output.verdict[for='d-tiny-1']").inner_text()


def test_a_usage_upload_with_a_bad_row_is_refused_in_the_page(
    served: Served, browser: object, tmp_path: Path
) -> None:
    case = load_case(ROOT / "examples/cases/startup-clones-chat-model-via-public-api.yaml")
    profile, day = load_builtin("global_south"), dt.date(2025, 3, 1)
    open_licence(
        served.engine, assess_case(case, profile, day), case, profile, day, "s-1", "lic-gs"
    )
    token = served.account("cc", "distiller", "cheap-chat-inc")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "licence,period,units,revenue,currency\nlic-gs,2025-13,10,1.00,USD\nlic-gs,2025-04,10,1.00,EUR\n"
    )
    good = tmp_path / "good.csv"
    good.write_text("licence,period,units,revenue,currency\nlic-gs,2025-04,1000,10.00,USD\n")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{served.url}/licensing")
    page.fill("#token", token)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("#licences:not([hidden]) td:has-text('lic-gs')")
    page.set_input_files("#report", str(bad))
    page.click("button:has-text('Upload')")
    page.wait_for_selector("#upload-result .problem")
    report = page.inner_text("#upload-result")
    assert "refused, 2 bad row(s) of 2; nothing was kept" in report
    assert 'line 2: period "2025-13" — must be YYYY-MM' in report
    assert 'line 3: currency "EUR" — not the licence\'s currency (USD)' in report
    page.set_input_files("#report", str(good))
    page.click("button:has-text('Upload')")
    page.wait_for_selector("#upload-result:has-text('accepted')")


def test_a_rights_holder_sees_its_payouts_and_a_regulator_the_overview(
    served: Served, browser: object
) -> None:
    from distillgov.licensing.pool import Claim, distribute, register_claims
    from distillgov.licensing.settlement import settle
    from distillgov.licensing.tariffs import builtin
    from distillgov.licensing.usage import ingest, report_files

    case = load_case(ROOT / "examples/cases/startup-clones-chat-model-via-public-api.yaml")
    profile, day = load_builtin("global_south"), dt.date(2025, 3, 1)
    open_licence(
        served.engine,
        assess_case(case, profile, day),
        case,
        profile,
        day,
        "s-1",
        "lic-cheap-chat-gs",
    )
    ingest(served.engine, ROOT / "examples/usage/cheap-chat-gs-2025.jsonl", folder=served.data_dir)
    on = dt.date(2025, 7, 1)
    settle(served.engine, report_files(served.engine, served.data_dir), on)
    pay_all(served.engine, on)  # the pool shares out what licensees paid
    register_claims(
        served.engine,
        "global_south",
        [
            Claim("c-ruiz", "maria-ruiz", "Poems", 35, True),
            Claim("c-news", "news", "News", 1480, True),
        ],
        on,
    )
    distribute(served.engine, "global_south", "USD", builtin("global_south").as_of(on).pool, on)
    creator = served.account("maria", "rights_holder", "maria-ruiz")
    regulator = served.account("reg", "regulator", None)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{served.url}/payouts")
    page.fill("#token", creator)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("#payouts:not([hidden]) td:has-text('c-ruiz')")
    assert "c-news" not in page.inner_text("#payouts")  # only its own lines
    # Collected for the pool 1,066.29, less 8 % (85.30): 35/1,515 of 980.99 is 22.663...
    assert "Paid in all: 22.66 USD" in page.inner_text("#payouts .totals")
    page.set_viewport_size({"width": 360, "height": 800})
    fits_and_passes_axe(page, "payouts at 360 px")
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("#signin:not([hidden])")
    page.goto(f"{served.url}/overview")
    page.fill("#token", regulator)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("#overview:not([hidden]) td:has-text('lic-cheap-chat-gs')")
    assert page.inner_text("#royalties") == "2665.73 USD"
    fits_and_passes_axe(page, "the overview at 360 px")


def test_privacy_requests_filed_worked_and_watched_in_the_page(
    served: Served, browser: object
) -> None:
    from distillgov.requests import store

    reg = Registry(served.engine)
    reg.log.initialise("web.example/log", Ed25519PrivateKey.generate())
    for org in ("acme", "lab"):
        reg.add(Organisation(id=org, name=org.title()))
    reg.add(Model(id="acme-t", name="T", owner="acme", datasets=["acme/forum-posts"]))
    reg.add(Model(id="lab-s", name="S", owner="lab"))
    reg.add(
        Disclosure.model_validate(
            {"id": "d-lab-s", "student": "lab-s",
             "teachers": [{"model": "acme-t", "signal": "logits"}],
             "method_summary": "Logit distillation.", "data_sources_summary": "Prompts.",
             "filed_on": "2026-01-10"}
        )
    )  # fmt: skip
    late = store.parse_form(
        {"kind": "access", "organisation": "lab", "received_on": "2026-01-05",
         "subject": {"email": "old@example.org"}}
    )  # fmt: skip
    late_id = store.file_request(served.engine, late, load_builtin("us"), None, dt.date.today())[
        "id"
    ]
    subject = served.account("ada", "data_subject", None)
    acme = served.account("acme-dpo", "distiller", "acme")
    lab = served.account("lab-dpo", "distiller", "lab")
    regulator = served.account("reg", "regulator", None)
    page = browser.new_page()  # type: ignore[attr-defined]

    def sign_in(token: str) -> None:
        page.goto(f"{served.url}/requests")
        page.fill("#token", token)
        page.click("button:has-text('Sign in')")
        page.wait_for_selector("#mine:not([hidden])")

    sign_in(subject)
    page.select_option("#kind", "deletion")
    page.fill("#organisation", "nobody")
    page.fill("#dataset", "acme/forum-posts")
    page.fill("#email", "ada@example.org")
    page.click("button:has-text('Send the request')")
    page.wait_for_selector("#file-result.problem")
    assert "no such organisation in the registry" in page.inner_text("#file-result")
    page.fill("#organisation", "acme")
    page.click("button:has-text('Send the request')")
    page.wait_for_selector("#file-result:has-text('an answer is due by')")
    page.wait_for_selector("#mine td:has-text('acme')")
    assert late_id not in page.inner_text("#mine")  # only the subject's own requests
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("#signin:not([hidden])")

    sign_in(acme)
    page.click("#mine tbody a")
    page.wait_for_selector("#steps:not([hidden])")
    for action in ("Acknowledge", "Verify", "Fulfil"):
        page.click(f"#steps button:has-text('{action}')")
        page.wait_for_selector(f"#step-result:has-text('Done: {action.lower()}')")
    page.wait_for_selector("#detail .summary:has-text('fulfilled')")
    assert "lab-s (lab): exclude from training" in page.inner_text("#detail .duties")
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("#signin:not([hidden])")

    sign_in(lab)
    page.wait_for_selector("#duties:not([hidden]) td:has-text('lab-s')")
    page.click("#duties button:has-text('Mark carried out')")
    page.wait_for_selector("#duties td:has-text('closed')")
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("#signin:not([hidden])")

    sign_in(regulator)
    page.wait_for_selector(f"#overdue:not([hidden]) td:has-text('{late_id}')")
    assert "acknowledge, response" in page.inner_text("#overdue")


def test_a_creator_reserves_and_a_distiller_checks_in_the_page(
    served: Served, browser: object
) -> None:
    reg = Registry(served.engine)
    reg.log.initialise("web.example/log", Ed25519PrivateKey.generate())
    reg.add(Organisation(id="maria-ruiz", name="Maria Ruiz"))
    reg.add(Organisation(id="lab", name="Lab"))
    creator = served.account("maria", "rights_holder", "maria-ruiz")
    distiller = served.account("ana", "distiller", "lab")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{served.url}/consent")
    page.fill("#token", creator)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("#creator:not([hidden])")
    page.fill("#res-id", "res-poems")
    page.fill("#scope", "url_pattern poems.example/poems/*")  # no scheme: refused
    page.click("button:has-text('File the reservation')")
    page.wait_for_selector("#reserve-result.problem")
    assert "url_pattern" in page.inner_text("#reserve-result")
    page.fill("#scope", "url_pattern https://poems.example/poems/*\nwork iswc:T-345.246.800-1")
    page.click("button:has-text('File the reservation')")
    page.wait_for_selector("#reserve-result:has-text('logged as entry')")
    page.wait_for_selector("#mine td:has-text('res-poems')")
    page.click("#mine button:has-text('Withdraw')")
    page.wait_for_selector("#mine td:has-text('withdrawn')")
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("#signin:not([hidden])")
    page.fill("#token", distiller)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("#distiller:not([hidden])")
    assert page.is_hidden("#creator")
    examples = ROOT / "examples" / "consent"
    page.set_input_files("#manifest", str(examples / "manifest.jsonl"))
    page.set_input_files("#signal-files", [str(examples / "site" / "robots.txt"),
                                           str(examples / "site" / "tdmrep.json"),
                                           str(examples / "pages" / "story.html")])  # fmt: skip
    page.click("button:has-text('Check')")
    page.wait_for_selector("#check-result:has-text('item(s)')")
    assert "5 item(s)" in page.inner_text("#check-result")
    page.wait_for_selector("#items td:has-text('harbour-story')")


def test_the_terms_watch_page_its_chart_csv_and_the_concentration_route(
    served: Served, browser: object
) -> None:
    """Issue #18 item 4 through the service: the page a regulator reads, its chart loaded as an
    image, its CSV downloads, and concentration from shares sent (refused naming the row)."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    page.goto(f"{served.url}/watch-terms?on=2026-01-01")
    assert "as of 2026-01-01" in page.inner_text("#basis")
    rows = page.locator("#series tbody tr")
    yearly = rows.count()
    assert yearly >= 5 and rows.last.locator("th").inner_text() == "2026-01-01"
    loaded = page.evaluate("() => document.querySelector('figure img').naturalWidth")
    assert loaded > 300  # the chart is an image the page's policy lets it show
    binding = page.inner_text("#binding")
    assert "us: enforceable" in binding and "global_south: void" in binding
    page.click("text=quarter")
    assert "every=quarter" in page.url and "on=2026-01-01" in page.url
    assert rows.count() > yearly and "as of 2026-01-01" in page.inner_text("#basis")
    http = served.client()
    series = http.get("/api/v1/watch-terms", params={"table": "series", "to": "2026-01-01"})
    assert series.headers["content-type"].startswith("text/csv")
    first = series.text.splitlines()[0].split(",")
    assert first[:2] == ["as_of", "tracked"] and first[-1] == "computed_from"
    report = http.get("/api/v1/watch-terms", params={"to": "2026-01-01", "every": "year"}).json()
    assert report["series"][-1]["as_of"] == "2026-01-01"
    assert http.get("/api/v1/watch-terms", params={"every": "decade"}).status_code == 422
    shares = [
        {"supplier": "OpenAI", "share_percent": "50", "source": "a study", "as_of": "2026-01-01"},
        {"supplier": "deepseek", "share_percent": "20", "source": "a study", "as_of": "2026-01-01"},
    ]
    hhi = http.post("/api/v1/watch-terms/concentration", json={"shares": shares}).json()
    assert hhi["concentration"]["hhi_all_listed"] == "2900.00"  # 50² + 20²
    assert hhi["concentration"]["hhi_distillable"] == "10000.00"  # DeepSeek alone grants it
    shares[1]["supplier"] = "nobody"
    refused = http.post("/api/v1/watch-terms/concentration", json={"shares": shares})
    assert refused.status_code == 422
    assert "row 2, field 'supplier', value 'nobody'" in refused.text


@pytest.mark.parametrize("width", [360, 1280])
def test_every_page_fits_a_phone_and_passes_axe(
    served: Served, browser: object, width: int
) -> None:
    """Issue #17 items 6 and 7 for the pages anyone can open, and for a model page with its
    lineage graph (whose boxes are links)."""
    reg = Registry(served.engine)
    reg.log.initialise("web.example/log", Ed25519PrivateKey.generate())
    reg.add(Organisation(id="acme", name="Acme"))
    reg.add(Model(id="acme/teacher", name="Teacher", owner="acme"))
    reg.add(Model(id="acme/student-with-a-long-name", name="Student", owner="acme"))
    reg.add(
        Disclosure.model_validate(
            {"id": "d-s", "student": "acme/student-with-a-long-name", "filed_on": "2025-01-10",
             "teachers": [{"model": "acme/teacher", "signal": "logits"}],
             "method_summary": "Logits.", "data_sources_summary": "Outputs."}
        )
    )  # fmt: skip
    page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    for path in [*PUBLIC_PAGES, "/registry/models/acme/student-with-a-long-name"]:
        page.goto(f"{served.url}{path}")
        page.wait_for_load_state("networkidle")
        fits_and_passes_axe(page, f"{path} at {width} px")


def test_the_letter_names_its_decision_and_prints_whole(served: Served, browser: object) -> None:
    """Issue #17 item 4, in part: the letter ties back to the decision log, and printing it (or
    saving it as PDF from the browser) shows every folded step of the reasoning."""
    case = json.loads(
        json.dumps(
            yaml.safe_load(
                (ROOT / "examples/cases/startup-clones-chat-model-via-public-api.yaml").read_text()
            ),
            default=str,
        )
    )
    http = served.client()
    made = http.post("/api/v1/assessments", json={"case": case, "jurisdiction": "cn"}).json()
    letter = http.get(f"/api/v1/decisions/{made['decision_id']}/letter").text
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_content(letter)
    assert page.inner_text("#decision-id") == made["decision_id"]
    recheck = page.get_attribute("a[href$='/recheck']", "href")
    assert http.get(str(recheck)).json()["same_output"] is True
    step = page.locator("details p").first
    assert not step.is_visible()  # folded on screen
    page.emulate_media(media="print")
    assert step.is_visible()  # open on paper


def test_a_teacher_picked_from_the_catalogue_and_a_country_that_suggests_a_profile(
    served: Served, browser: object
) -> None:
    """Issue #17 item 2, in part: a catalogue teacher fills what the user leaves unknown (the
    user's answers still win), and a country suggests its profile, shown and overridable."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    page.goto(f"{served.url}/assess")
    page.evaluate("sessionStorage.clear()")
    page.reload()
    page.wait_for_selector("text=Step 1 of 10")
    page.select_option("#teacher-id", "gpt-4o")
    assert "GPT-4o (OpenAI)" in page.inner_text("#teacher-note")
    assert "terms in force on" in page.inner_text("#teacher-note")
    for _ in range(8):  # every step left as "Don't know"
        page.click("button:has-text('Next')")
    page.select_option("#country", "BR")
    assert page.input_value("#jurisdiction") == "global_south"
    assert "Global South profile" in page.inner_text("#country-note")
    page.select_option("#jurisdiction", "us")  # the user overrides the suggestion
    page.fill("#on", "2025-03-01")
    page.click("button:has-text('Review')")
    page.wait_for_selector("text=Check your answers")
    checked = page.inner_text("#wizard")
    assert "GPT-4o — OpenAI" in checked and "United States" in checked
    page.click("button:has-text('Get the determination')")
    page.wait_for_selector(".outcome")
    result = page.inner_text("#result")
    assert "Filled in from the catalogue" in result
    assert "Teacher's terms forbid distillation: yes" in result


def test_contradictory_answers_are_pointed_out_on_their_step(
    served: Served, browser: object
) -> None:
    """Issue #17 item 2, in part: a contradiction is shown on the step where it occurs, with
    the case model's reason, and the wizard stays there until it is resolved."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    page.goto(f"{served.url}/assess")
    page.evaluate("sessionStorage.clear()")
    page.reload()
    page.wait_for_selector("text=Step 1 of 10")
    page.click("button:has-text('Next')")
    page.wait_for_selector("text=Step 2 of 10")
    answer_step(page, {"distiller.same_owner_as_teacher": "false"})
    page.click("button:has-text('Next')")
    page.wait_for_selector("text=Step 3 of 10")
    answer_step(page, {"access": "internal"})
    page.click("button:has-text('Next')")
    summary = page.wait_for_selector(".error-summary")
    assert "internal access means the distiller belongs to the teacher's owner" in (
        summary.inner_text()
    )
    assert page.evaluate("document.activeElement.className") == "error-summary"
    assert "Step 3 of 10" in page.inner_text("#wizard")  # it stays on the step
    answer_step(page, {"access": "licensed_api"})
    page.click("button:has-text('Next')")
    page.wait_for_selector("text=Step 4 of 10")
    http = served.client()
    refused = http.post("/api/v1/wizard/check", json={"answers": {"transparency.filed_on": "May"}})
    assert refused.status_code == 422 and "transparency.filed_on" in refused.text


def test_questions_the_answers_settle_are_not_asked(served: Served, browser: object) -> None:
    """Issue #17 item 2, in part: no personal data, no privacy questions — shown again when the
    answer changes; skipped questions are not listed for checking either."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    page.goto(f"{served.url}/assess")
    page.evaluate("sessionStorage.clear()")
    page.reload()
    page.wait_for_selector("text=Step 1 of 10")
    for number in range(2, 7):
        page.click("button:has-text('Next')")
        page.wait_for_selector(f"text=Step {number} of 10")
    safeguards = "#q-personal_data-minimisation"
    assert page.is_visible(safeguards)
    page.check("input[name='q-personal_data-involved'][value='false']")
    page.wait_for_selector(safeguards, state="hidden")
    assert "Personal data minimised" in page.inner_text(".skipped")
    page.check("input[name='q-personal_data-involved'][value='true']")
    page.wait_for_selector(safeguards, state="visible")
    page.check("input[name='q-personal_data-involved'][value='false']")
    page.wait_for_selector(safeguards, state="hidden")
    for number in range(7, 10):
        page.click("button:has-text('Next')")
        page.wait_for_selector(f"text=Step {number} of 10")
    page.select_option("#jurisdiction", "us")
    page.click("button:has-text('Review')")
    page.wait_for_selector("text=Check your answers")
    assert "minimised" not in page.inner_text("#wizard")  # not asked, so not listed
