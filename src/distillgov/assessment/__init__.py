"""The one entrance every door calls: read a case, complete it from the catalogue, follow its
lineage, assess, suggest variants; batch files in and out."""

from distillgov.assessment.assess import assess_case, complete, determine

__all__ = ["assess_case", "complete", "determine"]
