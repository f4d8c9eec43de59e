"""Terms review: how far each clause of a teacher's terms reaches under a jurisdiction profile.

Pure: a terms version and the lever values in force in, a cited finding per clause out. How far
anti-distillation and research clauses reach is the rule program's answer
(`framework.readings.clause_reach`, adjustments/contract_reach), read here, never re-derived;
attribution, licence-scope and pass-down clauses are ordinary licence terms everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from distillgov.framework.citations import Citation
from distillgov.framework.readings import clause_reach
from distillgov.teachers.catalogue import ANTI_DISTILLATION, Clause, ClauseType, Confidence

ENFORCEABLE, LIMITED, VOID, GRANT, INFORMATIONAL = (
    "enforceable",
    "limited",
    "void",
    "grant",
    "informational",
)


@dataclass(frozen=True, slots=True)
class Finding:
    clause: Clause
    effect: str  # enforceable | limited | void | grant | informational
    why: str
    cite: Citation

    def as_dict(self) -> dict[str, Any]:
        c = self.clause
        return {
            "type": c.type.value,
            "summary": c.summary,
            "value": c.value,
            "section": c.section,
            "source": c.source,
            "confidence": c.confidence.value,
            "effect": self.effect,
            "why": self.why,
            "cite": self.cite.as_dict(),
        }


def _anti_distillation(levers: Mapping[str, Any], column: str | None) -> tuple[str, str, Citation]:
    effect = clause_reach(levers)["anti_distillation_effect"]
    cite = Citation("adjustments", "contract_reach", column)
    if effect == "enforced":
        return ENFORCEABLE, "Binds as written: breaching it is improper means (illicit).", cite
    if effect == "subordinated":
        return (
            LIMITED,
            "Subordinated to state policy: breaching it is not by itself improper means; the "
            "distillation is judged as independent use of public outputs.",
            cite,
        )
    if effect == "void":
        why = (
            "Void under the unfair-terms filter here: it could bind only against a direct "
            "commercial substitute during exclusivity, and this profile has none."
        )
        return VOID, why, cite
    assert effect == "filtered", effect
    months = levers["exclusivity.months"]
    return (
        LIMITED,
        f"Survives the unfair-terms filter only against a direct commercial substitute during the "
        f"{months}-month exclusivity; void otherwise.",
        cite,
    )


def review_clause(clause: Clause, levers: Mapping[str, Any], column: str | None) -> Finding:
    kind = clause.type
    if kind in ANTI_DISTILLATION:
        effect, why, cite = _anti_distillation(levers, column)
    elif kind is ClauseType.NO_EXTRACTION:
        effect, why, cite = _anti_distillation(levers, column)
        why += (
            " Extracting weights by circumvention or intrusion is improper means in every "
            "profile, whatever the terms say."
        )
    elif kind is ClauseType.NO_RESEARCH_USE:
        cite = Citation("adjustments", "contract_reach", column)
        if clause_reach(levers)["research_clause_reach"] == "enforced":
            effect, why = ENFORCEABLE, "Research clauses can be waived here: it binds."
        else:
            effect, why = VOID, "Void: research use cannot be waived by terms here."
    elif kind in (ClauseType.GRANTS_DISTILLATION, ClauseType.PERMISSIVE_LICENCE):
        effect, why = (
            GRANT,
            "Consent to distil: such a project is authorized, governed by the licence.",
        )
        cite = Citation("types", "authorized")
    elif kind is ClauseType.NON_COMMERCIAL_ONLY:
        effect = ENFORCEABLE
        why = (
            "A licence scope: it consents only to non-commercial use; commercial use is judged "
            "without consent."
        )
        cite = Citation("types", "authorized")
    elif kind in (ClauseType.NAME_PREFIX, ClauseType.ATTRIBUTION_NOTICE):
        effect = ENFORCEABLE
        why = "An attribution duty: it binds and passes to students distilled from this teacher."
        cite = Citation("stakeholders", "content_creators")
    elif kind is ClauseType.PASS_DOWN_RESTRICTIONS:
        effect = ENFORCEABLE
        why = "The teacher's use restrictions pass to the student and to its users."
        cite = Citation("abstract", "conditional_immunities")
    elif kind is ClauseType.USER_THRESHOLD_LICENCE:
        effect = ENFORCEABLE
        users = f"{clause.value:,}" if isinstance(clause.value, int) else str(clause.value)
        why = f"Above {users} monthly active users a separate licence is needed."
        if clause.measured_on is not None:
            why += (
                f" The users are counted on {clause.measured_on.isoformat()} only: growth "
                "after that day does not call for one."
            )
        cite = Citation("types", "authorized")
    elif kind is ClauseType.REGIONAL_EXCLUSION:
        effect = ENFORCEABLE
        where = ", ".join(clause.regions or [])
        models = f" for {', '.join(clause.models)}" if clause.models else ""
        why = (
            f"A licence scope: no licence{models} to distillers established in {where}; there, "
            "distilling has no consent (the case's distiller.region decides)."
        )
        cite = Citation("types", "authorized")
    elif kind is ClauseType.PERMITTED_USE:
        effect = INFORMATIONAL
        ban = clause.carves_out.value if clause.carves_out else "the ban"
        why = (
            f"An exception to {ban}: consent for that use only. No fact of a case says whether a "
            "student is such a use, so the ban is applied as written; a case whose student is "
            "one states consent.granted: true."
        )
        cite = Citation("types", "authorized")
    elif kind is ClauseType.ACCEPTABLE_USE_PASS_DOWN:
        effect = ENFORCEABLE
        why = (
            f"The teacher's acceptable-use policy ({clause.value}) binds the student's use and "
            "passes to its users."
        )
        cite = Citation("abstract", "conditional_immunities")
    elif kind is ClauseType.LICENCE_NOTICE:
        effect = ENFORCEABLE
        why = f'Copies and derivatives must carry the licence\'s notice: "{clause.value}".'
        cite = Citation("stakeholders", "content_creators")
    elif kind is ClauseType.OUTPUTS_ASSIGNED:
        effect = INFORMATIONAL
        why = (
            "The owner assigns its rights in outputs to the user; the terms' limits on using "
            "them still apply."
        )
        cite = Citation("types", "transformative")
    elif kind is ClauseType.DERIVATIVES_INCLUDE_DISTILLATION:
        effect = INFORMATIONAL
        why = "A distilled student counts as a derivative, so the licence's derivative terms apply."
        cite = Citation("types", "authorized")
    else:  # OUTPUTS_NOT_CLAIMED
        effect, why = INFORMATIONAL, "The owner claims no rights in outputs."
        cite = Citation("types", "transformative")
    if clause.confidence is Confidence.UNVERIFIED:
        why = "Unverified clause, not used as a fact: " + why
    return Finding(clause, effect, why, cite)


def column_of(profile_id: str) -> str | None:
    return profile_id if profile_id in ("us", "cn", "global_south") else None
