"""The words of the framework: categories, rules, and the values the facts of a case can take."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """The framework's types of distillation, plus its de minimis exception."""

    AUTHORIZED = "authorized"
    COMMERCIAL_CLONING = "commercial_cloning"
    TRANSFORMATIVE = "transformative"
    RESEARCH = "research"
    ILLICIT = "illicit"
    DE_MINIMIS = "de_minimis"
    # Our readings of where the types table stops (docs/interpretations.md 79): outputs nobody
    # learns from, and a student nobody outside the distiller uses.
    NOT_DISTILLATION = "not_distillation"
    INTERNAL_EXPERIMENT = "internal_experiment"


class Rule(StrEnum):
    """The baseline legal consequence attached to a category."""

    PERMITTED = "permitted"
    COMPULSORY_LICENSE = "compulsory_license"
    CONDITIONAL = "conditional"
    EXEMPT = "exempt"
    PROHIBITED = "prohibited"


class Access(StrEnum):
    """How the distiller obtained the teacher's outputs or weights."""

    INTERNAL = "internal"
    LICENSED_WEIGHTS = "licensed_weights"
    LICENSED_API = "licensed_api"
    PUBLIC_API_WITHIN_TERMS = "public_api_within_terms"
    PUBLISHED_OUTPUTS = "published_outputs"
    TERMS_BREACH = "terms_breach"
    CIRCUMVENTION = "circumvention"
    INTRUSION = "intrusion"
    LEAKED_WEIGHTS = "leaked_weights"
    PRIVACY_VIOLATING_COLLECTION = "privacy_violating_collection"


class Purpose(StrEnum):
    COMMERCIAL_PRODUCT = "commercial_product"
    INTERNAL_TOOLING = "internal_tooling"
    ACADEMIC_RESEARCH = "academic_research"
    ACCOUNTABILITY_AUDIT = "accountability_audit"
    SAFETY_RESEARCH = "safety_research"


class Deployment(StrEnum):
    NONE = "none"
    NON_COMMERCIAL_RELEASE = "non_commercial_release"
    COMMERCIAL = "commercial"


class MarketRelation(StrEnum):
    """How the student stands to the teacher in the market."""

    DIRECT_SUBSTITUTE = "direct_substitute"
    NEW_DOMAIN = "transformative_new_domain"
    ADDED_FUNCTIONALITY = "transformative_added_functionality"


class OutputUse(StrEnum):
    TRAINING = "training"
    LABELLING = "labelling"  # judging: preference labels or reward signals the student learns from
    EVALUATION = "evaluation"
    CALIBRATION = "calibration"
    INSPIRATION = "inspiration"


class Phase(StrEnum):
    """Where the assessment date falls in the teacher's protection timeline."""

    EXCLUSIVITY = "exclusivity"
    LICENCE_WINDOW = "licence_window"
    ROYALTY_FREE = "royalty_free"


class RightsRequests(StrEnum):
    """What data subjects' requests against a project's data sources say (privacy row)."""

    NONE = "none"  # none on record
    OPEN = "open"  # open, within their deadlines
    OVERDUE = "overdue"  # a request or a downstream duty past its deadline


class ReservedWorks(StrEnum):
    """What the consent check of a project's training data found (stakeholders table, content
    creators' consent)."""

    NONE = "none"  # no reserved work on record
    INCLUDED = "included"  # works reserved from AI training when collected are in the data
    EXCLUDED = "excluded"  # such works were found and left out


class ReservationEffect(StrEnum):
    """What a creator's reservation of a work from AI training does in a profile."""

    BINDING = "binding"  # the work is left out, or licensed by its rights-holder
    COLLECTIVE = "collective"  # the work may be used, paid for through the collective licence
    INFORMATIONAL = "informational"  # no legal effect: reported, not applied


class ObligationStatus(StrEnum):
    MET = "met"
    DUE = "due"  # not yet done, not yet late
    ONGOING = "ongoing"  # a continuing duty
    BREACHED = "breached"


# Lever values of the jurisdiction profiles.
class ClauseReach(StrEnum):
    """How far a teacher's anti-distillation clause reaches (adjustments table, contract row)."""

    ENFORCED = "enforced"
    SUBORDINATED = "subordinated"
    FILTERED = "filtered"


class ExclusivityModel(StrEnum):
    """Whether the exclusivity time precedes the compulsory-licence window or is that window."""

    PRECEDES_LICENCE_WINDOW = "precedes_licence_window"
    IS_LICENCE_WINDOW = "is_licence_window"


class LicenceTrigger(StrEnum):
    """When the compulsory licence is available (adjustments table, royalty row)."""

    ALWAYS = "always"
    PROVEN_ABUSE = "proven_abuse"


class RateSetter(StrEnum):
    NEGOTIATED = "negotiated"
    TRIBUNAL = "tribunal"
    STATE = "state"
    COLLECTIVE_BODY = "collective_body"


# Groups the rules read.
IMPROPER_ACCESS = frozenset(
    {
        Access.CIRCUMVENTION,
        Access.INTRUSION,
        Access.LEAKED_WEIGHTS,
        Access.PRIVACY_VIOLATING_COLLECTION,
    }
)
PUBLIC_OUTPUT_ACCESS = frozenset({Access.PUBLIC_API_WITHIN_TERMS, Access.PUBLISHED_OUTPUTS})
# The channel that comes with the published terms attached: using it is accepting them. (A
# licensed API is governed by its own licence, which the catalogue's public terms need not be.)
CONTRACT_ACCESS = frozenset({Access.PUBLIC_API_WITHIN_TERMS})
RESEARCH_PURPOSES = frozenset(
    {Purpose.ACADEMIC_RESEARCH, Purpose.ACCOUNTABILITY_AUDIT, Purpose.SAFETY_RESEARCH}
)
TRANSFORMATIVE_RELATIONS = frozenset(
    {MarketRelation.NEW_DOMAIN, MarketRelation.ADDED_FUNCTIONALITY}
)
RELEASED = frozenset({Deployment.NON_COMMERCIAL_RELEASE, Deployment.COMMERCIAL})
