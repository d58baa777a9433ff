"""The draw as SQL: the consistent-sampler ticket key and the k smallest tickets, for DuckDB and Spark.

One function, :func:`draw_sql`, writes the statement both engines run; :func:`ticket_key_sql`
is the key expression inside it. Why the key equals the Python ticket key (tickets.py):

* The ticket of id ``e`` under seed string ``s`` is the 64 decimal digits of
  ``H = SHA-256(SHA-256hex(s) || e)`` reversed. Its first 19 digits, read as an integer, are the
  *key*: the last 19 decimal digits of H (``H mod 10^19``, zero-padded) in reverse order.
* ``SHA-256hex(s)`` is a constant of the draw: Python computes it once and writes it into the
  statement as a literal, so the database hashes ``literal || entity_id`` (UTF-8 in both).
* ``H mod 10^19`` from the 64-digit hex digest split into chunks ``c_i`` of at most 15 hex
  digits (60 bits): ``H = sum(c_i * 16^e_i)``, so ``H mod 10^19 = sum(c_i * (16^e_i mod 10^19))
  mod 10^19``. Each product is below ``16^15 * 10^19 < 1.2 * 10^37`` and the sum of five below
  ``6 * 10^37``: it fits DECIMAL(38,0) (Spark) and HUGEINT (DuckDB, 128 bits), and one modulo
  (the costly operation on 128-bit integers) does the reduction.
* The 19 digits are reversed as text: ``reverse(lpad(CAST(r AS text), 19, '0'))``.

Exact ties of the key (about one pair in 10^12 among 10^7 ids) are not settled in SQL: the
window keeps every row tied with the m-th (``RANK() <= m``) and the engine orders those
candidates with :meth:`randsup.tickets.TicketTable.order`, which compares full tickets and
then ids exactly as the Python engine does. ``key_digits`` shortens the key for the tests of
that rule (ties then happen all the time); a draw always uses 19.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from .tickets import KEY_DIGITS

__all__ = ["DUCKDB", "SPARK", "Dialect", "count_in_arc_sql", "draw_sql", "keyed_sql", "ticket_key_sql"]

_HEX_DIGITS = 64
_CHUNK_HEX = 15  # 5 * 16^15 * 10^19 < 10^38: the weighted sum fits DECIMAL(38,0)


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL engines: the hash function, the wide integer, hex parsing."""

    name: str
    int_type: str  # an exact integer type holding 10^38
    text_type: str
    sha256: str  # format string over one text expression, giving lower-case hex

    def hex_int(self, expr: str) -> str:
        """A hex string of at most 15 digits as an exact integer."""
        if self.name == "spark":
            return f"CAST(conv({expr}, 16, 10) AS {self.int_type})"
        return f"CAST(CAST('0x' || {expr} AS UBIGINT) AS {self.int_type})"

    def integer(self, value: int) -> str:
        """An integer literal of the wide type (Spark reads bare literals above 2^63 as DECIMAL(20))."""
        return f"CAST('{value}' AS {self.int_type})" if self.name == "spark" else f"CAST({value} AS {self.int_type})"


DUCKDB = Dialect("duckdb", "HUGEINT", "VARCHAR", "sha256({})")
SPARK = Dialect("spark", "DECIMAL(38,0)", "STRING", "sha2({}, 256)")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _limbs() -> list[tuple[int, int, int]]:
    """(first position, length, weight 16^(hex digits after it)) of the hex digest's chunks:
    a 4-digit top chunk, then 15-digit ones (4 + 4 × 15 = 64)."""
    first = _HEX_DIGITS % _CHUNK_HEX or _CHUNK_HEX
    out = [(1, first, 16 ** (_HEX_DIGITS - first))]
    for pos in range(first + 1, _HEX_DIGITS + 1, _CHUNK_HEX):
        out.append((pos, _CHUNK_HEX, 16 ** (_HEX_DIGITS + 1 - pos - _CHUNK_HEX)))
    return out


def ticket_key_sql(d: Dialect, id_column: str, seed_string: str, *,
                   key_digits: int = KEY_DIGITS) -> tuple[str, str]:
    """(key over a column ``h``, the hex digest ``h`` of ``id_column``) as SQL expressions.

    The key, of type ``d.int_type``, equals :func:`randsup.tickets.ticket_keys` (``key_digits`` = 19) or, for the tie tests,
    to the first ``key_digits`` digits of the ticket.
    """
    if not 1 <= key_digits <= KEY_DIGITS:
        raise ValueError(f"key_digits must be in 1..{KEY_DIGITS}")
    prefix = hashlib.sha256(str(seed_string).encode("utf-8")).hexdigest()
    h = d.sha256.format(f"concat({_literal(prefix)}, {id_column})")
    modulus = 10**KEY_DIGITS
    terms = [f"{d.hex_int(f'substr(h, {pos}, {length})')} * {d.integer(weight % modulus)}"
             for pos, length, weight in _limbs()]
    r = f"({' + '.join(terms)}) % {d.integer(modulus)}"
    digits = f"reverse(lpad(CAST(({r}) AS {d.text_type}), {KEY_DIGITS}, '0'))"
    if key_digits < KEY_DIGITS:
        digits = f"substr({digits}, 1, {key_digits})"
    # The hash is computed once per row in a sub-select; the expression refers to it as h.
    return f"CAST({digits} AS {d.int_type})", h


