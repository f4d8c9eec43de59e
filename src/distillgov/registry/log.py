"""The transparency log stored in a database: append, checkpoint, prove, verify.

Entries are canonical JSON (encoding version 1: sorted keys, no spaces, UTF-8) holding their own
index and the tree root before them, so that verification can name the first bad row whether a
row was edited, deleted or moved. Rows are never updated or deleted by distillgov: an amendment is
a new entry. Checkpoints are C2SP signed notes; the log refuses to sign a checkpoint that is not
consistent with the last one it signed.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy import Engine, text

from distillgov.errors import Conflict, DistillgovError, NotFound
from distillgov.registry import storedhashes, tiles
from distillgov.registry.checkpoint import (
    Checkpoint,
    parse_verifier_key,
    sign,
    verifier_key,
    verify,
)
from distillgov.registry.merkle import (
    EMPTY_ROOT,
    Frontier,
    MerkleTree,
    consistency_of,
    extend,
    frontier,
    inclusion_of,
    leaf_hash,
    lookup,
    nodes_needed,
    root_of,
)
from distillgov.registry.receipt import Receipt
from distillgov.storage.db import reading
from distillgov.storage.sqlrows import marks

# Entry encodings. Version 1 recorded the tree root before the entry (popcount(n) hashes per
# append); version 2 records the previous entry's leaf hash, a hash chain that names an edited
# entry just as well for O(1). Both are verified; new entries are written as version 2.
ENCODING = 3  # 2 with the log's own time of the append ("logged_at", UTC, to the second)


class LogError(DistillgovError):
    """The log refused an operation."""


def check_origin(origin: str) -> None:
    """The origin names the log and its signing key, so it follows C2SP's rules for both
    (tlog-checkpoint: a schema-less URL; signed-note: a key name is non-empty UTF-8 with no
    Unicode space and no '+'). A name that breaks them would be signed into checkpoints that the
    log's own verifier rejects."""
    reason = None
    if not origin:
        reason = "must not be empty"
    elif any(ch.isspace() for ch in origin):
        reason = "must not contain spaces (C2SP note key names)"
    elif "+" in origin:
        reason = "must not contain '+' (it separates a verifier key's fields)"
    elif any(not ch.isprintable() for ch in origin):
        reason = "must not contain control characters"
    elif "://" in origin:
        reason = "is a URL without its scheme, e.g. registry.example.org/log (C2SP tlog-checkpoint)"
    elif len(origin.encode()) > 255:
        reason = "is at most 255 bytes"
    if reason:
        raise LogError(f"field 'origin', value {origin!r}: {reason}")


class LogExists(LogError, Conflict):
    """The log is initialised already."""


class UnknownEntry(LogError, NotFound):
    """No entry at that index, or none a signed checkpoint covers yet."""


def encode(
    index: int, prev_leaf: bytes, kind: str, data: dict[str, Any], logged_at: str | None = None
) -> str:
    """The canonical, versioned entry body (sorted keys, no spaces, UTF-8): what the leaf hash
    commits to. `prev_leaf` is the previous entry's leaf hash, or the empty tree's root;
    `logged_at` the log's clock when it was appended (ISO 8601, UTC), the record's filing time."""
    body: dict[str, Any] = {"index": index, "prev_leaf": prev_leaf.hex(), "kind": kind}
    if logged_at is None:
        body.update(v=2, data=data)
    else:
        body.update(v=ENCODING, data=data, logged_at=logged_at)
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()


def log_time(moment: dt.datetime | None = None) -> str:
    """The log's clock, as entries record it: UTC, to the second."""
    now = moment or dt.datetime.now(dt.UTC)
    return now.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _link_holds(decoded: dict[str, Any], position: int, tree: MerkleTree) -> bool:
    """Does an entry's record of what came before it match the tree of the entries before it?"""
    version = decoded.get("v")
    if version == 1:
        return bytes.fromhex(decoded["prev_root"]) == tree.root(position)
    if version in (2, 3):
        before = tree.leaf(position - 1) if position else EMPTY_ROOT
        return bytes.fromhex(decoded["prev_leaf"]) == before
    raise ValueError(f"unknown entry encoding {version!r}")


KEY_ROTATION = "key_rotation"


