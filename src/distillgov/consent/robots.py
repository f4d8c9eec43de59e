"""robots.txt as a consent signal: which crawler may fetch a path (RFC 9309), and which usage
preferences attach to it — the `Content-Usage` rule of draft-ietf-aipref-attach-05 and
Cloudflare's `Content-Signal` line, read with the same group and path rules.

Crawl decisions are made here rather than by Protego, the well-kept parser we compare with:
Protego normalises every URL's percent-encoding through urllib, which cost half of a manifest
check (docs/performance.md, consent); its decisions are the reference our tests hold ours to
(random files, groups and paths in tests/consent/test_signals.py), and Protego has no API for
the rules it does not know, such as Content-Usage.

RFC 9309 as applied here: a group is one or more `user-agent` lines and the rules after them;
product tokens match case-insensitively; every group naming the crawler is merged, and without
one the `*` groups apply (a named group does not inherit from `*`); a path rule matches by
prefix, `*` standing for any characters and `$` for the end; the longest pattern (in octets)
wins. For usage preferences, rules of equal length that conflict combine to the most
restrictive (the attach draft, section 3.1), and a path that may not be crawled has none. The
file is read up to 500 KiB, the least the RFC lets a parser read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, unquote

from distillgov.consent.vocabulary import (
    CATEGORIES,
    Preference,
    Statement,
    combine,
    read_content_signal,
    read_dictionary,
)

MAX_BYTES = 500 * 1024
_LABEL = {"content-usage": "Content-Usage", "content-signal": "Content-Signal"}

# Robots product tokens of crawlers that collect for training AI models, from their operators'
# documentation (as listed by the ai.robots.txt project, robots.json, 2026-08): a group that
# forbids one of them a path reserves the path from that operator's training.
AI_TRAINING_AGENTS: dict[str, str] = {
    "GPTBot": "OpenAI",
    "ClaudeBot": "Anthropic",
    "anthropic-ai": "Anthropic (legacy token)",
    "Google-Extended": "Google (a control token, no crawler of its own)",
    "Applebot-Extended": "Apple (a control token)",
    "CCBot": "Common Crawl",
    "meta-externalagent": "Meta",
    "Bytespider": "ByteDance",
    "cohere-ai": "Cohere",
    "DeepSeekBot": "DeepSeek",
}


@dataclass
class Group:
    agents: list[str]
    rules: list[tuple[str, str, int]] = field(default_factory=list)  # (key, value, line)


@dataclass(frozen=True)
class PathRule:
    pattern: str
    statement: Statement
    line: int
    kind: str  # "content-usage" | "content-signal"


@dataclass(frozen=True)
class UsageDecision:
    """What robots.txt says of one path for one crawler."""

    crawl_allowed: bool
    preferences: dict[str, Preference]
    decided_by: dict[str, tuple[str, ...]]  # per category, the lines that decided it
    unknown_labels: tuple[str, ...] = ()


class RobotsFile:
    """A parsed robots.txt: its groups, with each crawler's rules compiled once."""

    def __init__(self, text: str) -> None:
        raw = text.encode("utf-8", errors="replace")
        self.truncated = len(raw) > MAX_BYTES
        self.text = raw[:MAX_BYTES].decode("utf-8", errors="ignore") if self.truncated else text
        self.groups = _groups(self.text)
        self._rules: dict[str, list[PathRule]] = {}
        self._usage: dict[tuple[str, tuple[int, ...]], UsageDecision] = {}
        self._crawl: dict[str, list[tuple[int, str, re.Pattern[str] | None, bool]]] = {}
        named = {a.lower() for g in self.groups for a in g.agents if a != "*"}
        # AI-training tokens a group names; every other one falls to the `*` groups, decided once.
        self._ai_named = [t for t in AI_TRAINING_AGENTS if t.lower() in named]
        self._ai_unnamed = [t for t in AI_TRAINING_AGENTS if t not in self._ai_named]

    def _chosen(self, agent: str) -> list[Group]:
        token = agent.lower()
        named = [g for g in self.groups if any(a.lower() == token for a in g.agents)]
        return named or [g for g in self.groups if "*" in g.agents]

    def _path_rules(self, agent: str) -> list[PathRule]:
        found = self._rules.get(agent)
        if found is None:
            rules = (_path_rule(k, v, n) for g in self._chosen(agent) for k, v, n in g.rules)
            found = self._rules[agent] = [r for r in rules if r is not None]
        return found

    def _crawl_rules(self, agent: str) -> list[tuple[int, str, re.Pattern[str] | None, bool]]:
        """Allow and Disallow rules, longest first and Allow first among equals: the first
        that matches decides (an empty Disallow forbids nothing, and is dropped)."""
        found = self._crawl.get(agent)
        if found is None:
            rules = []
            for g in self._chosen(agent):
                for key, value, _ in g.rules:
                    if key in ("allow", "disallow") and value:
                        pattern = _normalise(value)
                        special = "*" in pattern or pattern.endswith("$")
                        compiled = _compiled(pattern) if special else None
                        rules.append((len(pattern.encode()), pattern, compiled, key == "allow"))
            found = self._crawl[agent] = sorted(rules, key=lambda r: (-r[0], not r[3]))
        return found

    def can_crawl(self, url: str, agent: str, target: str | None = None) -> bool:
        path = _normalise(target if target is not None else split_url(url)[1])
        if path.partition("?")[0] == "/robots.txt":
            return True
        for _, pattern, compiled, allow in self._crawl_rules(agent):
            if path.startswith(pattern) if compiled is None else compiled.match(path):
                return allow
        return True

    def usage(self, url: str, agent: str = "*", crawl: bool | None = None) -> UsageDecision:
        """The usage preferences robots.txt attaches to `url` for crawler `agent` (`crawl`:
        whether it may fetch the URL, if the caller knows already)."""
        if not (self.can_crawl(url, agent) if crawl is None else crawl):
            none = {c: Preference.UNKNOWN for c in CATEGORIES}
            return UsageDecision(False, none, {})
        target = _target(url)
        rules = self._path_rules(agent)
        which = tuple(i for i, r in enumerate(rules) if _matches(r.pattern, target))
        # The decision depends only on which rules matched: decided once per combination.
        key = (agent, which)
        found = self._usage.get(key)
        if found is None:
            found = self._usage[key] = _decide_usage([rules[i] for i in which])
        return found

    def ai_training_refusals(self, url: str) -> list[str]:
        """The AI-training crawlers this file forbids to fetch `url`."""
        refused = [a for a in self._ai_named if not self.can_crawl(url, a)]
        if self._ai_unnamed and not self.can_crawl(url, "*"):
            refused += self._ai_unnamed
        return [a for a in AI_TRAINING_AGENTS if a in refused]


