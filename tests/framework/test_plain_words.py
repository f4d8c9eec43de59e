"""Plain words (issue #17 item 1): one vocabulary with a label for every category, rule,
obligation, fact, fact value, lever, lever value and cited table row the code can produce, and
the outcome said in a sentence a founder can act on."""

from __future__ import annotations

from distillgov.assessment.assess import assess_case
from distillgov.assessment.render import text
from distillgov.framework import plain
from distillgov.framework.case import FACTS
from distillgov.framework.citations import ROWS
from distillgov.framework.rules import OBLIGATIONS
from distillgov.framework.vocabulary import Category, ObligationStatus, Rule
from distillgov.jurisdictions import LEVERS, load_builtin
from tests.conftest import make_case

ON = __import__("datetime").date(2025, 3, 1)


def test_every_identifier_has_plain_words() -> None:
    w = plain.words()
    missing = [f"category {c}" for c in Category if c.value not in w["categories"]]
    missing += [f"rule {r}" for r in Rule if r.value not in w["rules"]]
    missing += [f"status {s}" for s in ObligationStatus if s.value not in w["statuses"]]
    missing += [f"obligation {o.id}" for o in OBLIGATIONS if o.id not in w["obligations"]]
    missing += [f"fact {f}" for f in FACTS if f not in w["facts"]]
    for name, spec in FACTS.items():
        if spec.kind == "enum":
            missing += [f"{name}={v}" for v in spec.domain if v not in w["values"].get(name, {})]
    missing += [f"lever {k}" for k in LEVERS if k not in w["levers"]]
    for name, lever in LEVERS.items():
        if lever.kind in ("enum", "set"):
            values = w["lever_values"].get(name, {})
            missing += [f"{name}={v}" for v in lever.choices if v not in values]
    for table, rows in ROWS.items():
        missing += [f"{table}/{r}" for r in rows if r not in w["tables"][table]["rows"]]
    assert missing == []
    every_label = [e["label"] for kind in ("categories", "rules", "obligations", "facts")
                   for e in w[kind].values()]  # fmt: skip
    assert all(label and "_" not in label for label in every_label)


def test_the_outcome_reads_as_a_sentence() -> None:
    cloning = assess_case(make_case(), load_builtin("cn"), ON)
    assert (cloning.category, cloning.rule, cloning.compliant) == (
        "commercial_cloning", "compulsory_license", True,
    )  # fmt: skip
    said = plain.headline(cloning.category, cloning.rule, cloning.compliant, cloning.royalty)
    assert said == (
        "Allowed under a compulsory licence — you pay a royalty until 13 Nov 2026. "
        "You meet its conditions."
    )
    assert said in " ".join(text(cloning).split())  # the text output says it too
    assert plain.headline(None, None, None, {}) == plain.words()["undetermined"]
    assert plain.headline("illicit", "prohibited", False, {}) == (
        "Not allowed. You do not yet meet its conditions."
    )


def test_values_and_citations_read_plainly() -> None:
    assert plain.value_label("access", "public_api_within_terms") == (
        "The public API, within its terms"
    )
    assert plain.value_label("royalty.compulsory_licence_trigger", "proven_abuse") == (
        "Only after the owner's abuse is proven"
    )
    assert plain.value_label("teacher.weights_public", True) == "yes"
    source = {"table": "adjustments", "row": "royalty_rules", "column": "cn"}
    assert plain.cite(source) == "Adjustments by legal system — Royalty rules (China)"
    assert plain.anchor(source) == "adjustments-royalty_rules"
    assert plain.explain("levers", "exclusivity.months") == LEVERS["exclusivity.months"].meaning
    assert plain.explain("facts", "access") == FACTS["access"].question
