"""The Balanced Framework as rules: one ordered program that both evaluators read.

Read top to bottom. First the timeline of the teacher's protection, then the legal concepts the
decision rests on, then the decision table, whose row order *is* the priority of the law:
improper means defeat every safe harbour; consent comes before the licensing machinery; the
de minimis exception and the research exemption come before the market-based categories.
Then each obligation: when it applies and whether it is met, and last the overall compliance.
"""

from __future__ import annotations

from dataclasses import dataclass

from distillgov.framework.case import FACTS
from distillgov.framework.citations import Citation
from distillgov.framework.logic import (
    TRUE,
    AddMonths,
    Branch,
    Choose,
    Const,
    Expr,
    If,
    Known,
    Le,
    Let,
    Lt,
    Program,
    all_of,
    any_of,
    fact,
    is_,
    not_,
    one_of,
    param,
)
from distillgov.framework.vocabulary import (
    CONTRACT_ACCESS,
    IMPROPER_ACCESS,
    PUBLIC_OUTPUT_ACCESS,
    RELEASED,
    RESEARCH_PURPOSES,
    TRANSFORMATIVE_RELATIONS,
    Category,
    Rule,
)

FRAMEWORK_VERSION = "guan-balanced-framework-2025/distillgov-rules-1.1"

ON = fact("assessed_on")  # the assessment date: an argument, never the clock
ACCESS, PURPOSE, DEPLOYMENT = fact("access"), fact("purpose"), fact("deployment")
MARKET = fact("market_relation")
RELEASE = fact("commercial_release_date")

# --- The teacher's protection timeline ----------------------------------------------------------

_precedes = is_(param("exclusivity.model"), "precedes_licence_window")
_teacher_out = fact("teacher.release_date")

TIMELINE = (
    Let(
        "window_start",
        "date",
        If(_precedes, AddMonths(_teacher_out, param("exclusivity.months")), _teacher_out),
        Citation("adjustments", "exclusivity_time"),
        "The compulsory-licence window opens when exclusivity ends, or at the teacher's release "
        "where the exclusivity time is itself the window.",
    ),
    Let(
        "window_end",
        "date",
        If(
            _precedes,
            AddMonths(fact("window_start"), param("licence_window.months")),
            AddMonths(_teacher_out, param("exclusivity.months")),
        ),
        Citation("types", "commercial_cloning"),
        "After the window, use of the teacher is royalty-free: no perpetual monopoly.",
    ),
    Let(
        "phase",
        "enum",
        If(
            Lt(ON, fact("window_start")),
            Const("exclusivity"),
            If(Lt(ON, fact("window_end")), Const("licence_window"), Const("royalty_free")),
        ),
        Citation("types", "commercial_cloning"),
        "Where the assessment date falls in the teacher's protection timeline.",
        traced=True,
    ),
)

# --- Legal concepts the decision rests on --------------------------------------------------------

_non_commercial_research = all_of(
    one_of(PURPOSE, RESEARCH_PURPOSES),
    one_of(DEPLOYMENT, frozenset({"none", "non_commercial_release"})),
)
_direct_commercial_substitute = all_of(
    is_(MARKET, "direct_substitute"), is_(DEPLOYMENT, "commercial")
)
_clause_reach = fact("contract.anti_distillation_reach")
_anti_distillation_binds = any_of(
    is_(_clause_reach, "enforced"),
    all_of(
        is_(_clause_reach, "filtered"),
        _direct_commercial_substitute,
        is_(fact("phase"), "exclusivity"),
    ),
)
_cr = Citation("adjustments", "contract_reach")

# How far a teacher's terms reach in this jurisdiction, from the contract levers alone: what the
# decision reads when a distiller breached a clause, and what a terms review reports per clause.
CONTRACT_REACH = (
    Let(
        "contract.anti_distillation_reach",
        "enum",
        param("contract.anti_distillation_clauses"),
        _cr,
        "A clause against distillation binds as written (enforced), yields to state policy "
        "(subordinated), or survives the unfair-terms filter only against a direct commercial "
        "substitute during exclusivity (filtered).",
    ),
    Let(
        "contract.anti_distillation_effect",
        "enum",
        If(
            all_of(is_(_clause_reach, "filtered"), is_(param("exclusivity.months"), 0)),
            Const("void"),
            _clause_reach,
        ),
        _cr,
        "Where the filter leaves a clause nothing to bind (no exclusivity time), it is void.",
    ),
    Let(
        "contract.research_clause_reach",
        "enum",
        If(is_(param("contract.research_clause_waivable"), True), Const("enforced"), Const("void")),
        _cr,
        "A clause against research binds only where research clauses can be waived.",
    ),
)


