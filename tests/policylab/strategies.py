"""Economies for the lab's property tests: every parameter drawn inside its domain."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from distillgov.policylab.model import Economy


def economies(**fixed: Any) -> st.SearchStrategy[Economy]:
    """Economies with the textbook's market and drawn behaviour; `fixed` overrides a draw."""
    drawn: dict[str, Any] = {
        "interest": st.floats(0.01, 0.3),
        "rd_elasticity": st.floats(0, 1),
        "substitution": st.floats(0, 1),
        "student_quality": st.floats(0, 1),
        "student_margin": st.floats(0.01, 1),
        "rent_decay": st.floats(0, 0.9),
        "pass_through": st.floats(0, 1),
        "foreign_market_share": st.floats(0, 0.9),
        "distillation_cost": st.floats(0, 10),
    }
    drawn.update(
        {k: v if isinstance(v, st.SearchStrategy) else st.just(v) for k, v in fixed.items()}
    )
    return st.builds(Economy, **drawn)
