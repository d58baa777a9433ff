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


def _check_width(m: int) -> None:
    if m >= MAX_CANDIDATES:
        raise RandsupError(f"{m:,} inspectors in one department; rankings support fewer than {MAX_CANDIDATES:,}")


class Rankings:
    """The rankings of many nodes, each over its eligible inspector columns in inspector_id order.

    Eligibility comes as the rules shape it (eligibility.Pool): node i's candidates are the
    ascending columns of mask ``template[combo[i]]`` less its ``struck`` cells. The Fisher–Yates
    working array is virtual: position p of node i holds its p-th candidate unless a swap moved
    another there (kept in a dict), so a department of 29,000 nodes × 2,000 candidates costs the
    ranks drawn, not 58 million entries. Ranks are drawn on demand (``advance``); ``arcs`` lists
    the drawn (row, column, cost) and ``undrawn`` the pairs not drawn yet.
    """

    def __init__(self, seed_string: str, nodes: Sequence[str], eligible: np.ndarray) -> None:
        """From a dense bool table [node, inspector column] (each row its own mask)."""
        n, m = eligible.shape
        self._setup(seed_string, nodes, eligible, np.arange(n, dtype=np.int64), np.zeros(0, dtype=np.int64), m)

    @classmethod
    def of_masks(cls, seed_string: str, nodes: Sequence[str], template: np.ndarray, combo: np.ndarray,
                 struck: np.ndarray) -> Rankings:
        """From masks shared by many nodes: node i's candidates are ``template[combo[i]]`` less the
        cells ``struck`` (sorted unique codes row × m + column, each inside its node's mask)."""
        self = cls.__new__(cls)
        self._setup(seed_string, nodes, template, np.asarray(combo, dtype=np.int64), struck, template.shape[1])
        return self

    def _setup(self, seed_string: str, nodes: Sequence[str], template: np.ndarray, combo: np.ndarray,
               struck: np.ndarray, m: int) -> None:
        _check_width(m)
        n = combo.shape[0]
        self.m = m
        self._width = m + 1  # key = row × width + position (a position is below m + 1)
        masks = [np.flatnonzero(t) for t in template]
        sizes = np.array([x.shape[0] for x in masks], dtype=np.int64)
        self._cand = np.concatenate(masks).astype(np.int64) if masks else np.zeros(0, dtype=np.int64)
        self._cstart = np.zeros(len(masks) + 1, dtype=np.int64)
        np.cumsum(sizes, out=self._cstart[1:])
        self._combo = combo
        rows, cols = struck // max(m, 1), struck % max(m, 1)
        # Node i's p-th candidate is mask position p + #{j : s_j − j ≤ p}, s_0 < s_1 < … the positions
        # of its struck cells in the mask (select with deletions); keyed row × width + s_j − j.
        pos = np.cumsum(template, axis=1, dtype=np.int64)[combo[rows], cols] - 1 if struck.size else rows
        first = np.searchsorted(rows, rows, side="left")
        self._skey = rows * self._width + (pos - (np.arange(rows.shape[0]) - first))
        self.counts = (sizes[combo] if n else np.zeros(0, dtype=np.int64)) - np.bincount(rows, minlength=n)
        self.drawn = np.zeros(n, dtype=np.int64)
        self.counter = np.zeros(n, dtype=np.int64)
        self._swaps: dict[int, int] = {}  # row × width + position → column moved there by a swap
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

    def _candidate(self, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """The p-th candidate (column) of each row, before any swap."""
        if self._skey.size:
            lo = rows * self._width
            pos = pos + np.searchsorted(self._skey, lo + pos, side="right") - np.searchsorted(self._skey, lo)
        return self._cand[self._cstart[self._combo[rows]] + pos]

    def _at(self, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """What the working array holds at these positions: the candidate, or what a swap put there."""
        out = self._candidate(rows, pos)
        if self._swaps:
            swaps = self._swaps
            for k, key in enumerate((rows * self._width + pos).tolist()):
                moved = swaps.get(key)
                if moved is not None:
                    out[k] = moved
        return out

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
        there = t + r
        a, b = self._at(rows, t), self._at(rows, there)
        # Position t is ranked now (b); what stood at t moves to `there`. Positions below drawn are
        # never read again, so only `there` needs remembering.
        swaps, width = self._swaps, self._width
        for i, here, to, moved in zip(rows.tolist(), t.tolist(), there.tolist(), a.tolist(), strict=True):
            swaps.pop(i * width + here, None)
            if to != here:
                swaps[i * width + to] = moved
        width_cost = (np.int64(COST_SCALE) // (e + 1)).astype(np.uint64)
        cost = (t + 1) * np.int64(COST_SCALE) // (e + 1) + (jitter % width_cost).astype(np.int64)
        self._rows.append(rows)
        self._ranks.append(t)
        self._cols.append(b)
        self._costs.append(cost)
        self._arcs = None
        self.drawn[rows] += 1
        out[ok] = b
        return out

    def candidates(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (row, column) pair of these rows, drawn or not, rows as given and columns ascending."""
        rows = np.asarray(rows, dtype=np.int64)
        left = self.counts[rows]
        rep = np.repeat(rows, left)
        pos = np.arange(rep.shape[0], dtype=np.int64) - np.repeat(np.cumsum(left) - left, left)
        return rep, self._candidate(rep, pos)

    def undrawn(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (row, column) pair of these rows not ranked yet."""
        rep, cols = self.candidates(rows)
        drawn_rows, drawn_cols, _ = self.arcs()
        done = np.sort(drawn_rows * self.m + drawn_cols)
        code = rep * self.m + cols
        at = np.minimum(np.searchsorted(done, code), max(done.shape[0] - 1, 0))
        new = done[at] != code if done.size else np.ones(code.shape[0], dtype=bool)
        return rep[new], cols[new]

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
        """The columns of ``row`` not ranked yet (ascending)."""
        return self.undrawn(np.array([row], dtype=np.int64))[1]

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