def _recorded(name: str) -> Expr:
    """True only where the case records the fact as true: an unknown ban is not a ban."""
    return If(Known(fact(name)), is_(fact(name), True), Const(False))


CONCEPTS = (
    Let(
        "learns_from_outputs",
        "bool",
        any_of(is_(fact("output_use.training"), True), is_(fact("output_use.labelling"), True)),
        Citation("policies", "de_minimis"),
        "The student learns from the teacher's outputs: trained on them, or on the labels and "
        "reward signals the teacher gave as a judge. Evaluation, calibration and inspiration "
        "teach it nothing.",
    ),
    Let(
        "breach_of_terms",
        "bool",
        any_of(
            is_(ACCESS, "terms_breach"),
            # One situation, one outcome: using a contractual channel "within its terms" to do
            # what the recorded terms forbid is a breach of them (docs/interpretations.md 80).
            all_of(
                one_of(ACCESS, CONTRACT_ACCESS),
                fact("learns_from_outputs"),
                # The clause that speaks to the use: a research clause for non-commercial
                # research, the distillation clause otherwise (as `breached_clause_binds` reads).
                If(
                    _non_commercial_research,
                    _recorded("teacher.terms.forbids_research"),
                    _recorded("teacher.terms.forbids_distillation"),
                ),
            ),
        ),
        Citation("adjustments", "contract_reach"),
        "The distiller breached the teacher's terms: it says so, or it used the public API to "
        "distil where the recorded terms forbid that use (research, for non-commercial "
        "research; distillation, otherwise).",
    ),
    Let(
        "breached_clause_binds",
        "bool",
        If(
            _non_commercial_research,
            is_(fact("contract.research_clause_reach"), "enforced"),
            _anti_distillation_binds,
        ),
        Citation("adjustments", "contract_reach"),
        "Whether the term the distiller breached reaches this use in this jurisdiction: a clause "
        "against research binds only where research clauses can be waived; a clause against "
        "distillation binds as far as the contract lever lets it.",
    ),
    Let(
        "improper_means",
        "bool",
        any_of(
            one_of(ACCESS, IMPROPER_ACCESS),
            all_of(fact("breach_of_terms"), fact("breached_clause_binds")),
            is_(fact("safety.unsafe_use"), True),
            # Privacy-violating use needs personal data: without any, it cannot be the case.
            all_of(
                not_(is_(fact("personal_data.involved"), False)),
                is_(fact("personal_data.privacy_violating_use"), True),
            ),
        ),
        Citation("types", "illicit"),
        "Hacking, circumvention, leaked weights, privacy-violating collection, an enforceable "
        "breach of terms, or unsafe or privacy-violating use.",
        traced=True,
    ),
    Let(
        "consented",
        "bool",
        any_of(
            is_(fact("consent.granted"), True), is_(fact("distiller.same_owner_as_teacher"), True)
        ),
        Citation("types", "authorized"),
        "The rights-holder consented, or the distiller is the teacher's owner.",
    ),
    Let(
        "reverse_engineering_harbour",
        "bool",
        all_of(
            not_(is_(fact("teacher.outputs_public"), False)),
            any_of(
                all_of(one_of(ACCESS, PUBLIC_OUTPUT_ACCESS), not_(fact("breach_of_terms"))),
                all_of(fact("breach_of_terms"), not_(fact("breached_clause_binds"))),
            ),
        ),
        Citation("abstract", "reverse_engineering"),
        "Good-faith reverse engineering of publicly available outputs is lawful.",
    ),
    Let(
        "de_minimis_use",
        "bool",
        all_of(
            # Nothing learnt from the outputs: not trained on, and no labels or rewards taken.
            not_(fact("learns_from_outputs")),
            is_(fact("volume.one_off"), True),
            Le(fact("volume.outputs"), param("de_minimis.max_outputs")),
        ),
        Citation("policies", "de_minimis"),
        "A one-off use of a handful of outputs for testing, calibration or inspiration, not "
        "training.",
    ),
    Let(
        "research_exempt",
        "bool",
        all_of(
            one_of(PURPOSE, param("research.purposes")),
            one_of(DEPLOYMENT, param("research.deployments")),
        ),
        Citation("adjustments", "research_carveout"),
        "Bona fide research, audit or safety work, within the profile's carve-out and deployed "
        "non-commercially.",
    ),
    Let(
        "licence_available",
        "bool",
        any_of(
            is_(param("royalty.compulsory_licence_trigger"), "always"),
            is_(fact("teacher.abuse_proven"), True),
        ),
        Citation("adjustments", "royalty_rules"),
        "The compulsory licence is open to the cloner: always, or once abuse by the teacher's "
        "owner is proven.",
    ),
)