def key_schedule(current: str, bodies: list[bytes]) -> list[tuple[int, str]]:
    """Which verifier key signs checkpoints of which sizes: (size, key) pairs, each key signing
    the checkpoints larger than its size up to the next pair's. A rotation logged at entry r is
    announced under the old key (the checkpoint of size r + 1 is the old key's) and the new key
    signs every checkpoint after it."""
    rotations = []
    for index, body in enumerate(bodies):
        if b'"key_rotation"' in body:  # cheap test first: a million bodies are scanned
            decoded = orjson.loads(body)
            if decoded.get("kind") == KEY_ROTATION:
                rotations.append((index, decoded["data"]))
    if not rotations:
        return [(0, current)]
    schedule = [(0, str(rotations[0][1]["previous_verifier_key"]))]
    schedule += [(index + 1, str(data["new_verifier_key"])) for index, data in rotations]
    return schedule


def key_for(schedule: list[tuple[int, str]], size: int) -> str:
    found = schedule[0][1]
    for threshold, vkey in schedule:
        if size > threshold:
            found = vkey
    return found


def create_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    path.chmod(0o600)
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise LogError(f"{path}: not an Ed25519 private key")
    return key


@dataclass(frozen=True)
class Finding:
    """The first thing wrong with a stored log."""

    entry: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.entry}" if self.entry is not None else "the log"
        return f"{where}: {self.reason}"


# What serialises appends on PostgreSQL, across processes and hosts: the table lock blocks other
# appends (reads go on) for the transaction. Measured against an advisory lock and against no
# lock with retries on the index's unique violation: benchmarks/bench_appends.py.
APPEND_LOCK = "LOCK TABLE log_entries IN EXCLUSIVE MODE"

MAX_ENTRY_BYTES = 0xFFFF  # C2SP tlog-tiles entry bundles: a 16-bit length before each entry

# The PostgreSQL advisory lock every signer takes around a checkpoint (any fixed number would do;
# this one is "dgsign" in ASCII).
SIGNER_LOCK = 0x64677369676E


