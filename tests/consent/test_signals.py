"""The specifications' own examples as test vectors: the AI-preferences vocabulary (-07) and
its attachment to robots.txt and HTTP (-05), RFC 9309, Cloudflare's Content Signals and the W3C
TDM Reservation Protocol; and our robots.txt path matcher against Protego's on random files."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from protego import Protego

from distillgov.consent import tdmrep
from distillgov.consent.robots import RobotsFile
from distillgov.consent.vocabulary import (
    Preference,
    combine,
    read_content_signal,
    read_dictionary,
)

A, D, U = Preference.ALLOW, Preference.DISALLOW, Preference.UNKNOWN


@pytest.mark.parametrize(
    ("text", "train", "search"),
    [
        ("train-ai=y, search=n", A, D),  # the vocabulary's own example (section 6)
        ("train-ai=n", D, U),
        ("train-ai=y, train-ai", U, U),  # the last duplicate wins: Boolean true is unknown
        ('search="n"', U, U),  # a String, not a Token
        ("train-ai;allow=n, train-ai=y", A, U),  # parameters are ignored
        ("train-ai=yes", U, U),  # another Token is unknown
        ("Train-AI=n", U, U),  # an uppercase key fails the parse: everything unknown
        ("", U, U),
    ],
)
def test_the_vocabulary_reads_the_exemplary_format(
    text: str, train: Preference, search: Preference
) -> None:
    s = read_dictionary(text)
    assert (s.preferences["train-ai"], s.preferences["search"]) == (train, search)


def test_unknown_labels_are_kept_and_legacy_ones_named() -> None:
    s = read_dictionary("train-ai=n, infer-user=n, genai=y")
    assert s.unknown_labels == ("infer-user",)  # a proposal, not -07 vocabulary: not guessed
    assert s.legacy == ("genai",)
    assert s.preferences["train-ai"] is D  # the category's own label wins over a legacy one
    assert read_dictionary("genai=n").preferences["train-ai"] is D  # draft -01's label
    assert read_dictionary("Train-AI=n").error is not None


@given(st.lists(st.sampled_from([A, D, U]), max_size=6))
def test_combining_is_the_most_restrictive_and_order_free(prefs: list[Preference]) -> None:
    result = combine(prefs)
    assert result is combine(list(reversed(prefs)))
    assert result is (D if D in prefs else A if A in prefs else U)


ATTACH_EXAMPLE = """User-Agent: *
Allow: /
Disallow: /never/
Content-Usage: train-ai=n
Content-Usage: /ai-ok/ train-ai=y

