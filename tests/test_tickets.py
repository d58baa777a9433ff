"""Tickets against Rivest's consistent_sampler, the vectorised keys and their exact order."""

from __future__ import annotations

from decimal import Decimal

import consistent_sampler as cs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import randsup.draw.tickets as tk
from randsup import TicketTable, ticket, ticket_keys, ticket_strings
from randsup.draw.tickets import KEY_SCALE, key_of_ticket, start_decimal

# Ids as numpy holds them: text without NUL (numpy strings cannot end in one).
ids_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=24)
seed_text = st.text(max_size=40)


@given(seed=seed_text, entity_id=st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_ticket_equals_consistent_sampler(seed: str, entity_id: str) -> None:
    assert ticket(seed, entity_id) == cs.first_fraction(entity_id, seed)


def test_ticket_of_the_consistent_sampler_docstring() -> None:
    assert ticket("01382438112797316654", "AB-130") == (
        "0.26299714122838008416507544297546663599715395525154425586041245287750224561854")


@given(seed=seed_text, ids=st.lists(ids_text, min_size=1, max_size=40, unique=True))
@settings(max_examples=150, deadline=None)
def test_keys_are_the_first_19_ticket_digits(seed: str, ids: list[str]) -> None:
    want = [key_of_ticket(cs.first_fraction(e, seed)) for e in ids]
    assert ticket_keys(seed, ids).tolist() == want
    assert ticket_keys(seed, np.asarray(ids, dtype=np.str_)).tolist() == want
    assert ticket_strings(seed, ids) == [cs.first_fraction(e, seed) for e in ids]


@given(seed=seed_text, n=st.integers(1, 300), k=st.integers(0, 320))
@settings(max_examples=60, deadline=None)
def test_order_equals_consistent_sampler(seed: str, n: int, k: int) -> None:
    ids = [f"91310117MA1G{i:06d}" for i in range(n)]
    table = TicketTable.compute(seed, ids)
    got = [str(table.ids[r]) for r in table.order(np.arange(n), k)]
    assert got == list(cs.sampler(ids, seed=seed, take=k, output="id"))


def test_equal_keys_are_settled_by_full_ticket_then_id() -> None:
    # Force every key to collide: the order must still be consistent_sampler's.
    ids = [f"E{i:03d}" for i in range(60)]
    table = TicketTable("seed", np.asarray(ids), np.zeros(60, dtype=np.uint64))
    want = list(cs.sampler(ids, seed="seed", output="id"))
    assert [str(table.ids[r]) for r in table.order(np.arange(60))] == want
    assert [str(table.ids[r]) for r in table.order(np.arange(60), 7)] == want[:7]


@given(seed=seed_text, pick=st.integers(0, 99))
@settings(max_examples=60, deadline=None)
def test_start_rotates_the_ticket_circle(seed: str, pick: int) -> None:
    ids = [f"X{i}" for i in range(100)]
    table = TicketTable.compute(seed, ids)
    start = int(table.keys[pick])
    s = Decimal(start_decimal(start))
    want = sorted(ids, key=lambda e: ((Decimal(cs.first_fraction(e, seed)) - s + 1) % 1, e))
    assert [str(table.ids[r]) for r in table.order(np.arange(100), start=start)] == want
    assert str(table.ids[table.order(np.arange(100), 1, start=start)[0]]) == ids[pick]


def test_parallel_keys_equal_serial_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tk, "PARALLEL_MIN_IDS", 2_000)
    ids = np.asarray([f"91310117MA1G{i:06d}" for i in range(20_000)])
    serial = ticket_keys("s", ids, workers=1)
    assert np.array_equal(ticket_keys("s", ids, workers=2), serial)
    assert serial.dtype == np.uint64 and int(serial.max()) < KEY_SCALE


def test_non_ascii_and_mixed_ids() -> None:
    ids = np.asarray(["松江区某某餐饮店", "91310117MA1G000000", "é", ""])
    assert ticket_keys("种子", ids).tolist() == [key_of_ticket(cs.first_fraction(e, "种子")) for e in ids.tolist()]


def test_rejects_ids_ending_in_nul() -> None:
    with pytest.raises(ValueError, match="NUL"):
        ticket_keys("s", ["a\x00"])


def test_start_decimal() -> None:
    assert start_decimal(0) == "0"
    assert start_decimal(KEY_SCALE // 4) == "0.25"
    assert start_decimal(1) == "0.0000000000000000001"
    with pytest.raises(ValueError):
        start_decimal(KEY_SCALE)