# --- The decision table: first matching row wins --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    category: Category
    rule: Rule


OUTCOMES: dict[str, Outcome] = {
    "illicit_improper_means": Outcome(Category.ILLICIT, Rule.PROHIBITED),
    "authorized_by_consent": Outcome(Category.AUTHORIZED, Rule.PERMITTED),
    "de_minimis_use": Outcome(Category.DE_MINIMIS, Rule.EXEMPT),
    "research_exemption": Outcome(Category.RESEARCH, Rule.EXEMPT),
    "not_distillation": Outcome(Category.NOT_DISTILLATION, Rule.PERMITTED),
    "internal_experiment": Outcome(Category.INTERNAL_EXPERIMENT, Rule.PERMITTED),
    "cloning_royalty_free": Outcome(Category.COMMERCIAL_CLONING, Rule.PERMITTED),
    "cloning_compulsory_licence": Outcome(Category.COMMERCIAL_CLONING, Rule.COMPULSORY_LICENSE),
    "cloning_needs_consent": Outcome(Category.COMMERCIAL_CLONING, Rule.PROHIBITED),
    "transformative_use": Outcome(Category.TRANSFORMATIVE, Rule.CONDITIONAL),
}

_substitute = is_(MARKET, "direct_substitute")

DECISION = Choose(
    "decision",
    (
        Branch(
            "illicit_improper_means",
            fact("improper_means"),
            "illicit_improper_means",
            Citation("types", "illicit"),
            "Distillation by improper means is banned outright; no safe harbour or fair-use "
            "excuse applies.",
        ),
        Branch(
            "authorized_by_consent",
            fact("consented"),
            "authorized_by_consent",
            Citation("types", "authorized"),
            "With the rights-holder's consent, distillation is freely permitted and governed by "
            "the licence.",
        ),
        Branch(
            "de_minimis_use",
            fact("de_minimis_use"),
            "de_minimis_use",
            Citation("policies", "de_minimis"),
            "Trivial, one-off use triggers no licence and no royalty.",
        ),
        Branch(
            "research_exemption",
            fact("research_exempt"),
            "research_exemption",
            Citation("types", "research"),
            "Public-interest research is exempt while deployment stays non-commercial.",
        ),
        Branch(
            "not_distillation",
            not_(fact("learns_from_outputs")),
            "not_distillation",
            Citation("policies", "de_minimis"),
            "The outputs only evaluate, calibrate or inspire: no student is trained on them, so "
            "no licence or royalty arises; the teacher's terms still govern the access.",
        ),
        Branch(
            "internal_experiment",
            is_(DEPLOYMENT, "none"),
            "internal_experiment",
            Citation("types", "commercial_cloning"),
            "A student kept in-house substitutes for nothing in the market: no licence or "
            "royalty while it stays there; deploying it calls for a new assessment.",
        ),
        Branch(
            "cloning_royalty_free",
            all_of(_substitute, is_(fact("phase"), "royalty_free")),
            "cloning_royalty_free",
            Citation("types", "commercial_cloning"),
            "The teacher's licence window has closed: cloning is royalty-free.",
        ),
        Branch(
            "cloning_compulsory_licence",
            all_of(_substitute, is_(fact("phase"), "licence_window"), fact("licence_available")),
            "cloning_compulsory_licence",
            Citation("types", "commercial_cloning"),
            "A direct substitute is lawful under the compulsory licence, paying a usage-based "
            "royalty until the window closes.",
        ),
        Branch(
            "cloning_needs_consent",
            _substitute,
            "cloning_needs_consent",
            Citation("adjustments", "exclusivity_time"),
            "During exclusivity, or where no compulsory licence is open, a direct substitute "
            "needs the owner's licence.",
        ),
        Branch(
            "transformative_use",
            one_of(MARKET, TRANSFORMATIVE_RELATIONS),
            "transformative_use",
            Citation("types", "transformative"),
            "A non-substitutive student serving a new domain or adding functionality is allowed "
            "without royalty, on conditions.",
        ),
    ),
    cite=Citation("types", "authorized"),
    explain="The framework's categories in order of priority.",
)


