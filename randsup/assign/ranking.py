"""The randomness of 第二随机: per (visit, department) a uniformly random ranking of its eligible
inspectors, drawn lazily by a partial Fisher–Yates shuffle from SHA-256, and a cost per rank.

Only the ranks the solver looks at are drawn, so the work grows with the visits, not with
visits × inspectors. ``ranking`` is the reference (stdlib only, what an auditor re-implements);
``Rankings`` draws the same ranks for many nodes at once. Construction and why it is fair:
docs/assign.md (section randsup/assign/ranking.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from ..errors import RandsupError

__all__ = [
    "COST_SCALE",
    "MAX_CANDIDATES",
    "Rankings",
    "accept_draw",
    "accepts",
    "inspector_ranking",
    "node_id",
    "rank_cost",
    "ranking",
]

COST_SCALE = 1 << 42  # costs lie in [0, 2^42): ×nodes stays below OR-Tools' 2^63 to ~2·10^6 nodes
MAX_CANDIDATES = 1 << 20  # (E + 1)·2^42 must fit in a signed 64-bit integer
_WORD = 1 << 64
_ROW_BLOCK = 4096  # rows per block when listing eligible columns: bounds np.nonzero's temporaries


def node_id(visit_id: str, department_id: str, expert: bool = False) -> str:
    """The text that names one ranking: ``str((visit_id, department_id))``, experts a third item."""
    return str((visit_id, department_id, "expert")) if expert else str((visit_id, department_id))


def accept_draw(x: int, n: int) -> bool:
    """Rejection sampling: a 64-bit word ``x`` gives an unbiased ``x mod n`` iff ``x < n·⌊2^64/n⌋``."""
    return x < (_WORD // n) * n


def accepts(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``accept_draw`` for uint64 arrays: x − x mod n ≤ 2^64 − n  ⇔  x < n·⌊2^64/n⌋ (n ≥ 1)."""
    return (x - x % n) <= (np.uint64(0) - n)


def rank_cost(rank: int, candidates: int, jitter_word: int) -> int:
    """Cost of the inspector at ``rank`` (0 = first) among ``candidates``: the rank's band
    ⌊(rank+1)·2^42/(E+1)⌋ plus ``jitter_word mod ⌊2^42/(E+1)⌋``; strictly increasing in rank."""
    width = COST_SCALE // (candidates + 1)
    return (rank + 1) * COST_SCALE // (candidates + 1) + jitter_word % width


def _message(seed_string: str, node: str) -> bytes:
    return f"{seed_string}\n{node}\n".encode()


def ranking(seed_string: str, node: str, candidates: Sequence[str], k: int | None = None) -> list[tuple[str, int]]:
    """The first ``k`` (default all) of ``candidates`` in the node's random order, with their costs.

    ``candidates`` are the node's eligible inspector ids; their order does not matter (they are
    sorted here). Digest ``c`` = SHA-256(UTF-8 of ``seed_string`` "\\n" ``node`` "\\n" ``c``), for
    c = 0, 1, 2, …; position t takes the next digest whose first 8 bytes (big-endian) ``x`` pass
    ``accept_draw(x, E − t)``, swaps position t with t + x mod (E − t), and its cost is
    ``rank_cost(t, E, bytes 8..15)``.
    """
    ids = sorted(candidates)
    n_all = len(ids)
    if len(set(ids)) != n_all:
        raise RandsupError("a ranking's candidates must be distinct inspector ids")
    k = n_all if k is None else min(int(k), n_all)
    base = hashlib.sha256(_message(seed_string, node))
    order = list(range(n_all))
    out: list[tuple[str, int]] = []
    counter = 0
    for t in range(k):
        n = n_all - t
        while True:
            h = base.copy()
            h.update(str(counter).encode())
            digest = h.digest()
            counter += 1
            x = int.from_bytes(digest[:8], "big")
            if accept_draw(x, n):
                break
        j = t + x % n
        order[t], order[j] = order[j], order[t]
        out.append((ids[order[t]], rank_cost(t, n_all, int.from_bytes(digest[8:16], "big"))))
    return out


def inspector_ranking(seed_string: str, visit_id: str, department_id: str, inspector_ids: Sequence[str], *,
                      expert: bool = False, k: int | None = None) -> list[tuple[str, int]]:
    """The node's ranking of these eligible inspectors (team members, or experts) with costs.

    ``seed_string`` is the plan's ``inspectors`` sub-seed (hex). With ``k``, only the first k.
    """
    return ranking(seed_string, node_id(visit_id, department_id, expert), inspector_ids, k)


