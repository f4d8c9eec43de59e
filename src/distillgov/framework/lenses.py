"""What each normative lens of the framework says about an outcome (lenses table, one row each).

The notes are our paraphrase of how the lens bears on the category reached; they explain, they
do not decide.
"""

from __future__ import annotations

from functools import cache

from distillgov.framework.citations import Citation

LENS_ROWS = {
    "utilitarian": Citation("lenses", "utilitarianism"),
    "deontological": Citation("lenses", "deontology"),
    "lockean": Citation("lenses", "lockean"),
    "rawlsian": Citation("lenses", "rawlsian"),
}

NOTES: dict[str, dict[str, str]] = {
    "illicit_improper_means": {
        "utilitarian": "Deterring bad-faith free-riding protects the incentive to build teachers "
        "and the safety of everyone downstream.",
        "deontological": "Taking outputs by theft, intrusion or broken promises is wrong in "
        "itself, whatever it yields.",
        "lockean": "The teacher's developer's labour is appropriated without any share of reward.",
        "rawlsian": "Unsafe or privacy-violating distillation shifts risk onto the people least "
        "able to bear it.",
    },
    "authorized_by_consent": {
        "utilitarian": "Private ordering is the cheapest route: no legal friction beyond the "
        "licence itself.",
        "deontological": "Consent is given, so promise-keeping and ownership are respected.",
        "lockean": "The developer's labour is rewarded on terms it chose.",
        "rawlsian": "Neutral: access depends on what the licence lets through.",
    },
    "de_minimis_use": {
        "utilitarian": "Licensing trivial use would cost more than it protects and chill routine "
        "research.",
        "deontological": "The law need not punish a negligible taking.",
        "lockean": "A handful of outputs takes nothing of substance from the developer's labour.",
        "rawlsian": "Keeps everyday testing open to those who cannot pay for licences.",
    },
    "research_exemption": {
        "utilitarian": "Research and audits produce knowledge and oversight worth more than the "
        "incentive they cost.",
        "deontological": "Honest scrutiny of powerful systems is owed to the public.",
        "lockean": "Non-commercial use does not compete with the developer's reward.",
        "rawlsian": "Guarantees oversight and equal access to knowledge for the least advantaged.",
    },
    "cloning_royalty_free": {
        "utilitarian": "The developer has had its window to recoup; diffusion now maximises "
        "welfare.",
        "deontological": "Compensation was offered for the protected period; the claim does not "
        "last forever.",
        "lockean": "A time-bounded reward satisfies the proviso of enough and as good for others.",
        "rawlsian": "Free reuse lowers prices and widens access.",
    },
    "cloning_compulsory_licence": {
        "utilitarian": "A time-limited royalty keeps the incentive to invest while preventing a "
        "durable monopoly.",
        "deontological": "Use without consent is paired with just compensation.",
        "lockean": "The developer's labour is paid for in proportion to use.",
        "rawlsian": "A guaranteed licence keeps the market contestable and prices lower.",
    },
    "cloning_needs_consent": {
        "utilitarian": "During exclusivity the developer recoups its investment; substitution "
        "now would erode the incentive.",
        "deontological": "Without consent or a compulsory licence, taking the developer's market "
        "breaks a rightful claim.",
        "lockean": "The developer's early-market reward for its labour is protected.",
        "rawlsian": "The protection is temporary; access follows once the window opens.",
    },
    "not_distillation": {
        "utilitarian": "Checking a model against a leader costs the leader nothing and improves "
        "what reaches users.",
        "deontological": "No one's work is taken into another model; only the access terms bind.",
        "lockean": "The teacher's labour is not mixed into the student; nothing is owed for it.",
        "rawlsian": "Open evaluation keeps claims about models honest for everyone.",
    },
    "internal_experiment": {
        "utilitarian": "Experiments that never reach the market cannot erode the incentive to "
        "invest; deterring them would only slow learning.",
        "deontological": "The terms of access still bind; the market claim is untouched while the "
        "student stays in-house.",
        "lockean": "The developer's market reward is unaffected; the distiller's own labour is "
        "its own.",
        "rawlsian": "Learning in-house harms no one; access questions arise only on release.",
    },
    "transformative_use": {
        "utilitarian": "Non-substitutive reuse creates new value without eroding the teacher's "
        "market.",
        "deontological": "Transparency and shared safety improvements keep the reuse honest.",
        "lockean": "The distiller's added labour earns its own claim; the teacher's market is "
        "untouched.",
        "rawlsian": "New domains and functions widen who benefits from the technology.",
    },
}


# Where a row fires in more than one phase, the notes that fit the phase it fired in.
PHASE_NOTES: dict[tuple[str, str], dict[str, str]] = {
    ("cloning_needs_consent", "licence_window"): {
        "utilitarian": "The exclusivity is over, but no compulsory licence is open here until "
        "its trigger is met; the window still closes on schedule and free use follows.",
        "deontological": "Without consent or an open compulsory licence, taking the developer's "
        "market breaks a rightful claim.",
        "lockean": "Where the regime opens the licence only on proof of abuse, the developer's "
        "reward runs on through the window.",
        "rawlsian": "The protection is temporary: the licence opens once its trigger is met, "
        "and use is free after the window.",
    },
}


@cache
def lens_notes(decision: str | None, phase: str | None = None) -> dict[str, dict[str, object]]:
    if decision is None:
        return {
            lens: {
                "note": "The outcome is not determined; see missing_facts.",
                "source": c.as_dict(),
            }
            for lens, c in LENS_ROWS.items()
        }
    notes = PHASE_NOTES.get((decision, phase or ""), NOTES[decision])
    return {lens: {"note": notes[lens], "source": c.as_dict()} for lens, c in LENS_ROWS.items()}
