"""The framework as code: case facts in, a cited and explained determination out."""

from distillgov.framework.case import Case
from distillgov.framework.determination import Determination
from distillgov.framework.procedure import assess
from distillgov.framework.rules import FRAMEWORK_VERSION

__all__ = ["FRAMEWORK_VERSION", "Case", "Determination", "assess"]