def _project(name: str, value_of: dict[str, str]) -> Choose:
    """The decision table's own rows, giving one part of their outcome: a category or a rule can
    be known while the exact row is not (e.g. cloning, but which phase depends on a date)."""
    rows = tuple(Branch(b.id, b.when, value_of[b.id], b.cite, b.explain) for b in DECISION.branches)
    return Choose(
        name,
        rows,
        traced=False,
        cite=DECISION.cite,
        projects=(DECISION.name, tuple(value_of.items())),
    )


CATEGORY = _project("category", {k: v.category.value for k, v in OUTCOMES.items()})
RULE = _project("rule", {k: v.rule.value for k, v in OUTCOMES.items()})

# --- Obligations ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Obligation:
    id: str
    what: str
    due: str  # the fact or derived date it is due by, or "" for a continuing duty
    cite: Citation
    applies: Expr
    status: tuple[tuple[str, Expr], ...]  # ordered (status, condition); first that holds wins
    default: str | None = None  # status when no condition holds
    conditions_immunity: bool = False  # breach suspends the case's safe harbours


_category = fact("category")
# Released commercially by the assessment date: the date decides where it is known; otherwise the
# answer "already released" (a student on the market whose launch date nobody recorded).
RELEASES = (
    Let(
        "commercially_released",
        "bool",
        all_of(
            is_(DEPLOYMENT, "commercial"),
            If(Known(RELEASE), Le(RELEASE, ON), is_(fact("already_released"), True)),
        ),
        Citation("policies", "transparency"),
        "The student is on the market by the assessment date: its release date has passed, or, "
        "where no date is known, it is said to be released already.",
    ),
    Let(
        "not_yet_released",
        "bool",
        If(Known(RELEASE), Lt(ON, RELEASE), is_(fact("already_released"), False)),
        Citation("policies", "transparency"),
        "The student's commercial release is still to come.",
    ),
)
_commercially_released = fact("commercially_released")
_not_yet_released = fact("not_yet_released")
_released_by_now = any_of(is_(DEPLOYMENT, "non_commercial_release"), _commercially_released)
_immunity_categories = frozenset({"research", "transformative", "de_minimis", "commercial_cloning"})
_pd = "personal_data."