User-Agent: ExampleBot
Allow: /
Content-Usage: train-ai=y
"""


@pytest.mark.parametrize(
    ("path", "agent", "crawl", "pref"),
    [
        ("/test", "*", True, D),  # the attach draft's table (section 3.4)
        ("/never/test", "*", False, U),  # may not be crawled: no preference
        ("/ai-ok/test", "*", True, A),
        ("/test", "ExampleBot", True, A),  # its own group
        ("/never/test", "examplebot", True, A),  # tokens match case-insensitively
    ],
)
def test_the_attach_drafts_robots_example(
    path: str, agent: str, crawl: bool, pref: Preference
) -> None:
    usage = RobotsFile(ATTACH_EXAMPLE).usage(f"https://example.com{path}", agent)
    assert (usage.crawl_allowed, usage.preferences["train-ai"]) == (crawl, pref)


def test_equal_paths_that_conflict_are_most_restrictive_and_longest_wins() -> None:
    text = (
        "User-agent: *\nContent-Usage: /a train-ai=y\nContent-Usage: /a train-ai=n\n"
        "Content-Usage: /a/b\ttrain-ai=y   # a tab separates the path\nContent-Usage: search=y\n"
    )
    robots = RobotsFile(text)
    assert robots.usage("https://x.org/a/x").preferences["train-ai"] is D
    assert robots.usage("https://x.org/a/b/c").preferences["train-ai"] is A
    assert robots.usage("https://x.org/zzz").preferences == {"train-ai": U, "search": A}
    decided = robots.usage("https://x.org/a/b/c").decided_by
    assert decided == {
        "train-ai": ("robots.txt line 4: Content-Usage",),
        "search": ("robots.txt line 5: Content-Usage",),
    }


def test_rfc_9309_groups_merge_and_a_named_group_does_not_inherit() -> None:
    text = (
        "User-agent: *\nDisallow: /private\nContent-Usage: train-ai=n\n\n"
        "User-agent: GPTBot\nDisallow: /\n\nUser-agent: gptbot\nAllow: /public\n"
    )
    robots = RobotsFile(text)
    assert robots.can_crawl("https://x.org/public/a", "GPTBot")  # the two groups merged
    assert not robots.can_crawl("https://x.org/other", "GPTBot")
    assert robots.can_crawl("https://x.org/robots.txt", "GPTBot")  # always allowed
    # GPTBot's group has no Content-Usage rule and does not inherit the `*` group's.
    assert robots.usage("https://x.org/public/a", "GPTBot").preferences["train-ai"] is U
    assert robots.usage("https://x.org/a", "OtherBot").preferences["train-ai"] is D
    assert robots.ai_training_refusals("https://x.org/other") == ["GPTBot"]
    assert "CCBot" in robots.ai_training_refusals("https://x.org/private/x")  # via `*`


def test_cloudflares_content_signal_lines() -> None:
    robots = RobotsFile(
        "User-agent: *\nContent-Signal: search=yes, ai-train=no, ai-input=no\nAllow: /\n"
    )
    usage = robots.usage("https://x.org/page")
    assert usage.preferences == {"train-ai": D, "search": A}
    assert usage.unknown_labels == ("ai-input",)  # no -07 category: kept and reported
    assert read_content_signal("ai-train=yes").preferences["train-ai"] is A


def test_a_robots_file_past_500_kib_is_read_up_to_the_limit() -> None:
    text = (
        "User-agent: *\nContent-Usage: train-ai=n\n"
        + "#" * (600 * 1024)
        + "\nContent-Usage: train-ai=y\n"
    )
    robots = RobotsFile(text)
    assert robots.truncated
    assert robots.usage("https://x.org/").preferences["train-ai"] is D


# --- RFC 9309 crawl decisions: ours against Protego's -------------------------------------------

_PATTERNS = st.text(alphabet="/ab.$*~", min_size=0, max_size=6).map(lambda s: "/" + s.lstrip("/"))
_GROUP = st.tuples(
    st.lists(st.sampled_from(["*", "BotA", "bota", "BotB"]), min_size=1, max_size=2),
    st.lists(
        st.tuples(st.sampled_from(["Allow", "Disallow"]), _PATTERNS | st.just("")), max_size=4
    ),
)
_TARGETS = st.sampled_from(["", "?q=1", "%7E", "~", "/"]).flatmap(
    lambda tail: st.text(alphabet="/ab.~", max_size=7).map(lambda p: "/" + p.lstrip("/") + tail)
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_GROUP, min_size=1, max_size=3), _TARGETS, st.sampled_from(["BotA", "BotB", "Other"])
)
def test_our_crawl_decisions_are_protegos(
    groups: list[tuple[list[str], list[tuple[str, str]]]], target: str, agent: str
) -> None:
    text = "\n".join(
        "".join(f"User-agent: {a}\n" for a in agents) + "".join(f"{k}: {p}\n" for k, p in rules)
        for agents, rules in groups
    )
    url = f"https://x.org{target}"
    assert RobotsFile(text).can_crawl(url, agent) == Protego.parse(text).can_fetch(url, agent), text


@pytest.mark.parametrize(
    ("rule", "path", "allowed"),
    [
        ("Disallow: /%7Efoo", "/~foo/x", False),  # an encoded unreserved character, decoded
        ("Disallow: /~foo", "/%7efoo/x", False),
        ("Disallow: /a$", "/a", False),
        ("Disallow: /a$", "/ab", True),
        ("Disallow: /*.pdf$", "/x/y.pdf", False),
        ("Disallow: /*.pdf$", "/x/y.pdf?z", True),
        ("Disallow: /q?a=1", "/q?a=1&b=2", False),
        ("Disallow:", "/anything", True),  # an empty Disallow forbids nothing
    ],
)
def test_rfc_9309_path_rules_by_hand(rule: str, path: str, allowed: bool) -> None:
    text = f"User-agent: *\n{rule}\n"
    url = f"https://x.org{path}"
    assert RobotsFile(text).can_crawl(url, "bot") is allowed
    assert Protego.parse(text).can_fetch(url, "bot") is allowed  # the reference agrees


# --- TDMRep ---------------------------------------------------------------------------------------

SPEC_FILE = """[
  {"location": "/directory-a/", "tdm-reservation": 1},
  {"location": "/directory-b/html/", "tdm-reservation": 1,
   "tdm-policy": "https://provider.com/policies/policy.json"},
  {"location": "/directory-b/images/*.jpg", "tdm-reservation": 0}
]"""


@pytest.mark.parametrize(
    ("path", "reservation", "policy"),
    [
        ("/directory-a/report.pdf", 1, None),  # the report's second example
        ("/directory-b/html/page.html", 1, "https://provider.com/policies/policy.json"),
        ("/directory-b/images/cat.jpg", 0, None),
        ("/elsewhere/x", None, None),  # no match: unset
    ],
)
def test_the_tdmrep_reports_example_file(
    path: str, reservation: int | None, policy: str | None
) -> None:
    rules, problems = tdmrep.parse_file(SPEC_FILE)
    assert problems == []
    found = tdmrep.from_file(rules, f"https://provider.com{path}")
    assert (found.reservation, found.policy) == (reservation, policy)


def test_tdmrep_first_rule_in_sequence_wins_and_bad_values_are_unset() -> None:
    rules, problems = tdmrep.parse_file(
        '[{"location": "/", "tdm-reservation": 0}, {"location": "/a/", "tdm-reservation": 1},'
        ' {"location": "/b/", "tdm-reservation": 2}, {"tdm-reservation": 1}]'
    )
    assert tdmrep.from_file(rules, "https://x.org/a/x").reservation == 0  # first, not longest
    assert len(problems) == 2 and "not 0 or 1" in problems[0] and "'location'" in problems[1]
    assert tdmrep.parse_file("{}")[1] == ["tdmrep.json must be a JSON array of rules"]


def test_tdmrep_headers_supersede_the_file_and_html_the_headers() -> None:
    rules, _ = tdmrep.parse_file(
        '[{"location": "/", "tdm-reservation": 1, "tdm-policy": "https://p/1"}]'
    )
    file = tdmrep.from_file(rules, "https://x.org/a")
    header = tdmrep.from_headers({"TDM-Reservation": "0"})
    html = tdmrep.from_html('<html><head><meta name="tdm-reservation" content="1"></head></html>')
    assert tdmrep.resolve(file, header).reservation == 0
    assert tdmrep.resolve(file, header).policy is None  # a policy is ignored when not reserved
    assert tdmrep.resolve(file, header, html).reservation == 1
    assert tdmrep.resolve(file, header, html).policy == "https://p/1"  # kept from the file
    assert tdmrep.resolve(file, tdmrep.from_headers({"tdm-reservation": "yes"})).reservation == 1
