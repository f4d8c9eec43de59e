"""The assessment wizard's questions: one concern per step, each saying why it is asked, built
from the case model's own questions (framework.case.FACTS) so the two cannot drift apart."""

from __future__ import annotations

import datetime as dt
from typing import Any

from distillgov.errors import DistillgovError
from distillgov.framework.case import CONTRADICTIONS, FACTS, contradictions

STEPS: list[tuple[str, str, list[str]]] = [
    (
        "The teacher",
        "The teacher's age and openness decide where you are in its protection timeline: "
        "exclusivity, then a royalty window, then free use (types/commercial_cloning).",
        ["teacher.release_date", "teacher.weights_public", "teacher.outputs_public",
         "teacher.abuse_proven", "teacher.terms.forbids_distillation",
         "teacher.terms.forbids_research"],
    ),
    (
        "Who you are, and permission",
        "With the rights-holder's consent, distillation is governed by your agreement, not by "
        "the licensing machinery (types/authorized).",
        ["distiller.same_owner_as_teacher", "consent.granted"],
    ),
    (
        "How the outputs were obtained",
        "Improper means — hacking, breach, circumvention, privacy-violating collection — defeat "
        "every safe harbour (types/illicit).",
        ["access"],
    ),
    (
        "Purpose and market",
        "Research, transformative enhancement and commercial cloning are treated differently "
        "(types/research, types/transformative, types/commercial_cloning).",
        ["purpose", "deployment", "market_relation", "commercial_release_date"],
    ),
    (
        "How the outputs are used",
        "A handful of outputs used once for testing or calibration is de minimis "
        "(policies/de_minimis).",
        ["output_use.training", "output_use.evaluation", "output_use.calibration",
         "output_use.inspiration", "volume.outputs", "volume.one_off"],
    ),
    (
        "Data and privacy",
        "Creative works ingested at scale call for collective licensing; personal data calls for "
        "privacy safeguards (policies/collective_licensing, policies/privacy).",
        ["creative_works_at_scale", "personal_data.involved", "personal_data.consent",
         "personal_data.minimisation", "personal_data.purpose_limitation",
         "personal_data.differential_privacy", "personal_data.user_rights",
         "personal_data.privacy_violating_use"],
    ),
    (
        "Safety",
        "Immunities hold only while safety conditions hold; transformative use may require "
        "sharing safety improvements (types/transformative, types/illicit).",
        ["safety.evaluated", "safety.improvements_shared", "safety.unsafe_use"],
    ),
    (
        "Transparency",
        "A distilled model's lineage and high-level method must be public before commercial "
        "release (policies/transparency).",
        ["transparency.disclosure_filed", "transparency.filed_on"],
    ),
]  # fmt: skip


def questions() -> dict[str, Any]:
    steps = []
    for title, why, names in STEPS:
        steps.append(
            {
                "title": title,
                "why": why,
                "questions": [
                    {
                        "fact": name,
                        "question": FACTS[name].question,
                        "kind": FACTS[name].kind,
                        "choices": [v for v in FACTS[name].domain if not isinstance(v, bool)],
                    }
                    for name in names
                ],
            }
        )
    return {"steps": steps}


def check_answers(answers: Any) -> list[dict[str, Any]]:
    """The contradictions the answers so far certainly hold (the case model's own, so the
    wizard can point them out on the step where they occur): each with the field, its value,
    why, and every fact it reads."""
    facts = _typed(answers)
    found = []
    for (field, value, reason), rule in zip(contradictions(facts), _holding(facts), strict=True):
        found.append({"field": field, "value": value, "reason": reason,
                      "facts": sorted(n for n in rule.when.names() if n in FACTS)})  # fmt: skip
    return found


def _holding(facts: dict[str, Any]) -> list[Any]:
    """The contradiction rules that hold, in the order `contradictions` reports them."""
    held = {(f, r) for f, _, r in contradictions(facts)}
    return [c for c in CONTRADICTIONS if (c.field, c.reason) in held]


class InvalidAnswers(DistillgovError):
    """The wizard's answers are not an object of facts; nothing was checked."""


def relevant(answers: Any, profiles: list[Any], on: dt.date) -> list[str]:
    """The wizard's facts still worth asking, given the answers so far: those whose answer could
    change the determination under any of the profiles (the rule program's own reading,
    `framework.relevance`); every fact already answered stays shown."""
    # The rule program is loaded only by the wizard's calls (the page itself does not need it).
    from distillgov.framework.relevance import relevant_facts

    facts = _typed(answers)
    facts["assessed_on"] = on
    out: set[str] = {name for name, value in facts.items() if value is not None}
    for profile in profiles:
        out |= relevant_facts(facts, profile.as_of(on).values)
    asked = [name for _, _, names in STEPS for name in names]
    return [name for name in asked if name in out]


def _typed(answers: Any) -> dict[str, Any]:
    if not isinstance(answers, dict):
        raise InvalidAnswers("field 'answers': must be an object of fact: value")
    facts: dict[str, Any] = {name: None for name in FACTS}
    for name, value in answers.items():
        spec = FACTS.get(name)
        if spec is None or value is None:
            continue  # not a fact the rules read (the teacher's id)
        if spec.kind == "date":
            try:
                value = dt.date.fromisoformat(str(value))
            except ValueError:
                raise InvalidAnswers(
                    f"field '{name}', value {value!r}: a date must be written as YYYY-MM-DD"
                ) from None
        elif spec.domain and value not in spec.domain:
            raise InvalidAnswers(
                f"field '{name}', value {value!r}: one of "
                + ", ".join(str(v).lower() for v in spec.domain)
            )
        facts[name] = value
    return facts
