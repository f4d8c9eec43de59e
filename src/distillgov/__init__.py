"""distillgov: the Balanced Framework for AI Model Distillation, made operable."""

__version__ = "0.1.0"
