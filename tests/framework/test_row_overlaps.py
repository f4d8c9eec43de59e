"""Which decision rows could both fire, and why the declared priority decides each such pair (#13,
item 8, in the spirit of Catala's exceptions: every overlap is an exception on purpose).

Each row's condition is evaluated over every combination of the values its inputs can take (all
finite: booleans, enums, the phase). The derived concepts a row reads are treated as free,
which over-approximates: a pair listed here may be impossible for real facts, never the reverse.
A new overlap without a declared reason fails, and so does a declaration no overlap needs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from distillgov.framework.case import FACTS
from distillgov.framework.levers import LEVERS
from distillgov.framework.logic import Branch, fact, is_
from distillgov.framework.rules import DECISION, PROGRAM
from distillgov.framework.scalar import compile_expr
from distillgov.framework.vocabulary import Phase

_BAN = "improper means defeat every safe harbour and every other category (types/illicit)"
_CONSENT = (
    "with the rights-holder's consent the licence governs, not the default rules (types/authorized)"
)
_DE_MINIMIS = "a trivial one-off use triggers no licence or royalty, whatever else holds (policies/de_minimis)"
_RESEARCH = (
    "bona fide research within the carve-out is exempt before any market rule (types/research)"
)
_NOT_LEARNT = "a student that learns nothing from the outputs is not distilled from the teacher (interpretation 79)"
_INTERNAL = "an undeployed student substitutes for nothing in the market (interpretation 79)"
_PHASE = "after the window closes a substitute is royalty-free even if the owner never consented (types/commercial_cloning)"
_LICENCE = "an open compulsory licence replaces the owner's consent in the window (types/commercial_cloning)"

# (earlier row, later row): why the earlier one wins where both hold. Written out pair by pair.
DECLARED: dict[tuple[str, str], str] = {
    **{
        ("illicit_improper_means", later): _BAN
        for later in (
            "authorized_by_consent",
            "de_minimis_use",
            "research_exemption",
            "not_distillation",
            "internal_experiment",
            "cloning_royalty_free",
            "cloning_compulsory_licence",
            "cloning_needs_consent",
            "transformative_use",
        )
    },
    **{
        ("authorized_by_consent", later): _CONSENT
        for later in (
            "de_minimis_use",
            "research_exemption",
            "not_distillation",
            "internal_experiment",
            "cloning_royalty_free",
            "cloning_compulsory_licence",
            "cloning_needs_consent",
            "transformative_use",
        )
    },
    **{
        ("de_minimis_use", later): _DE_MINIMIS
        for later in (
            "research_exemption",
            "not_distillation",
            "internal_experiment",
            "cloning_royalty_free",
            "cloning_compulsory_licence",
            "cloning_needs_consent",
            "transformative_use",
        )
    },
    **{
        ("research_exemption", later): _RESEARCH
        for later in (
            "not_distillation",
            "internal_experiment",
            "cloning_royalty_free",
            "cloning_compulsory_licence",
            "cloning_needs_consent",
            "transformative_use",
        )
    },
    **{
        ("not_distillation", later): _NOT_LEARNT
        for later in (
            "internal_experiment",
            "cloning_royalty_free",
            "cloning_compulsory_licence",
            "cloning_needs_consent",
            "transformative_use",
        )
    },
    **{
        ("internal_experiment", later): _INTERNAL
        for later in (
            "cloning_royalty_free",
            "cloning_compulsory_licence",
            "cloning_needs_consent",
            "transformative_use",
        )
    },
    ("cloning_royalty_free", "cloning_needs_consent"): _PHASE,
    ("cloning_compulsory_licence", "cloning_needs_consent"): _LICENCE,
}


def _domain(name: str) -> tuple[Any, ...]:
    if name in FACTS:
        return FACTS[name].domain
    if name == "phase":
        return tuple(p.value for p in Phase)
    assert PROGRAM.kinds.get(name) == "bool", f"no finite domain for {name}"
    return (True, False)


def _lever_domain(name: str) -> tuple[Any, ...]:
    lever = LEVERS[name]
    return (True, False) if lever.kind == "bool" else lever.choices


def overlaps(rows: Sequence[Branch]) -> set[tuple[str, str]]:
    """Every ordered pair (earlier, later) of rows whose conditions can both hold."""
    compiled = [compile_expr(r.when) for r in rows]
    found: set[tuple[str, str]] = set()
    for (i, a), (j, b) in itertools.combinations(enumerate(rows), 2):
        names = sorted(a.when.names() | b.when.names())
        levers = sorted(a.when.params() | b.when.params())
        for values in itertools.product(*(_domain(n) for n in names)):
            env = dict(zip(names, values, strict=True))
            for lever_values in itertools.product(*(_lever_domain(p) for p in levers)):
                params = dict(zip(levers, lever_values, strict=True))
                if compiled[i](env, params) is True and compiled[j](env, params) is True:
                    found.add((a.id, b.id))
                    break
            else:
                continue
            break
    return found


def test_every_overlap_of_the_decision_rows_is_declared_on_purpose() -> None:
    found = overlaps(DECISION.branches)
    undeclared = sorted(found - set(DECLARED))
    stale = sorted(set(DECLARED) - found)
    assert not undeclared, f"rows that can both fire with no declared priority: {undeclared}"
    assert not stale, f"declared overlaps that cannot happen: {stale}"


def test_exclusive_rows_are_exclusive() -> None:
    found = overlaps(DECISION.branches)
    # The phase separates the royalty-free and licensed rows; the market relation separates
    # cloning from transformative use.
    assert ("cloning_royalty_free", "cloning_compulsory_licence") not in found
    for cloning in ("cloning_royalty_free", "cloning_compulsory_licence", "cloning_needs_consent"):
        assert (cloning, "transformative_use") not in found


def test_the_check_finds_a_new_undeclared_overlap() -> None:
    rows = (
        *DECISION.branches,
        Branch(
            "a_new_row",
            is_(fact("market_relation"), "direct_substitute"),
            "a_new_row",
            DECISION.cite,  # type: ignore[arg-type]
            "",
        ),
    )
    new = overlaps(rows) - set(DECLARED)
    assert ("cloning_needs_consent", "a_new_row") in new
