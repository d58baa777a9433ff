"""EntityTable.rows_of: the binary-search lookup that replaced an id → row dict of the whole table."""

from __future__ import annotations

import dataclasses

import numpy as np
from factories import entity_table
from hypothesis import given, settings
from hypothesis import strategies as st

_ID = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=1, max_size=18)


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(_ID, unique=True, max_size=40), extra=st.lists(_ID, max_size=20), data=st.data())
def test_rows_of_agrees_with_a_dict(ids: list[str], extra: list[str], data: st.DataObject) -> None:
    table = entity_table(ids)
    # Asked: some present ids, absent ones, and longer strings that share a present id's prefix
    # (a search must not match by truncating the query to the column's width).
    longer = [i + "0" for i in ids[:5]]
    asked = data.draw(st.permutations(ids[: len(ids) // 2] + extra + longer))
    expected = [{e: i for i, e in enumerate(ids)}.get(q, -1) for q in asked]
    assert table.rows_of(asked).tolist() == expected
    assert table.rows_of(np.asarray(asked, dtype=str)).tolist() == expected
    assert table.row_map(asked) == {q: r for q, r in zip(asked, expected, strict=True) if r >= 0}


def test_an_empty_table_or_query_finds_nothing() -> None:
    assert entity_table([]).rows_of(["91310117MA1J3XXX0X"]).tolist() == [-1]
    assert entity_table(["A1"]).rows_of([]).tolist() == []


def test_a_remembered_order_is_not_carried_to_a_replaced_table() -> None:
    table = entity_table(["B", "A", "C"])
    assert table.rows_of(["A", "C"]).tolist() == [1, 2]
    other = dataclasses.replace(table, entity_id=np.asarray(["C", "B", "A"]))
    assert other.rows_of(["A", "C"]).tolist() == [2, 0]


def test_a_wrong_sized_order_is_refused() -> None:
    table = entity_table(["B", "A"])
    try:
        table.remember_id_order(np.arange(3))
    except ValueError as err:
        assert "one entry per row" in str(err)
    else:
        raise AssertionError("a wrong-sized order was accepted")
