"""Jurisdiction profiles: the framework's levers, set per legal system, dated and cited."""

from distillgov.framework.levers import LEVERS, Lever, ResolvedLevers
from distillgov.jurisdictions.profile import (
    Profile,
    builtin_ids,
    load_builtin,
    load_file,
    load_profile,
)

__all__ = [
    "LEVERS",
    "Lever",
    "Profile",
    "ResolvedLevers",
    "builtin_ids",
    "load_builtin",
    "load_file",
    "load_profile",
]
