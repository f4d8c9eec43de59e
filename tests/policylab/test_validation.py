"""Every lever and parameter has a domain: a value outside it is one clear line naming the field,
the value and the allowed range, from a file and from the command line alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from distillgov.policylab.lab import InvalidAssumptions, load_assumptions
from distillgov.policylab.model import ECONOMY_DOMAINS, LEVER_DOMAINS, Economy, Levers


def test_every_parameter_and_lever_has_a_domain_and_the_textbook_lies_inside() -> None:
    assert set(ECONOMY_DOMAINS) == set(Economy.names())
    assert set(LEVER_DOMAINS) == {f for f in Levers.__dataclass_fields__}
    for name, domain in ECONOMY_DOMAINS.items():
        assert domain.holds(float(getattr(Economy(), name))), name


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("economy: {interest: -0.5}", "parameter 'interest', value -0.5: must lie in (0, 1]"),
        ("economy: {demand_slope: 0}", "parameter 'demand_slope', value 0.0: must lie in (0, inf)"),
        (
            "economy: {substitution: .nan}",
            "parameter 'substitution', value nan: must lie in [0, 1]",
        ),
        ("economy: {rent_decay: 1}", "parameter 'rent_decay', value 1.0: must lie in [0, 1)"),
        (
            "economy: {interest: {normal: [-0.3, 0.01]}}",
            "parameter 'interest', centre of the distribution -0.3: must lie in (0, 1]",
        ),
        (
            "economy: {interest: {normal: [0.1, -1]}}",
            "the spread (second number) must be 0 or more",
        ),
        ("economy: {interest: {uniform: [0.1, .inf]}}", "must be finite numbers"),
        ("royalty_rate: {tribunal: 1.5}", "royalty_rate.tribunal"),
        ("abuse_proven_probability: 2", "abuse_proven_probability"),
        ("calibration: modern", "calibration"),
    ],
)
def test_an_assumptions_file_out_of_domain_is_refused_naming_the_field(
    tmp_path: Path, line: str, message: str
) -> None:
    f = tmp_path / "a.yaml"
    f.write_text(line + "\n")
    with pytest.raises(InvalidAssumptions) as info:
        load_assumptions(f)
    assert message in str(info.value)


def test_draws_stay_inside_the_domain(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text(
        "economy:\n  interest: {normal: [0.05, 0.2]}\n  pass_through: {normal: [0.5, 2]}\n"
    )
    e = load_assumptions(f).economy_draws(5000, 1)
    assert e.interest.min() > 0 and e.interest.max() <= 1
    assert e.pass_through.min() >= 0 and e.pass_through.max() <= 1


def _lab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "distillgov", "lab", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sweep", "--exclusivity", "-5"), "option --exclusivity, value -5: must lie in [0, 200]"),
        (("sweep", "--royalty", "1.5"), "option --royalty, value 1.5: must lie in [0, 1]"),
        (("sweep", "--window", "nan"), "option --window, value nan: must lie in [0, 200]"),
        (("sweep", "--window", "0:4:0"), "COUNT 1 to 100,000"),
        (("optimise", "--royalty", "0:2:3"), "option --royalty, value 2: must lie in [0, 1]"),
        (("uncertainty", "--royalty", "nan"), "field '--royalty', value nan: must lie in [0, 1]"),
        (("uncertainty", "--licence-window", "-1"), "field '--licence-window', value -1.0"),
        (("report", "-o", "x", "--windows", "0:1e9:5"), "option --windows, value 1e+09"),
    ],
)
def test_out_of_domain_options_are_one_clear_line(args: tuple[str, ...], message: str) -> None:
    done = _lab(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
