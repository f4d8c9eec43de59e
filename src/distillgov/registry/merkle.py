"""An append-only Merkle tree hashed as in RFC 9162 (Certificate Transparency v2), section 2.1.

leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), the empty tree SHA-256("").
The tree keeps the hash of every complete, aligned subtree (as Go's sumdb tlog "stored hashes"),
so appending costs amortised O(1) hashes and any root or proof is assembled from stored hashes in
O(log^2 n) look-ups, never by re-hashing leaves. The algorithms take a lookup of stored hashes, so
the log can keep them in its database and fetch only the few a proof needs. Verification needs
only SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


HASH_SIZE = 32


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class InvalidProof(ValueError):
    """A proof does not verify."""


# A stored hash is named by (level, index): the subtree of 2**level leaves starting at leaf
# index * 2**level. Roots and proofs below are written once over a lookup of such names, so the
# same code serves the in-memory tree and the database's table of stored hashes.
Node = tuple[int, int]
Lookup = Callable[[int, int], bytes]


def lookup(stored: dict[Node, bytes]) -> Lookup:
    return lambda level, index: stored[(level, index)]


def _range(get: Lookup, lo: int, hi: int) -> bytes:
    """MTH of leaves [lo, hi), with lo a multiple of the subtree sizes the recursion picks."""
    size = hi - lo
    if size & (size - 1) == 0:  # a complete subtree: stored
        level = size.bit_length() - 1
        return get(level, lo >> level)
    k = _split(size)
    return node_hash(_range(get, lo, lo + k), _range(get, lo + k, hi))


def root_of(get: Lookup, size: int) -> bytes:
    return EMPTY_ROOT if size == 0 else _range(get, 0, size)


def _path(get: Lookup, m: int, lo: int, hi: int) -> list[bytes]:
    if hi - lo == 1:
        return []
    k = _split(hi - lo)
    if m < k:
        return [*_path(get, m, lo, lo + k), _range(get, lo + k, hi)]
    return [*_path(get, m - k, lo + k, hi), _range(get, lo, lo + k)]


def inclusion_of(get: Lookup, index: int, size: int) -> list[bytes]:
    """RFC 9162 2.1.3.1: the audit path of leaf `index` in the tree of `size` leaves."""
    return _path(get, index, 0, size)


def _subproof(get: Lookup, m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if complete else [_range(get, lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(get, m, lo, lo + k, complete), _range(get, lo + k, hi)]
    return [*_subproof(get, m - k, lo + k, hi, False), _range(get, lo, lo + k)]


def consistency_of(get: Lookup, old: int, new: int) -> list[bytes]:
    """RFC 9162 2.1.4.1: proof that the tree of `old` leaves is a prefix of `new`."""
    return _subproof(get, old, 0, new, True)


def nodes_needed(compute: Callable[[Lookup], object]) -> set[Node]:
    """The stored hashes a computation will look up: it is run once against placeholders (the
    algorithms' paths depend on sizes and indexes only, never on hash values), so a database can
    fetch them all in one query."""
    seen: set[Node] = set()

    def record(level: int, index: int) -> bytes:
        seen.add((level, index))
        return EMPTY_ROOT

    compute(record)
    return seen


def frontier(size: int) -> list[Node]:
    """The complete subtrees a tree of `size` leaves splits into, largest first: all that is
    needed to append to it or to compute its root."""
    nodes, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


class Frontier:
    """The right edge of a growing tree: one complete subtree per set bit of its size. Enough to
    append and to compute the root, in O(1) amortised hashes and O(popcount) for the root; the
    log keeps one while it appends a batch."""

    def __init__(self, size: int, stored: dict[Node, bytes]) -> None:
        self.size = size
        self._by_level: list[bytes | None] = [None] * 64
        for level, index in frontier(size):
            self._by_level[level] = stored[(level, index)]

    def nodes(self) -> list[tuple[Node, bytes]]:
        """The complete subtrees of the right edge, with their hashes: enough to go on."""
        found = []
        for level, index in frontier(self.size):
            h = self._by_level[level]
            assert h is not None
            found.append(((level, index), h))
        return found

    def root(self) -> bytes:
        root: bytes | None = None
        for h in self._by_level[: self.size.bit_length()]:  # smallest subtree first
            if h is not None:
                root = h if root is None else node_hash(h, root)
        return EMPTY_ROOT if root is None else root

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Add a leaf hash; returns the stored hashes it completes (the leaf's own first).
        This is the one appender: the log, the in-memory tree and the back-fill all use it."""
        assert len(leaf) == HASH_SIZE, "a leaf hash is a SHA-256 digest"
        size, by_level = self.size, self._by_level
        new, carry, level = [((0, size), leaf)], leaf, 0
        while (left := by_level[level]) is not None:  # a right child completes its parent
            carry = node_hash(left, carry)
            by_level[level] = None
            level += 1
            new.append(((level, size >> level), carry))
        by_level[level] = carry
        self.size = size + 1
        # A leaf completes one subtree per trailing one bit of the old size.
        assert level == (size ^ (size + 1)).bit_length() - 1 == len(new) - 1
        return new


def extend(
    size: int, stored: dict[Node, bytes], leaves: Sequence[bytes]
) -> list[tuple[Node, bytes]]:
    """Append leaf hashes to a tree of `size` leaves whose frontier is in `stored`; returns every
    new stored hash (leaves included) and adds them to `stored`."""
    edge = Frontier(size, stored)
    new: list[tuple[Node, bytes]] = []
    for h in leaves:
        new += edge.append(h)
    stored.update(new)
    return new


class MerkleTree:
    """The whole tree in memory: every stored hash, level by level."""

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]  # _levels[h][i]: the stored hash (h, i)
        self._edge = Frontier(0, {})
        for h in leaf_hashes:
            self.append_hash(h)

    @classmethod
    def from_leaves(cls, leaf_hashes: list[bytes]) -> MerkleTree:
        """The same tree as appending one by one, built a level at a time (far fewer Python
        steps per leaf: what full verification of a large log needs)."""
        tree = cls()
        level = list(leaf_hashes)
        tree._levels = [level]
        while len(level) > 1:
            level = [
                node_hash(left, right)
                for left, right in zip(level[0::2], level[1::2], strict=False)
            ]
            tree._levels.append(level)
        stored = {(h, i): tree._levels[h][i] for h, i in frontier(len(leaf_hashes))}
        tree._edge = Frontier(len(leaf_hashes), stored)
        return tree

    def __len__(self) -> int:
        return len(self._levels[0])

    def _get(self, level: int, index: int) -> bytes:
        return self._levels[level][index]

    def append(self, entry: bytes) -> int:
        return self.append_hash(leaf_hash(entry))

    def append_hash(self, h: bytes) -> int:
        """Add a leaf hash; returns its index."""
        index = len(self._levels[0])
        for (level, i), value in self._edge.append(h):
            if len(self._levels) == level:
                self._levels.append([])
            assert len(self._levels[level]) == i, "stored hashes are appended in index order"
            self._levels[level].append(value)
        return index

    def leaf(self, index: int) -> bytes:
        return self._levels[0][index]

    def levels(self) -> list[list[bytes]]:
        """The stored hashes, level by level (leaves first); not to be modified."""
        return self._levels

    def stored(self) -> Iterator[tuple[Node, bytes]]:
        """Every stored hash, level by level, left to right."""
        for level, hashes in enumerate(self._levels):
            for index, h in enumerate(hashes):
                yield (level, index), h

    def root(self, size: int | None = None) -> bytes:
        n = len(self) if size is None else size
        if not 0 <= n <= len(self):
            raise ValueError(f"tree size {n} is not between 0 and {len(self)}")
        return root_of(self._get, n)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        n = len(self) if size is None else size
        if not 0 <= index < n <= len(self):
            raise ValueError(f"leaf {index} is not in a tree of {n} leaves")
        return inclusion_of(self._get, index, n)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        n = len(self) if new is None else new
        if not 0 < old <= n <= len(self):
            raise ValueError(f"no consistency proof from size {old} to size {n}")
        return consistency_of(self._get, old, n)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 2.1.3.2. Raises InvalidProof unless the leaf hash is at `index` under `root`."""
    if not 0 <= index < size:
        raise InvalidProof(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise InvalidProof("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProof("the proof is shorter than the tree is deep")
    if r != root:
        raise InvalidProof("the proof does not lead to the root")


def verify_consistency(
    old: int, new: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """RFC 9162 2.1.4.2. Raises InvalidProof unless `old_root` is a prefix tree of `new_root`."""
    if not 0 < old <= new:
        raise InvalidProof(f"no consistency from size {old} to size {new}")
    if old == new:
        if proof or old_root != new_root:
            raise InvalidProof("equal sizes need equal roots and an empty proof")
        return
    path = list(proof)
    if old & (old - 1) == 0:  # the old tree is a complete subtree: its root starts the path
        path.insert(0, old_root)
    if not path:
        raise InvalidProof("empty consistency proof")
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise InvalidProof("the proof does not lead to both roots")
