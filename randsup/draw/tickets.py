"""Per-entity tickets compatible with Rivest's consistent_sampler, computed once per seed.

Design notes: docs/draw.md (section randsup/draw/tickets.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import repeat

import numpy as np

from .._runtime import available_cores, pool_context

__all__ = [
    "KEY_DIGITS",
    "KEY_SCALE",
    "TicketTable",
    "key_of_ticket",
    "start_decimal",
    "ticket_distance",
    "ticket",
    "ticket_keys",
    "ticket_strings",
    "tickets",
]

KEY_DIGITS = 19
KEY_SCALE = 10**KEY_DIGITS  # keys live in [0, KEY_SCALE): a ticket's first 19 digits as an integer
# Below this many ids one process is faster than starting a pool.
PARALLEL_MIN_IDS = 400_000
_SUB_CHUNK = 1 << 15  # ids per vectorised block: keeps numpy temporaries in cache

_P5 = 5**KEY_DIGITS  # 10^19 = 2^19 * 5^19; H mod 5^19 < 2^44.2, so r * 2^16 + limb fits in 64 bits
_INV_P5 = pow(_P5, -1, 1 << KEY_DIGITS)


def _seed_prefix(seed_string: str) -> bytes:
    return hashlib.sha256(str(seed_string).encode("utf-8")).hexdigest().encode("ascii")


def ticket(seed_string: str, entity_id: str) -> str:
    """The consistent-sampler ticket of one id: ``consistent_sampler.first_fraction(id, seed)``."""
    h = hashlib.sha256(_seed_prefix(seed_string) + str(entity_id).encode("utf-8")).digest()
    return "0." + f"{int.from_bytes(h, 'big'):064d}"[::-1]


def ticket_strings(seed_string: str, ids: Sequence[str] | np.ndarray) -> list[str]:
    """Full tickets for many ids (e.g. to publish those of the drawn entities)."""
    base = hashlib.sha256(_seed_prefix(seed_string))
    out = []
    for e in ids:
        h = base.copy()
        h.update(str(e).encode("utf-8"))
        out.append("0." + f"{int.from_bytes(h.digest(), 'big'):064d}"[::-1])
    return out


# The same function under the name the design brief gave it (randsup.teams imports it). Only the
# module offers this name: at package level it would hide the submodule randsup.tickets.
tickets = ticket_strings


def key_of_ticket(ticket_text: str) -> int:
    """The sort key of a ticket string: its first 19 digits as an integer."""
    return int(ticket_text[2:2 + KEY_DIGITS])


def start_decimal(start: int) -> str:
    """A start point in key units as the decimal string plan.json records ("0", "0.25", …)."""
    if not 0 <= start < KEY_SCALE:
        raise ValueError(f"start {start} is outside [0, 10^19)")
    return format((Decimal(start) / KEY_SCALE).normalize(), "f") if start else "0"


def ticket_distance(ticket_text: str, start: str) -> str:
    """``(ticket - start) mod 1`` exactly, both decimal strings in [0, 1), as a normalised decimal
    string ("0" for zero, no trailing zeros): how far along the ticket circle from a task's start."""
    ft, fs = ticket_text.partition(".")[2], start.partition(".")[2]
    n = max(len(ft), len(fs))
    one = 10**n
    d = (int(ft.ljust(n, "0") or "0") - int(fs.ljust(n, "0") or "0")) % one
    return "0" if d == 0 else ("0." + str(d).rjust(n, "0")).rstrip("0")


# ---------------------------------------------------------------------------------------
# Vectorised keys


@cache
def _reverse_tables() -> tuple[np.ndarray, np.ndarray]:
    """Digit-reversal tables for 5-digit and 4-digit groups (zero-padded)."""
    def table(width: int) -> np.ndarray:
        v = np.arange(10**width, dtype=np.uint64)
        out = np.zeros_like(v)
        for _ in range(width):
            v, d = np.divmod(v, np.uint64(10))
            out = out * np.uint64(10) + d
        out.flags.writeable = False
        return out
    return table(5), table(4)