def keyed_sql(d: Dialect, source: str, seed_string: str, *, where: str = "TRUE",
              key_digits: int = KEY_DIGITS) -> str:
    """SELECT entity_id, pid, risk, ticket_key FROM ``source`` (rows with entity_id, pid, risk) WHERE ``where``."""
    key, h = ticket_key_sql(d, "entity_id", seed_string, key_digits=key_digits)
    return (f"SELECT entity_id, pid, risk, {key} AS ticket_key FROM "
            f"(SELECT entity_id, pid, risk, {h} AS h FROM {source} WHERE {where}) hashed")


def _dist(d: Dialect, start: int, scale: int) -> str:
    """``(key - start) mod scale`` without a modulo of a negative number."""
    if start == 0:
        return "ticket_key"
    s = d.integer(start)
    return f"CASE WHEN ticket_key >= {s} THEN ticket_key - {s} ELSE ticket_key + {d.integer(scale - start)} END"


def _in_rows(rows_table: str) -> str:
    return f"pid IN (SELECT pid FROM {rows_table})"


def draw_sql(d: Dialect, source: str, rows_table: str, classes: Sequence[tuple[int, int, int, int | None]], *,
             seed_string: str | None = None, key_digits: int = KEY_DIGITS) -> str:
    """The draw statement: per credit-risk class, the ``m`` smallest ``(key - start) mod 1`` rows.

    ``source`` has columns entity_id, pid (profile), risk (0–3) and, unless ``seed_string`` is
    given, ticket_key (the shared-seed keys, computed once); with ``seed_string`` the keys are
    computed inline (an independent task's own seed). ``rows_table`` lists the profiles (pid)
    in the task's population with the class (risk) each is drawn in for this task (an object
    that is not graded takes the task's default class); ``classes`` is (risk, start in key units,
    m, limit) per class drawn, where ``limit`` (or None) keeps only rows whose distance from the start is below it:
    a pre-filter that spares the window a sort of the whole class. A class that returns fewer
    than m rows had too small a limit, and the caller asks again without one.
    Returns entity_id, pid, risk, ticket_key of each candidate: the first m per class plus any row
    tied with the m-th, for :meth:`TicketTable.order` to settle.
    """
    scale = 10**key_digits
    # The class of a row is the rows table's (an ungraded object's class depends on the task).
    keys = (f"({keyed_sql(d, source, seed_string, where=_in_rows(rows_table), key_digits=key_digits)})"
            if seed_string is not None else source)
    keyed = (f"(SELECT s.entity_id, s.pid, r.risk, s.ticket_key FROM {keys} s "
             f"JOIN {rows_table} r ON s.pid = r.pid)")
    params = ", ".join(f"({risk}, {m}, {d.integer(scale if limit is None else min(limit, scale))})"
                       for risk, _, m, limit in classes)
    dist_cases = " ".join(f"WHEN {risk} THEN {_dist(d, start, scale)}" for risk, start, _, _ in classes)
    return (
        "SELECT entity_id, pid, risk, ticket_key FROM ("
        "SELECT c.entity_id, c.pid, c.risk, c.ticket_key, c.m, "
        "RANK() OVER (PARTITION BY c.risk ORDER BY c.dist) AS rk FROM ("
        f"SELECT k.entity_id, k.pid, k.risk, k.ticket_key, p.m, p.lim, CASE k.risk {dist_cases} END AS dist "
        f"FROM {keyed} k JOIN (SELECT * FROM (VALUES {params}) AS v(risk, m, lim)) p ON k.risk = p.risk"
        ") c WHERE c.dist < c.lim"
        ") ranked WHERE rk <= m"
    )


def count_in_arc_sql(d: Dialect, source: str, rows_table: str, start: int, length: int) -> str:
    """How many rows of the task's population have ``(key - start) mod 10^19 < length``."""
    return (f"SELECT count(*) FROM {source} WHERE {_in_rows(rows_table)} "
            f"AND ({_dist(d, start, 10**KEY_DIGITS)}) < {d.integer(length)}")