OBLIGATIONS: tuple[Obligation, ...] = (
    Obligation(
        "proper_means",
        "Obtain and use the teacher's outputs only by proper means.",
        "",
        Citation("types", "illicit"),
        TRUE,
        (("breached", fact("improper_means")), ("met", not_(fact("improper_means")))),
    ),
    Obligation(
        "transparency_disclosure",
        "Publish the student's teacher lineage and high-level training method before its "
        "commercial release.",
        "commercial_release_date",
        Citation("policies", "transparency"),
        all_of(
            is_(DEPLOYMENT, "commercial"),
            # No lineage to disclose where no student learnt from the teacher.
            not_(one_of(_category, frozenset({"illicit", "de_minimis", "not_distillation"}))),
        ),
        (
            (
                "met",
                all_of(
                    is_(fact("transparency.disclosure_filed"), True),
                    Le(fact("transparency.filed_on"), RELEASE),
                ),
            ),
            (
                "breached",
                any_of(
                    all_of(
                        is_(fact("transparency.disclosure_filed"), True),
                        Lt(RELEASE, fact("transparency.filed_on")),
                    ),
                    all_of(
                        is_(fact("transparency.disclosure_filed"), False), _commercially_released
                    ),
                ),
            ),
            ("due", all_of(is_(fact("transparency.disclosure_filed"), False), _not_yet_released)),
        ),
        conditions_immunity=True,
    ),
    Obligation(
        "privacy_safeguards",
        "Minimise personal data, limit it to its purpose, rest it on consent or a privacy "
        "technology such as differential privacy, and honour access, deletion and opt-out.",
        "",
        Citation("policies", "privacy"),
        is_(fact(_pd + "involved"), True),
        (
            (
                "breached",
                any_of(
                    is_(fact(_pd + "minimisation"), False),
                    is_(fact(_pd + "purpose_limitation"), False),
                    is_(fact(_pd + "user_rights"), False),
                    all_of(
                        is_(fact(_pd + "consent"), False),
                        is_(fact(_pd + "differential_privacy"), False),
                    ),
                ),
            ),
            (
                "met",
                all_of(
                    is_(fact(_pd + "minimisation"), True),
                    is_(fact(_pd + "purpose_limitation"), True),
                    is_(fact(_pd + "user_rights"), True),
                    any_of(
                        is_(fact(_pd + "consent"), True),
                        is_(fact(_pd + "differential_privacy"), True),
                    ),
                ),
            ),
        ),
        conditions_immunity=True,
    ),
    Obligation(
        "respect_reservations",
        "Leave out of training the works their rights-holders reserved from it (or have them "
        "licensed, after which the check no longer finds them reserved).",
        "",
        Citation("stakeholders", "content_creators"),
        all_of(
            one_of(fact("reserved_works"), frozenset({"included", "excluded"})),
            is_(param("consent.reserved_works"), "binding"),
        ),
        (
            ("met", is_(fact("reserved_works"), "excluded")),
            ("breached", is_(fact("reserved_works"), "included")),
        ),
    ),
    Obligation(
        "reserved_works_licence",
        "Pay for the reserved works used in training through the collective licence.",
        "",
        Citation("policies", "collective_licensing"),
        all_of(
            is_(fact("reserved_works"), "included"),
            is_(param("consent.reserved_works"), "collective"),
        ),
        (),
        default="ongoing",
    ),
    Obligation(
        "answer_rights_requests",
        "Answer the data subjects' requests against the project's data sources, and carry out "
        "the duties they put on its models, by their deadlines.",
        _pd + "rights_requests_due",
        Citation("policies", "privacy"),
        one_of(fact(_pd + "rights_requests"), frozenset({"open", "overdue"})),
        (
            ("breached", is_(fact(_pd + "rights_requests"), "overdue")),
            ("due", is_(fact(_pd + "rights_requests"), "open")),
        ),
        # Honouring access, deletion and opt-out is one of the privacy conditions the
        # immunities rest on (interpretations 86).
        conditions_immunity=True,
    ),
    Obligation(
        "safety_evaluation",
        "Evaluate the student for safety before it is released.",
        "commercial_release_date",
        Citation("abstract", "conditional_immunities"),
        all_of(one_of(DEPLOYMENT, RELEASED), one_of(_category, _immunity_categories)),
        (
            ("met", is_(fact("safety.evaluated"), True)),
            ("breached", all_of(is_(fact("safety.evaluated"), False), _released_by_now)),
            ("due", is_(fact("safety.evaluated"), False)),
        ),
        conditions_immunity=True,
    ),
    Obligation(
        "safety_reciprocity",
        "Share the student's safety improvements back with the teacher's developer.",
        "commercial_release_date",
        Citation("types", "transformative"),
        all_of(
            is_(_category, "transformative"), is_(param("transformative.safety_reciprocity"), True)
        ),
        (
            ("met", is_(fact("safety.improvements_shared"), True)),
            ("breached", all_of(is_(fact("safety.improvements_shared"), False), _released_by_now)),
            ("due", is_(fact("safety.improvements_shared"), False)),
        ),
        conditions_immunity=True,
    ),
    Obligation(
        "royalty_payment",
        "Report usage and pay the usage-based royalty of the compulsory licence until the "
        "window closes.",
        "window_end",
        Citation("types", "commercial_cloning"),
        is_(fact("rule"), "compulsory_license"),
        (),
        default="ongoing",
    ),
    Obligation(
        "owner_licence",
        "Obtain the teacher owner's licence before deploying a direct substitute.",
        "commercial_release_date",
        Citation("adjustments", "exclusivity_time"),
        is_(fact("decision"), "cloning_needs_consent"),
        (("breached", _released_by_now),),
        default="due",
    ),
    Obligation(
        "licence_terms",
        "Keep to the terms of the licence that authorises the distillation.",
        "",
        Citation("types", "authorized"),
        is_(_category, "authorized"),
        (),
        default="ongoing",
    ),
    Obligation(
        "collective_licence",
        "Pay the collective licence for creative works ingested at scale, through the "
        "collective rights body.",
        "",
        Citation("policies", "collective_licensing"),
        all_of(
            is_(fact("creative_works_at_scale"), True),
            one_of(_category, frozenset({"commercial_cloning", "transformative", "authorized"})),
            one_of(DEPLOYMENT, RELEASED),
        ),
        (),
        default="ongoing",
    ),
)