def _mod(x: np.ndarray, m: np.uint64) -> np.ndarray:
    # numpy divides by a scalar with libdivide but computes % the slow way; x - (x // m) * m is exact.
    return x - (x // m) * m


def _keys_from_digests(digests: bytes | bytearray | memoryview) -> np.ndarray:
    """Keys (first 19 ticket digits as uint64) of concatenated 32-byte SHA-256 digests."""
    words = np.frombuffer(digests, dtype=">u8").reshape(-1, 4)
    n = words.shape[0]
    out = np.empty(n, dtype=np.uint64)
    rev5, rev4 = _reverse_tables()
    p5, e5 = np.uint64(_P5), np.uint64(100_000)
    mask16, mask19 = np.uint64(0xFFFF), np.uint64((1 << KEY_DIGITS) - 1)
    s16 = np.uint64(16)
    for lo in range(0, n, _SUB_CHUNK):
        w = words[lo:lo + _SUB_CHUNK].astype(np.uint64)
        # H mod 5^19 by Horner's rule over 16-bit limbs, starting from the top 64-bit word.
        r = _mod(w[:, 0], p5)
        for j in (1, 2, 3):
            wj = w[:, j]
            for shift in (48, 32, 16, 0):
                r = _mod((r << s16) | ((wj >> np.uint64(shift)) & mask16), p5)
        # CRT with H mod 2^19 (the low bits): x = r + 5^19 * ((a - r) * 5^-19 mod 2^19) < 10^19.
        a = w[:, 3] & mask19
        x = r + p5 * (((a - r) * np.uint64(_INV_P5)) & mask19)
        # Reverse the 19 digits (d0 = units first): groups of 5, 5, 5 and 4 digits.
        g0 = _mod(x, e5)
        x = x // e5
        g1 = _mod(x, e5)
        x = x // e5
        g2 = _mod(x, e5)
        g3 = x // e5
        out[lo:lo + _SUB_CHUNK] = (rev5[g0] * np.uint64(10**14) + rev5[g1] * np.uint64(10**9)
                                   + rev5[g2] * np.uint64(10**4) + rev4[g3])
    return out


def _digest_keys(prefix: bytes, ids: np.ndarray) -> np.ndarray:
    """Hash one chunk of encoded ids (a worker's job) and return their keys."""
    copy = hashlib.sha256(prefix).copy
    buf = bytearray()
    extend = buf.extend
    for x in ids.tolist():
        h = copy()
        h.update(x)
        extend(h.digest())
    return _keys_from_digests(buf)


def _encode(ids: Sequence[str] | np.ndarray) -> np.ndarray:
    """Ids as a fixed-width UTF-8 bytes array."""
    if not isinstance(ids, np.ndarray):
        ids = list(ids)
        # numpy string arrays drop trailing NULs; such an id would get another id's ticket.
        if any(str(e).endswith("\x00") for e in ids):
            raise ValueError("an id ends with a NUL character; entity ids must be printable text")
        ids = np.asarray([str(e) for e in ids], dtype=np.str_) if ids else np.zeros(0, dtype="S1")
    if ids.dtype.kind == "S":
        return ids
    if ids.dtype.kind != "U":
        ids = ids.astype(np.str_)
    ids = np.ascontiguousarray(ids)
    width = ids.dtype.itemsize // 4
    if ids.size == 0 or width == 0:
        return np.zeros(ids.shape[0], dtype="S1")
    # ASCII ids (every 统一社会信用代码) are UCS-4 code points below 128: narrowing them to bytes
    # is their UTF-8, and ten times faster than numpy's str -> bytes cast.
    points = ids.view(np.uint32).reshape(ids.shape[0], width)
    if int(points.max()) < 128:
        return points.astype(np.uint8).view(f"S{width}").reshape(ids.shape[0])
    return np.char.encode(ids, "utf-8")


def ticket_keys(seed_string: str, ids: Sequence[str] | np.ndarray, *, workers: int | None = None) -> np.ndarray:
    """Sort keys (uint64, the first 19 ticket digits) of every id, on all cores.

    ``workers`` defaults to the cores this process may use; 1 computes in this process.
    The result does not depend on ``workers``.
    """
    enc = _encode(ids)
    prefix = _seed_prefix(seed_string)
    n = int(enc.shape[0])
    context = pool_context()
    # A spawned worker first imports randsup (about a second), which only pays off for big jobs.
    min_ids = PARALLEL_MIN_IDS if context.get_start_method() == "fork" else 8 * PARALLEL_MIN_IDS
    procs = available_cores() if workers is None else max(1, int(workers))
    procs = min(procs, max(1, n // (min_ids // 2)))
    if procs <= 1 or n < min_ids:
        return _digest_keys(prefix, enc)
    # A few chunks per process evens out the finish; each chunk is hashed in one call.
    chunks = np.array_split(enc, procs * 4)
    with ProcessPoolExecutor(max_workers=procs, mp_context=context) as pool:
        parts = list(pool.map(_digest_keys, repeat(prefix), chunks))
    return np.concatenate(parts)


# ---------------------------------------------------------------------------------------
# The ticket table of one seed


@dataclass(frozen=True)
class TicketTable:
    """Tickets of a set of ids under one seed string, as sortable keys.

    ``ids[i]`` has key ``keys[i]``. Orders follow consistent_sampler exactly: by ticket, and
    by id for equal tickets; with a start point ``s`` (in key units) by ``(ticket - s) mod 1``.
    """

    seed_string: str
    ids: np.ndarray  # str
    keys: np.ndarray  # uint64, in [0, KEY_SCALE)

    @classmethod
    def compute(cls, seed_string: str, ids: Sequence[str] | np.ndarray, *,
                workers: int | None = None) -> TicketTable:
        arr = ids if isinstance(ids, np.ndarray) else np.asarray(list(ids), dtype=np.str_)
        return cls(seed_string, arr, ticket_keys(seed_string, ids, workers=workers))

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def ticket(self, row: int) -> str:
        return ticket(self.seed_string, str(self.ids[row]))

    def shifted(self, rows: np.ndarray, start: int = 0) -> np.ndarray:
        """``(key - start) mod 10^19`` of the given rows, without overflowing uint64."""
        k = self.keys[rows]
        if start == 0:
            return k
        s = np.uint64(start)
        return np.where(k >= s, k - s, k + (np.uint64(KEY_SCALE) - s))

    def order(self, rows: np.ndarray, k: int | None = None, *, start: int = 0) -> np.ndarray:
        """The first ``k`` (default: all) of ``rows`` in ticket order from ``start``."""
        rows = np.asarray(rows, dtype=np.int64)
        n = int(rows.shape[0])
        k = n if k is None else max(0, min(int(k), n))
        if k == 0:
            return rows[:0]
        d = self.shifted(rows, start)
        if k < n:
            # Everything tied with the k-th key stays a candidate; ties are settled below.
            kth = np.partition(d, k - 1)[k - 1]
            cand = np.flatnonzero(d <= kth)
        else:
            cand = np.arange(n)
        cand = cand[np.argsort(d[cand], kind="stable")]
        dc = d[cand]
        same = np.flatnonzero(dc[1:] == dc[:-1])
        if same.size:
            cand = self._settle_ties(rows, cand, dc)
        return rows[cand[:k]]

    def _settle_ties(self, rows: np.ndarray, cand: np.ndarray, dc: np.ndarray) -> np.ndarray:
        """Order runs of equal keys by full ticket, then id (consistent_sampler's tuple order).

        Equal keys mean equal first 19 digits, so no wrap of the circle lies between them and
        (ticket - start) mod 1 orders them as the tickets themselves do.
        """
        out = cand.copy()
        bounds = np.flatnonzero(np.diff(dc)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [dc.size]])
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            if b - a > 1:
                group = cand[a:b]
                ids = [str(self.ids[rows[i]]) for i in group.tolist()]
                full = ticket_strings(self.seed_string, ids)
                idx = sorted(range(b - a), key=lambda j: (full[j], ids[j]))
                out[a:b] = group[idx]
        return out
