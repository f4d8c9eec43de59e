"""The IETF AI-preferences vocabulary (draft-ietf-aipref-vocab-07): usage categories, the three
outcomes a recipient ends with per category, how several statements combine, and how a
Structured Field Dictionary (RFC 9651) is read into preferences. Pure.

Only the draft's two categories are read (`train-ai`, `search`); every other label is kept and
reported as unknown vocabulary, never guessed into a category. Labels of earlier drafts and of
Cloudflare's Content Signals are mapped by an explicit, version-tagged table (LEGACY_LABELS,
CONTENT_SIGNALS) so a reader can see what was translated and from where.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import http_sf

CATEGORIES = ("train-ai", "search")  # draft-ietf-aipref-vocab-07, section 4
VOCABULARY = "draft-ietf-aipref-vocab-07"


class Preference(StrEnum):
    ALLOW = "allow"
    DISALLOW = "disallow"
    UNKNOWN = "unknown"


def combine(preferences: Iterable[Preference]) -> Preference:
    """The draft's combination rule (section 7.1): any disallow wins, then any allow, else
    unknown — the most restrictive statement applies."""
    seen = set(preferences)
    if Preference.DISALLOW in seen:
        return Preference.DISALLOW
    if Preference.ALLOW in seen:
        return Preference.ALLOW
    return Preference.UNKNOWN


# Labels of earlier drafts that a file written in 2025 may still carry, with the draft that
# defined them and the -07 category they are read as (None: no -07 category covers it).
LEGACY_LABELS: dict[str, tuple[str, str | None]] = {
    "ai": ("draft-ietf-aipref-vocab-01", "train-ai"),
    "genai": ("draft-ietf-aipref-vocab-01", "train-ai"),
    "train-genai": ("draft-ietf-aipref-vocab-02", "train-ai"),
    "tdm": ("draft-ietf-aipref-vocab-01", None),
    "all": ("draft-ietf-aipref-vocab-02", None),
    "bots": ("draft-ietf-aipref-vocab-03", None),
    "ai-use": ("draft-ietf-aipref-vocab-02", None),
    "ai-output": ("draft-ietf-aipref-vocab-04", None),
}

# Cloudflare's Content Signals (robots.txt `Content-Signal:` lines, values yes/no): `ai-train`
# covers any training, wider than -07's `train-ai` (generative models only); reading its `no` as
# a disallow of `train-ai` over-covers, which is the cautious side for a reservation.
CONTENT_SIGNALS: dict[str, str | None] = {
    "ai-train": "train-ai",
    "search": "search",
    "ai-input": None,
}


@dataclass(frozen=True)
class Statement:
    """One statement of preference, as read from one source."""

    preferences: dict[str, Preference]  # every category in CATEGORIES
    unknown_labels: tuple[str, ...] = ()
    legacy: tuple[str, ...] = ()  # labels translated from an earlier draft
    error: str | None = None  # why the text could not be parsed (then everything is unknown)
    extra: dict[str, Any] = field(default_factory=dict)


def _unknown(error: str | None = None, labels: tuple[str, ...] = ()) -> Statement:
    return Statement({c: Preference.UNKNOWN for c in CATEGORIES}, labels, (), error)


def read_dictionary(raw: bytes | str) -> Statement:
    """Preferences from the draft's exemplary format: an RFC 9651 Dictionary whose keys are
    labels and whose Token values `y`/`n` allow or disallow (section 6). A parse failure makes
    every category unknown; a value that is not the Token y or n is unknown; the last of a
    duplicated key wins (RFC 9651); parameters are ignored."""
    data = raw.encode("utf-8", errors="replace") if isinstance(raw, str) else raw
    try:
        parsed: Any = http_sf.parse(data, tltype="dictionary")
    except http_sf.StructuredFieldError as why:
        return _unknown(f"not a Structured Field Dictionary: {why}")
    if not isinstance(parsed, Mapping):  # pragma: no cover - the parser returns a dict
        return _unknown("not a Structured Field Dictionary")
    out = {c: Preference.UNKNOWN for c in CATEGORIES}
    unknown, legacy = [], []
    for label, (value, _params) in parsed.items():
        category = label if label in CATEGORIES else None
        if category is None and label in LEGACY_LABELS:
            legacy.append(label)
            category = LEGACY_LABELS[label][1]
        if category is None:
            if label not in LEGACY_LABELS:
                unknown.append(label)
            continue
        pref = _token_preference(value, ("y", "n"))
        # A legacy label never overrides the category's own label.
        if label == category or out[category] is Preference.UNKNOWN:
            out[category] = pref
    return Statement(out, tuple(unknown), tuple(legacy))


def _token_preference(value: Any, words: tuple[str, str]) -> Preference:
    if isinstance(value, http_sf.Token):
        if str(value) == words[0]:
            return Preference.ALLOW
        if str(value) == words[1]:
            return Preference.DISALLOW
    return Preference.UNKNOWN


def read_content_signal(raw: str) -> Statement:
    """A Cloudflare `Content-Signal:` value (`search=yes, ai-train=no`), mapped to the
    vocabulary by CONTENT_SIGNALS; `ai-input` and unknown signals are reported, not read."""
    try:
        parsed: Any = http_sf.parse(raw.encode("utf-8", errors="replace"), tltype="dictionary")
    except http_sf.StructuredFieldError as why:
        return _unknown(f"not a Structured Field Dictionary: {why}")
    out = {c: Preference.UNKNOWN for c in CATEGORIES}
    unknown = []
    for label, (value, _params) in parsed.items():
        category = CONTENT_SIGNALS.get(label)
        if category is None:
            unknown.append(label)
            continue
        out[category] = _token_preference(value, ("yes", "no"))
    return Statement(out, tuple(unknown))