def _decide_usage(matched: list[PathRule]) -> UsageDecision:
    """Per category, the longest matching rule that states a preference; rules of equal
    length combine to the most restrictive."""
    out: dict[str, Preference] = {}
    lines: dict[str, tuple[str, ...]] = {}
    for category in CATEGORIES:
        stating = [
            r for r in matched if r.statement.preferences[category] is not Preference.UNKNOWN
        ]
        if not stating:
            out[category] = Preference.UNKNOWN
            continue
        longest = max(len(r.pattern.encode()) for r in stating)
        best = [r for r in stating if len(r.pattern.encode()) == longest]
        out[category] = combine(r.statement.preferences[category] for r in best)
        lines[category] = tuple(f"robots.txt line {r.line}: {_LABEL[r.kind]}" for r in best)
    unknown = [label for r in matched for label in r.statement.unknown_labels]
    return UsageDecision(True, out, lines, tuple(dict.fromkeys(unknown)))


def _groups(text: str) -> list[Group]:
    groups: list[Group] = []
    current: Group | None = None
    last_was_agent = False
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0]
        key, sep, value = content.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            if current is None or not last_was_agent:
                current = Group([])
                groups.append(current)
            current.agents.append(value)
            last_was_agent = True
            continue
        last_was_agent = False
        if current is not None and key in ("allow", "disallow", "content-usage", "content-signal"):
            current.rules.append((key, value, number))
    return groups


def _path_rule(key: str, value: str, line: int) -> PathRule | None:
    if key not in ("content-usage", "content-signal"):
        return None
    pattern, preference = "", value
    if value.startswith("/"):
        split = re.search(r"[ \t]", value)
        pattern, preference = (
            (value, "") if split is None else (value[: split.start()], value[split.end() :])
        )
    statement = (
        read_dictionary(preference.strip())
        if key == "content-usage"
        else read_content_signal(preference.strip())
    )
    return PathRule(pattern, statement, line, key)


_URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?(?://([^/?#]*))?([^#]*)")


_last_split: tuple[str, tuple[str, str]] = ("", ("", "/"))


def split_url(url: str) -> tuple[str, str]:
    """The host (lower case, without user or port) and the path with its query: what rules
    match against (urlsplit costs ten times as much, and a manifest has millions of URLs). The
    last answer is kept: one item asks it of the same URL several times in a row."""
    global _last_split
    if _last_split[0] == url:
        return _last_split[1]
    m = _URL.match(url)
    authority, target = (m.group(1) or "", m.group(2) or "") if m else ("", url)
    host = authority.rpartition("@")[2]
    # An IPv6 literal keeps its colons.
    host = host.partition("]")[0] + "]" if host.startswith("[") else host.partition(":")[0]
    if not target.startswith("/"):
        target = "/" + target
    _last_split = (url, (host.lower(), target))
    return _last_split[1]


def _target(url: str) -> str:
    return split_url(url)[1]


# RFC 9309 2.2.2: octets are compared percent-encoded, except that an encoded unreserved
# character is compared decoded; "*" and "$" keep their meaning in patterns.
_SAFE = "/?&=;:@+,!$'()*~-._%"


def _normalise(text: str) -> str:
    if "%" not in text and text.isascii():
        return text
    return quote(unquote(text), safe=_SAFE)


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(part) for part in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""))


def _matches(pattern: str, target: str) -> bool:
    """RFC 9309 path matching: a prefix match, `*` any characters, `$` the end. An empty
    pattern (a rule with no path) matches every path."""
    return pattern == "" or _compiled(pattern).match(target) is not None


def path_matches(pattern: str, target: str) -> bool:
    return _matches(pattern, target)
