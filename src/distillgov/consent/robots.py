"""robots.txt as a consent signal: which crawler may fetch a path (RFC 9309, decided by Protego,
a well-kept parser we did not write), and which usage preferences attach to it — the
`Content-Usage` rule of draft-ietf-aipref-attach-05 and Cloudflare's `Content-Signal` line, which
Protego does not read, so this module reads them with the same group and path rules.

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
from urllib.parse import urlsplit

from protego import Protego

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
    """A parsed robots.txt: its groups, and Protego's reading of it for crawl decisions."""

    def __init__(self, text: str) -> None:
        raw = text.encode("utf-8", errors="replace")
        self.truncated = len(raw) > MAX_BYTES
        self.text = raw[:MAX_BYTES].decode("utf-8", errors="ignore") if self.truncated else text
        self.groups = _groups(self.text)
        self._protego = Protego.parse(self.text)
        self._rules: dict[str, list[PathRule]] = {}
        named = {a.lower() for g in self.groups for a in g.agents if a != "*"}
        # AI-training tokens that some group may name (Protego matches a group's name inside the
        # crawler's token); every other token falls to the `*` groups and is decided once.
        self._ai_named = [
            t for t in AI_TRAINING_AGENTS if any(n in t.lower() or t.lower() in n for n in named)
        ]
        self._ai_unnamed = [t for t in AI_TRAINING_AGENTS if t not in self._ai_named]

    def _path_rules(self, agent: str) -> list[PathRule]:
        found = self._rules.get(agent)
        if found is None:
            token = agent.lower()
            named = [g for g in self.groups if any(a.lower() == token for a in g.agents)]
            chosen = named or [g for g in self.groups if "*" in g.agents]
            rules = (_path_rule(k, v, n) for g in chosen for k, v, n in g.rules)
            found = self._rules[agent] = [r for r in rules if r is not None]
        return found

    def can_crawl(self, url: str, agent: str) -> bool:
        path = urlsplit(url).path or "/"
        if path == "/robots.txt":
            return True
        return bool(self._protego.can_fetch(url, agent))

    def usage(self, url: str, agent: str = "*") -> UsageDecision:
        """The usage preferences robots.txt attaches to `url` for crawler `agent`."""
        if not self.can_crawl(url, agent):
            none = {c: Preference.UNKNOWN for c in CATEGORIES}
            return UsageDecision(False, none, {})
        target = _target(url)
        matched = [r for r in self._path_rules(agent) if _matches(r.pattern, target)]
        out: dict[str, Preference] = {}
        lines: dict[str, tuple[str, ...]] = {}
        unknown: list[str] = []
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
        for r in matched:
            unknown += list(r.statement.unknown_labels)
        return UsageDecision(True, out, lines, tuple(dict.fromkeys(unknown)))

    def ai_training_refusals(self, url: str) -> list[str]:
        """The AI-training crawlers this file forbids to fetch `url`."""
        refused = [a for a in self._ai_named if not self.can_crawl(url, a)]
        if self._ai_unnamed and not self.can_crawl(url, "*"):
            refused += self._ai_unnamed
        return [a for a in AI_TRAINING_AGENTS if a in refused]


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


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


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
