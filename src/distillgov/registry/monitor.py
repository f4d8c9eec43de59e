"""An outsider's monitor of a registry log, over its public tile API and nothing else.

It pins the log's verifier key from a file (never from the server), fetches the checkpoint,
checks its signature (and, if asked, k of n witness cosignatures), then fetches the entry
bundles it has not seen and rebuilds the tree from the entries themselves: the new root must be
the checkpoint's, and since the tree is grown from the one it verified before (kept as its
frontier in the state file), a log that rewrote, dropped or forked its past cannot match. It
reports each new disclosure naming a teacher it watches, and keeps its position.

Verdicts it can reach: `ok` (caught up), `rolled back` (the log now shows fewer entries than it
did), `inconsistent` (a root that the entries do not give: an edit or a fork).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from distillgov.errors import DistillgovError
from distillgov.registry.checkpoint import Checkpoint, InvalidCheckpoint, parse_verifier_key, verify
from distillgov.registry.cosign import Witness, quorum
from distillgov.registry.merkle import Frontier, leaf_hash
from distillgov.registry.tiles import WIDTH, Tile


class MonitorError(DistillgovError):
    """The monitor could not read or trust what the log served."""


@dataclass
class State:
    size: int = 0
    root: str = ""  # base64
    frontier: list[tuple[int, int, str]] = field(default_factory=list)  # level, index, hex

    @classmethod
    def load(cls, path: Path) -> State:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        nodes = [(int(lv), int(ix), str(h)) for lv, ix, h in data["frontier"]]
        return cls(int(data["size"]), str(data["root"]), nodes)

    def save(self, path: Path) -> None:
        partial = path.with_name(path.name + ".tmp")
        kept = {"size": self.size, "root": self.root, "frontier": self.frontier}
        partial.write_text(json.dumps(kept))
        partial.replace(path)


@dataclass(frozen=True)
class Found:
    index: int
    kind: str
    record: str
    detail: str


@dataclass
class Report:
    verdict: str  # ok | rolled back | inconsistent
    size: int
    new_entries: int = 0
    found: list[Found] = field(default_factory=list)
    detail: str = ""


def _bundles(base: str, http: httpx.Client, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """Every entry from `start` to `end`, fetched bundle by bundle (several at once)."""
    tiles = []
    for n in range(start // WIDTH, (end + WIDTH - 1) // WIDTH):
        width = min(WIDTH, end - n * WIDTH)
        tiles.append(Tile(-1, n, width))

    def fetch(tile: Tile) -> tuple[Tile, bytes]:
        answer = http.get(f"{base}/{tile.path()}", headers={"accept-encoding": "gzip, identity"})
        if answer.status_code != 200:
            raise MonitorError(f"{tile.path()}: {answer.status_code} from the log")
        return tile, answer.content

    with ThreadPoolExecutor(8) as pool:
        for tile, data in pool.map(fetch, tiles):
            at, index = 0, tile.index * WIDTH
            while at < len(data):
                length = int.from_bytes(data[at : at + 2], "big")
                entry = data[at + 2 : at + 2 + length]
                if len(entry) != length:
                    raise MonitorError(f"{tile.path()}: an entry is cut short")
                if index >= start:
                    yield index, entry
                at += 2 + length
                index += 1
            if index != tile.index * WIDTH + tile.width:
                got = index - tile.index * WIDTH
                raise MonitorError(f"{tile.path()}: {got} entries, not {tile.width}")


def follow(
    base: str,
    log_key: str,
    state_file: Path,
    teachers: set[str],
    witnesses: list[Witness] | None = None,
    quorum_needed: int = 0,
) -> Report:
    base = base.rstrip("/")
    name, public = parse_verifier_key(log_key)
    state = State.load(state_file)
    with httpx.Client(timeout=30) as http:
        answer = http.get(f"{base}/checkpoint")
        if answer.status_code != 200:
            raise MonitorError(f"{base}/checkpoint: {answer.status_code}")
        note = answer.text
        try:
            head = Checkpoint.parse(verify(note, name, public))
            if witnesses:
                quorum(note, witnesses, quorum_needed)
        except InvalidCheckpoint as exc:
            raise MonitorError(f"the checkpoint is not to be trusted: {exc}") from None
        if head.origin != name:
            raise MonitorError(f"the checkpoint is for '{head.origin}', not '{name}'")
        if head.size < state.size:
            shown = f"the log now shows {head.size} entries; it showed {state.size} before"
            return Report("rolled back", head.size, detail=shown)
        stored = {(lv, ix): bytes.fromhex(h) for lv, ix, h in state.frontier}
        tree = Frontier(state.size, stored)
        report = Report("ok", head.size)
        for index, entry in _bundles(base, http, state.size, head.size):
            tree.append(leaf_hash(entry))
            report.new_entries += 1
            report.found += _watched(index, entry, teachers)
    root = base64.b64encode(tree.root()).decode()
    if tree.root() != head.root:
        why = (
            "the entries do not give the signed root: the log's past was changed, or it shows "
            "different histories"
        )
        return Report("inconsistent", head.size, report.new_entries, detail=why)
    state.size, state.root = head.size, root
    state.frontier = [(lv, ix, h.hex()) for (lv, ix), h in tree.nodes()]
    state.save(state_file)
    return report


def _watched(index: int, entry: bytes, teachers: set[str]) -> list[Found]:
    if not teachers:
        return []
    try:
        decoded: dict[str, Any] = orjson.loads(entry)
    except orjson.JSONDecodeError:
        return []
    data = decoded.get("data") or {}
    if decoded.get("kind") != "disclosure":
        return []
    return [
        Found(
            index,
            "disclosure",
            str(data.get("id")),
            f"{data.get('student')} learnt from {t.get('model')} ({t.get('signal')})",
        )
        for t in data.get("teachers") or ()
        if t.get("model") in teachers
    ]