def _consistency(c: Any, old: int, new: int) -> list[bytes]:
    """The RFC 9162 consistency proof from `old` to `new` entries, from the stored hashes;
    empty where none is needed (every tree extends the empty one, and itself)."""
    if old in (0, new):
        return []
    stored = storedhashes.fetch(c, nodes_needed(lambda g: consistency_of(g, old, new)))
    return consistency_of(lookup(stored), old, new)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.datetime) else str(value).replace(" ", "T")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class TransparencyLog:
    def __init__(self, engine: Engine, origin: str | None = None) -> None:
        self.engine = engine
        with reading(engine) as c:
            rows: dict[str, str] = {
                str(name): str(value)
                for name, value in c.execute(text("SELECT name, value FROM log_settings")).all()
            }
        if origin is not None and rows.get("origin", origin) != origin:
            raise LogError(f"this database holds the log '{rows['origin']}', not '{origin}'")
        self.origin = rows.get("origin", origin)
        self.verifier = rows.get("verifier_key")
        self._bundles: dict[tuple[int, int], dict[str, Any]] = {}
        # How long a server may go on proving against the latest checkpoint it has seen before
        # asking the database again (seconds; 0: always ask). A proof against a checkpoint a
        # second old is as valid as any; an entry that checkpoint does not cover is always
        # looked up afresh, so a new checkpoint is never missed for it.
        self.checkpoint_fresh_for = 0.0
        self._latest: tuple[int, float] | None = None  # (size, when it was read)

    def reload_settings(self, c: Any) -> None:
        """Pick up an initialisation done by another process since this object was made (a
        server started before `registry init`)."""
        if self.verifier is None:
            rows = dict(c.execute(text("SELECT name, value FROM log_settings")).all())
            self.origin = rows.get("origin", self.origin)
            self.verifier = rows.get("verifier_key")

    # --- setting up ---------------------------------------------------------------------------

    def initialise(self, origin: str, key: Ed25519PrivateKey) -> str:
        """Record the log's name and public key; returns the verifier key to publish."""
        check_origin(origin)
        if self.origin is not None and self.verifier is not None:
            raise LogExists(f"the log '{self.origin}' is already initialised")
        vkey = verifier_key(origin, key.public_key())
        with self.engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO log_settings (name, value) "
                    "VALUES ('origin', :o), ('verifier_key', :v)"
                ),
                {"o": origin, "v": vkey},
            )
        self.origin, self.verifier = origin, vkey
        return vkey

    # --- writing ------------------------------------------------------------------------------

    def _size(self, c: Any) -> int:
        last = c.execute(text("SELECT idx FROM log_entries ORDER BY idx DESC LIMIT 1")).scalar()
        return 0 if last is None else int(last) + 1

    def append(self, entries: list[tuple[str, dict[str, Any]]]) -> list[int]:
        """Append entries in one transaction (all or none); returns their indexes."""
        with self.engine.begin() as c:
            return self.append_in(c, entries)

    def append_in(
        self, c: Any, entries: list[tuple[str, dict[str, Any]]], logged_at: str | None = None
    ) -> list[int]:
        """Append inside the caller's transaction, so records and their projections commit
        together with their log entries. Each entry records the log's clock (`logged_at`, else
        now): when the record was filed, whatever date it claims."""
        logged_at = logged_at or log_time()
        self.reload_settings(c)
        if self.origin is None:
            raise LogError("the log is not initialised: run `distillgov registry init` first")
        if c.dialect.name == "postgresql":  # one writer at a time
            c.execute(text(APPEND_LOCK))
        size = self._size(c)
        known = storedhashes.fetch(c, {*frontier(size), *([(0, size - 1)] if size else [])})
        edge = Frontier(size, known)
        prev = known[(0, size - 1)] if size else EMPTY_ROOT
        rows: list[tuple[int, str, str, bytes]] = []
        new_hashes: list[tuple[tuple[int, int], bytes]] = []
        for kind, data in entries:
            body = encode(size, prev, kind, data, logged_at)
            if len(body.encode()) > MAX_ENTRY_BYTES:
                raise LogError(
                    f"the {kind} '{data.get('id', '?')}' would be a log entry of "
                    f"{len(body.encode()):,} bytes; entries are at most {MAX_ENTRY_BYTES:,} "
                    "bytes (the tile API gives each entry's length in 16 bits): shorten it"
                )
            h = prev = leaf_hash(body.encode())
            new_hashes += edge.append(h)
            rows.append((size, kind, body, h))
            size += 1
        if rows:
            # Straight to the driver: at bulk sizes SQLAlchemy's per-row parameter handling
            # costs more than the database does.
            c.exec_driver_sql(
                f"INSERT INTO log_entries (idx, kind, body, leaf_hash) VALUES ({marks(c, 4)})",
                rows,
            )
            storedhashes.store(c, new_hashes)
        return [int(r[0]) for r in rows]

    def checkpoint(self, key: Ed25519PrivateKey) -> str:
        """Sign the current tree head, after checking it extends the last signed one."""
        if self.origin is None or self.verifier is None:
            raise LogError("the log is not initialised")
        if verifier_key(self.origin, key.public_key()) != self.verifier:
            raise LogError("that key is not this log's key")
        with self.engine.begin() as c:
            if c.dialect.name == "postgresql":  # one signer at a time, whichever server it is
                c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SIGNER_LOCK})
            size = self._size(c)
            last = c.execute(
                text("SELECT size, root, note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
            ).first()
            signed_size = 0 if last is None else int(last[0])
            if last is not None and signed_size == size:
                return str(last[2])
            # Sign what the stored bodies say, built on the frontier of the last signed tree: the
            # frontier is trusted only because it recomputes that tree's signed root.
            stored = storedhashes.fetch(c, frontier(signed_size))
            if last is not None and (
                signed_size > size or root_of(lookup(stored), signed_size) != bytes(last[1])
            ):
                raise LogError(
                    f"refusing to sign: the stored log no longer matches the checkpoint at "
                    f"size {signed_size} (run `registry verify`)"
                )
            bodies = c.execute(
                text("SELECT body FROM log_entries WHERE idx >= :s ORDER BY idx"),
                {"s": signed_size},
            ).scalars()
            extend(signed_size, stored, [leaf_hash(str(b).encode()) for b in bodies])
            root = root_of(lookup(stored), size)
            kept = storedhashes.fetch(c, frontier(size))
            if root_of(lookup(kept), size) != root:
                raise LogError(
                    "refusing to sign: the stored hashes do not match the stored entries "
                    "(run `registry verify`)"
                )
            note = sign(Checkpoint(self.origin, size, root).body(), self.origin, key)
            c.execute(
                text(
                    "INSERT INTO log_checkpoints (size, root, note, signed_at) "
                    "VALUES (:s, :r, :n, :t)"
                ),
                {"s": size, "r": root, "n": note, "t": _utc_now()},
            )
        return note

    # --- reading ------------------------------------------------------------------------------

    def size(self) -> int:
        with reading(self.engine) as c:
            return self._size(c)

    def prove(
        self, index: int, at_size: int | None = None, record: str | None = None
    ) -> dict[str, Any]:
        """An offline proof bundle: entry, inclusion proof, signed checkpoint and verifier key;
        against the latest checkpoint, or the one signed at `at_size` (every one is kept). With
        `record`, the entry must be that record's (a projection pointing elsewhere is caught
        here, not served as a valid proof of the wrong record)."""
        bundle = self._bundle(index, at_size)
        if record is not None:
            found = orjson.loads(bundle["entry"]).get("data", {}).get("id")
            if found != record:
                raise LogError(
                    f"the registry's tables give entry {index} for '{record}', but that entry is "
                    f"the record '{found}': the tables have been changed (run `registry verify`)"
                )
        return bundle

    def _bundle(self, index: int, at_size: int | None) -> dict[str, Any]:
        if at_size is None and self._latest is not None and index < self._latest[0]:
            size, read_at = self._latest
            if time.monotonic() - read_at < self.checkpoint_fresh_for:
                known = self._bundles.get((index, size))
                if known is not None:
                    return known
        with reading(self.engine) as c:
            self.reload_settings(c)
            size, note = self._signed(c, at_size)
            if size <= index:
                raise UnknownEntry(
                    f"no signed checkpoint covers entry {index} yet: run `registry checkpoint`"
                    if at_size is None
                    else f"entry {index} is not in the tree of size {size}"
                )
            if at_size is None:
                self._latest = (size, time.monotonic())
            # A bundle for an entry under a signed size never changes: serve it again from memory.
            cached = self._bundles.get((index, size))
            if cached is not None:
                return cached
            body = c.execute(
                text("SELECT body FROM log_entries WHERE idx = :i"), {"i": index}
            ).scalar_one_or_none()
            if body is None:
                raise UnknownEntry(f"no entry {index}")
            stored = storedhashes.fetch(c, nodes_needed(lambda g: inclusion_of(g, index, size)))
        bundle = {
            "version": 1,
            "entry": body,
            "index": index,
            "size": size,
            "proof": [h.hex() for h in inclusion_of(lookup(stored), index, size)],
            "checkpoint": note,
            "verifier_key": self.verifier,
        }
        if len(self._bundles) >= 65_536:
            self._bundles.clear()
        self._bundles[(index, size)] = bundle
        return bundle

    def _signed(self, c: Any, at_size: int | None) -> tuple[int, str]:
        """The latest signed checkpoint, or the one signed at `at_size`: its size and note."""
        if at_size is None:
            row = c.execute(
                text("SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
            ).first()
            if row is None:
                raise UnknownEntry("no checkpoint has been signed yet: run `registry checkpoint`")
        else:
            row = c.execute(
                text("SELECT size, note FROM log_checkpoints WHERE size = :s"), {"s": at_size}
            ).first()
            if row is None:
                raise UnknownEntry(
                    f"no checkpoint was signed at size {at_size} (`registry checkpoints` lists "
                    "them)"
                )
        size = int(row[0])
        lines = c.execute(
            text("SELECT line FROM log_cosignatures WHERE size = :s ORDER BY witness"), {"s": size}
        ).scalars()
        return size, str(row[1]) + "".join(str(line) for line in lines)

    def published(self) -> tuple[int, str] | None:
        """The latest signed checkpoint as published: the log's note with the witnesses'
        cosignatures on it."""
        with reading(self.engine) as c:
            self.reload_settings(c)
            try:
                return self._signed(c, None)
            except UnknownEntry:
                return None

    def consistency(self, old: int, new: int | None = None) -> dict[str, Any]:
        """A proof that the signed tree of size `old` is a prefix of the signed tree of size
        `new` (else the latest): both checkpoints, the RFC 9162 consistency proof, the key."""
        with reading(self.engine) as c:
            self.reload_settings(c)
            new_size, new_note = self._signed(c, new)
            if old > new_size and new is None:
                raise LogError(
                    f"field 'old', value {old}: the latest signed tree has {new_size} entries; "
                    "a checkpoint of a larger tree means this log has been rolled back"
                )
            if old < 0 or old > new_size:
                raise LogError(
                    f"field 'old', value {old}: a consistency proof runs from a size between 0 "
                    f"and {new_size}"
                )
            old_note = self._signed(c, old)[1] if old > 0 else None
            proof = _consistency(c, old, new_size)
        return {
            "version": 1,
            "old_size": old,
            "new_size": new_size,
            "proof": [h.hex() for h in proof],
            "old_checkpoint": old_note,
            "checkpoint": new_note,
            "verifier_key": self.verifier,
        }

    def rotate_key(self, old: Ed25519PrivateKey, new: Ed25519PrivateKey) -> tuple[int, str]:
        """Replace the log's signing key: the new verifier key is logged as an entry, signed into
        a checkpoint by the old key (its announcement), and signs every checkpoint after. Returns
        the announcement's entry and the new verifier key."""
        if self.origin is None or self.verifier is None:
            raise LogError("the log is not initialised")
        if verifier_key(self.origin, old.public_key()) != self.verifier:
            raise LogError("the key given as the old one is not this log's key")
        new_vkey = verifier_key(self.origin, new.public_key())
        if new_vkey == self.verifier:
            raise LogError("the new key is the log's key already")
        with self.engine.begin() as c:
            size = self._size(c)
            data = {
                "id": f"key-rotation-{size}",
                "previous_verifier_key": self.verifier,
                "new_verifier_key": new_vkey,
            }
            (index,) = self.append_in(c, [(KEY_ROTATION, data)])
        self.checkpoint(old)  # the announcement, under the old key
        with self.engine.begin() as c:
            c.execute(
                text("UPDATE log_settings SET value = :v WHERE name = 'verifier_key'"),
                {"v": new_vkey},
            )
        self.verifier = new_vkey
        return index, new_vkey

    def receipt(self, index: int, key: Ed25519PrivateKey) -> str:
        """A signed receipt for entry `index`: its index, log time and hash, under the log's
        key (registry/receipt.py)."""
        if self.origin is None or self.verifier is None:
            raise LogError("the log is not initialised")
        if verifier_key(self.origin, key.public_key()) != self.verifier:
            raise LogError("that key is not this log's key")
        with reading(self.engine) as c:
            row = c.execute(
                text("SELECT body, leaf_hash FROM log_entries WHERE idx = :i"), {"i": index}
            ).first()
        if row is None:
            raise UnknownEntry(f"no entry {index}")
        logged_at = orjson.loads(str(row[0])).get("logged_at") or ""
        return Receipt(self.origin, index, logged_at, bytes(row[1])).signed(key)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """The RFC 9162 proof that the first `old` entries are a prefix of the first `new` (any
        sizes, signed or not: what a witness is sent)."""
        if not 0 <= old <= new or new > self.size():
            raise LogError(f"no consistency proof from size {old} to size {new}")
        with reading(self.engine) as c:
            return _consistency(c, old, new)

    def export_tiles(self, folder: Path) -> int:
        """The log as of its latest checkpoint, written as C2SP tlog-tiles under `folder`."""
        with reading(self.engine) as c:
            size, note = self._signed(c, None)
            return tiles.export(c, size, note, folder)

    def checkpoints(self) -> list[dict[str, Any]]:
        """Every signed checkpoint, oldest first."""
        with reading(self.engine) as c:
            rows = c.execute(
                text("SELECT size, note, signed_at FROM log_checkpoints ORDER BY size")
            ).all()
        return [{"size": int(r[0]), "checkpoint": str(r[1]), "signed_at": _iso(r[2])} for r in rows]

    def verify(self, bodies: list[bytes] | None = None) -> Finding | None:
        """Recompute everything from the stored rows; the first problem found, or None. With
        `bodies`, the entries' bodies read on the way are added to it, in index order (for the
        projections' check to replay without reading them again).

        Every body is re-hashed and the tree rebuilt from them. A signed checkpoint whose root
        matches proves every entry under it exactly as signed, so the entries' own recorded
        index and tree root are read only after the last checkpoint. If anything fails, a
        slower pass goes entry by entry to name the first bad one."""
        if self.verifier is None:
            return Finding(None, "the log is not initialised")
        collecting = gc.isenabled()
        gc.disable()  # millions of hashes, none in a cycle: nothing for the collector to do
        try:
            if self._all_good(bodies):
                return None
        finally:
            if collecting:
                gc.enable()
        with reading(self.engine) as c:
            cursor = c.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(
                f"SELECT idx, {self._body_bytes()}, leaf_hash FROM log_entries ORDER BY idx"
            )
            rows = cursor.fetchall()
            cursor.execute("SELECT size, root, note FROM log_checkpoints ORDER BY size")
            checkpoints = cursor.fetchall()
            cursor.execute("SELECT id, hash FROM log_hashes ORDER BY id")
            kept = cursor.fetchall()
            cursor.close()
        return self._first_problem(rows, checkpoints, kept) or Finding(
            None, "the log does not verify"
        )

    def _body_bytes(self) -> str:
        """The body column as bytes (what the leaf hash is over), converted by the database."""
        return (
            "CAST(body AS BLOB)"
            if self.engine.dialect.name == "sqlite"
            else "convert_to(body, 'UTF8')"
        )

    def _all_good(self, keep: list[bytes] | None = None) -> bool:
        """The fast pass: whole columns read straight from the driver and compared at once. At a
        million entries the per-row work Python does is most of the cost, so the columns it need
        not compare one by one (indexes, stored leaf hashes under a checkpoint, subtree ids) are
        checked by counting in the database instead."""
        shift = storedhashes.INDEX_BITS
        with reading(self.engine) as c:
            cursor = c.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute("SELECT COUNT(*), MIN(idx), MAX(idx) FROM log_entries")
            n, lowest, highest = cursor.fetchone() or (0, None, None)
            cursor.execute("SELECT size, root, note FROM log_checkpoints ORDER BY size")
            checkpoints = cursor.fetchall()
            signed_size = int(checkpoints[-1][0]) if checkpoints else 0
            cursor.execute(f"SELECT {self._body_bytes()} FROM log_entries ORDER BY idx")
            # Both drivers give bytes for these columns; no conversion per row.
            bodies = [r[0] for r in cursor.fetchall()]
            if keep is not None:
                keep.extend(bodies)
            cursor.execute(
                f"SELECT leaf_hash FROM log_entries WHERE idx >= {signed_size} ORDER BY idx"
            )
            tail_leaves = [bytes(r[0]) for r in cursor.fetchall()]
            cursor.execute(
                f"SELECT id >> {shift}, COUNT(*), MIN(id), MAX(id) FROM log_hashes "
                f"GROUP BY id >> {shift} ORDER BY id >> {shift}"
            )
            levels_kept = cursor.fetchall()
            cursor.execute("SELECT hash FROM log_hashes ORDER BY id")
            kept = [r[0] for r in cursor.fetchall()]
            cursor.close()
        n = int(n)
        # Indexes are a primary key (unique): n of them from 0 to n-1 are exactly 0..n-1.
        if n and (lowest, highest) != (0, n - 1):
            return False
        leaves = [leaf_hash(b) for b in bodies]
        if signed_size > n or leaves[signed_size:] != tail_leaves:
            return False
        tree = MerkleTree.from_leaves(leaves)
        try:
            schedule = key_schedule(str(self.verifier), [bytes(b) for b in bodies])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return False
        for size, root, note in checkpoints:
            try:
                name, public = parse_verifier_key(key_for(schedule, int(size)))
                signed = Checkpoint.parse(verify(str(note), name, public))
            except ValueError:
                return False
            size, root = int(size), bytes(root)
            if (signed.size, signed.root) != (size, root) or size > n or tree.root(size) != root:
                return False
        for position in range(signed_size, n):
            try:
                decoded = orjson.loads(bodies[position])
                if int(decoded["index"]) != position or not _link_holds(decoded, position, tree):
                    return False
            except (orjson.JSONDecodeError, ValueError, KeyError, TypeError):
                return False
        levels = tree.levels()[1:]
        expected = [
            (lvl + 1, len(hs), (lvl + 1) << shift, ((lvl + 1) << shift) + len(hs) - 1)
            for lvl, hs in enumerate(levels)
            if hs
        ]
        if [tuple(int(x) for x in r) for r in levels_kept] != expected:
            return False
        return kept == list(itertools.chain.from_iterable(levels))

    def _first_problem(self, rows: Any, checkpoints: Any, kept: Any) -> Finding | None:
        """The slow pass: entry by entry, naming the first bad one."""
        tree = MerkleTree()
        recorded: list[dict[str, Any]] = []
        for position, (idx, body, stored) in enumerate(rows):
            if int(idx) != position:
                return Finding(position, f"missing (the next stored entry is {int(idx)})")
            raw = bytes(body)
            if leaf_hash(raw) != bytes(stored):
                return Finding(position, "its body does not match its stored hash (edited)")
            try:
                decoded = orjson.loads(raw)
                recorded_index = int(decoded["index"])
                if decoded.get("v") not in (1, 2, 3) or not isinstance(
                    decoded.get("prev_root", decoded.get("prev_leaf")), str
                ):
                    raise ValueError("no record of what came before")
                recorded.append(decoded)
            except (orjson.JSONDecodeError, ValueError, KeyError, TypeError):
                return Finding(position, "its body is not a valid log entry")
            if recorded_index != position:
                return Finding(position, f"it was written as entry {recorded_index} (moved)")
            tree.append_hash(bytes(stored))

        def holds(position: int) -> bool:
            try:
                return _link_holds(recorded[position], position, tree)
            except ValueError:
                return False

        if recorded and not holds(0):
            return Finding(0, "it does not record the empty log before it (forged)")

        def first_edited(lo: int, hi: int) -> Finding | None:
            for position in range(max(lo, 1), hi):
                if not holds(position):
                    return Finding(
                        position - 1,
                        "edited: the next entry's record of it no longer matches",
                    )
            return None

        try:
            schedule = key_schedule(str(self.verifier), [bytes(r[1]) for r in rows])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return Finding(None, "a key rotation entry is malformed")
        proven = 0  # entries [0, proven) are exactly what a valid checkpoint signed
        for size, root, note in checkpoints:
            size, root = int(size), bytes(root)
            try:
                name, public = parse_verifier_key(key_for(schedule, size))
                signed = Checkpoint.parse(verify(str(note), name, public))
            except ValueError as exc:
                return Finding(None, f"checkpoint at size {size}: {exc}")
            if (signed.size, signed.root) != (size, root):
                return Finding(
                    None, f"checkpoint at size {size}: the stored row differs from the signed note"
                )
            if size > len(tree):
                return Finding(len(tree), f"missing: the checkpoint at size {size} covers it")
            # Roots recomputed from the one tree of stored rows: matching ones also prove the
            # checkpoints consistent with each other.
            if tree.root(size) != root:
                return first_edited(proven, size) or Finding(
                    size - 1, f"edited: the checkpoint at size {size} no longer matches"
                )
            proven = size
        found = first_edited(proven, len(tree))
        if found is not None:
            return found
        return self._check_stored_hashes(tree, [(int(i), bytes(h)) for i, h in kept])

    @staticmethod
    def _check_stored_hashes(tree: MerkleTree, kept: list[tuple[int, bytes]]) -> Finding | None:
        """The table proofs are served from must hold exactly the recomputed tree's hashes."""
        expected = [(storedhashes.node_id(n), n, h) for n, h in tree.stored() if n[0] > 0]
        for (want_id, node, want), got in zip(expected, kept, strict=False):
            if got != (want_id, want):
                level, index = node
                first, last = index << level, ((index + 1) << level) - 1
                return Finding(
                    first, f"the stored hash of entries {first}-{last} is wrong (used for proofs)"
                )
        if len(kept) != len(expected):
            return Finding(None, f"{len(kept)} stored hashes where the tree has {len(expected)}")
        return None