OBLIGATION_IDS = tuple(o.id for o in OBLIGATIONS)


def _obligation_definitions(o: Obligation) -> tuple[Let | Choose, ...]:
    applies = Let(f"{o.id}.applies", "bool", o.applies, o.cite, o.what, decisive=True)
    # Gate each status on applicability, so facts of an obligation that does not apply are never
    # reported as missing.
    gate = fact(applies.name)
    rows = tuple(
        Branch(f"{o.id}.{status}", all_of(gate, cond), status, o.cite, o.what)
        for status, cond in o.status
    )
    status = Choose(
        f"{o.id}.status",
        rows,
        exhaustive=False,
        default=o.default,
        traced=False,
        cite=o.cite,
        gate=applies.name,
    )
    return (applies, status)


def _breach_of(o: Obligation) -> Expr:
    return all_of(fact(f"{o.id}.applies"), is_(fact(f"{o.id}.status"), "breached"))


# --- Immunities: the safe harbours a case claims, held only while their conditions hold -------


@dataclass(frozen=True, slots=True)
class Immunity:
    id: str
    claimed: Expr  # when the case claims it
    cite: Citation
    explain: str


_HARBOUR_CATEGORIES = frozenset({"commercial_cloning", "transformative", "research", "de_minimis"})

IMMUNITIES: tuple[Immunity, ...] = (
    Immunity(
        "research_exemption",
        is_(_category, "research"),
        Citation("types", "research"),
        "The research exemption, for bona fide academic, auditing or safety work.",
    ),
    Immunity(
        "de_minimis_exception",
        is_(_category, "de_minimis"),
        Citation("policies", "de_minimis"),
        "The de minimis exception for trivial, one-off use.",
    ),
    Immunity(
        "transformative_use",
        is_(_category, "transformative"),
        Citation("types", "transformative"),
        "The royalty-free allowance for non-substitutive, transformative use.",
    ),
    Immunity(
        "reverse_engineering_harbour",
        all_of(one_of(_category, _HARBOUR_CATEGORIES), fact("reverse_engineering_harbour")),
        Citation("abstract", "reverse_engineering"),
        "The safe harbour for good-faith reverse engineering of publicly available outputs.",
    ),
)
IMMUNITY_CONDITIONS = tuple(o for o in OBLIGATIONS if o.conditions_immunity)

IMMUNITY_DEFINITIONS = (
    *(Let(f"immunity.{i.id}.claimed", "bool", i.claimed, i.cite, i.explain) for i in IMMUNITIES),
    Let(
        "immunities.hold",
        "bool",
        not_(any_of(*(_breach_of(o) for o in IMMUNITY_CONDITIONS))),
        Citation("abstract", "conditional_immunities"),
        "Every immunity holds only while its transparency, privacy and safety conditions hold: "
        "a breach of any of them suspends it.",
    ),
)

COMPLIANCE = Let(
    "compliant",
    "bool",
    not_(any_of(is_(fact("rule"), "prohibited"), *(_breach_of(o) for o in OBLIGATIONS))),
    Citation("abstract", "conditional_immunities"),
    "Compliant when the rule is not a prohibition and no obligation is breached.",
    decisive=True,
)


def _build_program() -> Program:
    definitions: list[Let | Choose] = [
        *TIMELINE,
        *CONTRACT_REACH,
        *CONCEPTS,
        *RELEASES,
        DECISION,
        CATEGORY,
        RULE,
    ]
    for o in OBLIGATIONS:
        definitions.extend(_obligation_definitions(o))
    definitions.extend(IMMUNITY_DEFINITIONS)
    definitions.append(COMPLIANCE)
    kinds = {"assessed_on": "date"}
    for d in definitions:
        kinds[d.name] = d.kind if isinstance(d, Let) else "enum"
    return Program(tuple(definitions), frozenset(FACTS) | {"assessed_on"}, kinds)


PROGRAM = _build_program()
