"""YAML parsing in one place: libyaml's C parser when present (several times faster to load a
profile or a case), the pure-Python one otherwise; both safe (no arbitrary objects)."""

from __future__ import annotations

from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YAMLError = yaml.YAMLError


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)
