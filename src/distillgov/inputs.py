"""The one safe way in for every file and body a person sends: bytes to text, text to data.

- Size: a file over its cap is refused before it is read whole.
- Encoding: UTF-8 (with or without a byte-order mark) or UTF-16 with its mark; anything else is
  refused, naming the byte at fault and, where the text reads as Windows-1252 / Latin-1, saying
  so. Nothing is guessed into a different text.
- Binary data (a NUL byte, or mostly unprintable bytes) is refused as not text.
- YAML: libyaml's parser where present, a safe constructor (no objects), duplicate keys refused
  with the line of the second, aliases limited by what they expand to (a "billion laughs" file
  is refused before it is built), and dates left as text so that the model that reads them
  validates them (an impossible date is named there, not raised by the parser).
- JSON: duplicate keys and the non-standard NaN / Infinity refused.

Every refusal is an `InputFileError` naming the file (or body), the place and why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from distillgov.errors import InputFileError

MAX_FILE_BYTES = 5 * 1024 * 1024  # a case, profile or catalogue file is a few kilobytes
MAX_EXPANDED_NODES = 100_000  # values a YAML document may hold once its aliases are expanded
MAX_DEPTH = 64  # nesting of mappings and sequences

YAMLError = yaml.YAMLError
_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Refused(yaml.YAMLError):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


class _Loader(_BASE):  # type: ignore[misc]
    """Safe YAML with duplicate keys refused, expansion bounded and dates kept as text."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return self.construct_document(node)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                raise _Refused("a mapping key must be a plain value", _line(key_node)) from None
            if first is not None:
                raise _Refused(
                    f"key {key!r} appears twice in one mapping (first on line {first})",
                    _line(key_node),
                )
            seen[key] = _line(key_node) or 0
        return super().construct_mapping(node, deep)


# Dates stay text: the pydantic models validate them and name an impossible one.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _BASE.construct_yaml_str)


def _line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    return None if mark is None else int(mark.line) + 1


def _check_expansion(root: Any) -> None:
    """Count the values the document holds with every alias expanded, without building them;
    refuse past the cap, past the depth limit, or on an alias that contains itself."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Any, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if depth > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep", _line(node))
        if key in open_nodes:
            raise _Refused("an alias refers to a value that contains it", _line(node))
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k, depth + 1) + size(v, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                total += size(v, depth + 1)
        open_nodes.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise _Refused(
                f"expands to more than {MAX_EXPANDED_NODES:,} values (aliases repeating aliases)",
                _line(node),
            )
        sizes[key] = total
        return total

    size(root, 0)


def read_bytes(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    try:
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > max_bytes:
        raise InputFileError(f"{path}: larger than {max_bytes:,} bytes; refused unread")
    return raw


def decode_text(raw: bytes, origin: str) -> str:
    """UTF-8 (a byte-order mark allowed) or UTF-16 with its mark; else refused, naming why."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputFileError(f"{origin}: marked as UTF-16 but is not valid UTF-16") from None
    else:
        if b"\x00" in raw:
            at = raw.index(b"\x00")
            raise InputFileError(f"{origin}: not a text file (a NUL byte at byte {at})")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputFileError(f"{origin}: {_not_utf8(raw, exc)}") from None
    bad = _CONTROL.search(text)
    if bad:
        raise InputFileError(
            f"{origin}: not a text file (control character U+{ord(bad.group()):04X}); "
            "save it as plain UTF-8 text"
        )
    return text


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # all but tab and line breaks


def _not_utf8(raw: bytes, exc: UnicodeDecodeError) -> str:
    line = raw.count(b"\n", 0, exc.start) + 1
    where = f"byte {exc.start} (line {line}, 0x{raw[exc.start]:02x})"
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in raw)
    if printable < 0.7 * len(raw):
        return f"not a text file (unreadable bytes from {where})"
    try:
        raw.decode("cp1252")
        hint = "it reads as Windows-1252 / Latin-1: save it as UTF-8"
    except UnicodeDecodeError:
        hint = "save it as UTF-8"
    return f"not valid UTF-8 at {where}; {hint}"


def parse_yaml(text: str, origin: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except _Refused as exc:
        where = f" (line {exc.line})" if exc.line else ""
        raise InputFileError(f"{origin}: refused{where}: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputFileError(f"{origin}: not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise InputFileError(f"{origin}: nested too deeply") from None


def _no_duplicates(origin: str) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise InputFileError(f"{origin}: key {k!r} appears twice in one object")
            out[k] = v
        return out

    return pairs


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(text: str, origin: str) -> Any:
    try:
        return json.loads(
            text, object_pairs_hook=_no_duplicates(origin), parse_constant=_no_constant
        )
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{origin}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except ValueError as exc:
        raise InputFileError(f"{origin}: not valid JSON: {exc}") from None
    except RecursionError:
        raise InputFileError(f"{origin}: nested too deeply") from None


def read_document(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """A YAML or JSON file (by its ending) as data, through every check above."""
    text = decode_text(read_bytes(path, max_bytes), str(path))
    if path.suffix.lower() == ".json":
        return parse_json(text, str(path))
    return parse_yaml(text, str(path))


def load_yaml(text: str, origin: str = "YAML") -> Any:
    """YAML text (already decoded) as data, through the same checks."""
    return parse_yaml(text, origin)