class Rankings:
    """The rankings of many nodes (rows of a bool eligibility matrix [node, inspector column]).

    Columns must be in inspector_id order, so that a row's eligible columns are its candidates
    sorted as ``ranking`` sorts them. Ranks are drawn on demand (``advance``); ``arcs`` lists
    the drawn (row, column, cost) and ``rest(row)`` the columns not drawn yet.
    """

    def __init__(self, seed_string: str, nodes: Sequence[str], eligible: np.ndarray) -> None:
        n, m = eligible.shape
        if m >= MAX_CANDIDATES:
            raise RandsupError(f"{m:,} inspectors in one department; rankings support fewer than {MAX_CANDIDATES:,}")
        self.counts = eligible.sum(axis=1).astype(np.int64)  # E per row
        self.start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(self.counts, out=self.start[1:])
        # The Fisher–Yates working array: row i's eligible columns at start[i]:start[i+1]; its
        # first drawn[i] entries are the ranked ones, the rest the undrawn candidates.
        dtype = np.uint16 if m <= np.iinfo(np.uint16).max else np.int32
        self.perm = np.empty(int(self.start[-1]), dtype=dtype)
        for lo in range(0, n, _ROW_BLOCK):
            flat = np.flatnonzero(eligible[lo:lo + _ROW_BLOCK])
            self.perm[self.start[lo]:self.start[min(lo + _ROW_BLOCK, n)]] = flat % max(m, 1)
        self.drawn = np.zeros(n, dtype=np.int64)
        self.counter = np.zeros(n, dtype=np.int64)
        self._base = [hashlib.sha256(_message(seed_string, node)) for node in nodes]
        self._rows: list[np.ndarray] = []
        self._ranks: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._costs: list[np.ndarray] = []
        self._arcs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return int(self.counts.shape[0])

    @property
    def full(self) -> np.ndarray:
        """Bool per row: every candidate ranked."""
        return self.drawn >= self.counts

    def advance(self, rows: np.ndarray) -> np.ndarray:
        """Draw one more rank for each of ``rows`` (not full); the columns drawn, −1 where rejected."""
        rows = np.asarray(rows, dtype=np.int64)
        buf = bytearray()
        base = self._base
        for i, c in zip(rows.tolist(), self.counter[rows].tolist(), strict=True):
            h = base[i].copy()
            h.update(b"%d" % c)
            buf += h.digest()
        self.counter[rows] += 1
        words = np.frombuffer(bytes(buf), dtype=">u8").reshape(-1, 4).astype(np.uint64)
        x, jitter = words[:, 0], words[:, 1]
        t = self.drawn[rows]
        e = self.counts[rows]
        n = (e - t).astype(np.uint64)
        r = x % n
        ok = accepts(x, n)
        out = np.full(rows.shape[0], -1, dtype=np.int64)
        if not ok.any():
            return out
        rows, t, e, r, jitter = rows[ok], t[ok], e[ok], r[ok].astype(np.int64), jitter[ok]
        here = self.start[rows] + t
        there = here + r
        a, b = self.perm[here], self.perm[there]
        self.perm[there] = a
        self.perm[here] = b
        width = (np.int64(COST_SCALE) // (e + 1)).astype(np.uint64)
        cost = (t + 1) * np.int64(COST_SCALE) // (e + 1) + (jitter % width).astype(np.int64)
        self._rows.append(rows)
        self._ranks.append(t)
        self._cols.append(b.astype(np.int64))
        self._costs.append(cost)
        self._arcs = None
        self.drawn[rows] += 1
        out[ok] = b
        return out

    def grow(self, targets: np.ndarray) -> None:
        """Draw until row i has min(targets[i], E_i) ranks (targets: int per row)."""
        goal = np.minimum(np.asarray(targets, dtype=np.int64), self.counts)
        while True:
            rows = np.flatnonzero(self.drawn < goal)
            if rows.size == 0:
                return
            self.advance(rows)

    def grow_all(self) -> None:
        self.grow(self.counts)

    def lower_bound(self) -> np.ndarray:
        """Per row, the least cost an undrawn candidate can have (the next rank's band floor);
        int64 max where every candidate is drawn."""
        e = self.counts
        bound = (self.drawn + 1) * np.int64(COST_SCALE) // (e + 1)
        return np.where(self.full, np.iinfo(np.int64).max, bound)

    def rest(self, row: int) -> np.ndarray:
        """The columns of ``row`` not ranked yet (in no meaningful order)."""
        return self.perm[self.start[row] + self.drawn[row]:self.start[row + 1]].astype(np.int64)

    def arcs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, columns, costs) of every drawn rank, ordered by row then rank."""
        if self._arcs is None:
            if not self._rows:
                z = np.zeros(0, dtype=np.int64)
                self._arcs = (z, z, z)
            else:
                rows, ranks = np.concatenate(self._rows), np.concatenate(self._ranks)
                order = np.lexsort((ranks, rows))
                self._rows, self._ranks = [rows[order]], [ranks[order]]
                self._cols = [np.concatenate(self._cols)[order]]
                self._costs = [np.concatenate(self._costs)[order]]
                self._arcs = (self._rows[0], self._cols[0], self._costs[0])
        return self._arcs
