"""The randomness of 第二随机 (assign/ranking.py): lazily drawn rankings, the same as the stdlib
construction of docs/assign.md, uniform, with costs in rank order and a valid lower bound."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_teams import stdlib_ranking

from randsup.assign.ranking import (
    COST_SCALE,
    Rankings,
    accept_draw,
    accepts,
    inspector_ranking,
    node_id,
    rank_cost,
    ranking,
)

SEED = "ab" * 32


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(1, 9), st.integers(0, 2**32), st.lists(st.integers(0, 10), max_size=4))
def test_lazy_rankings_equal_the_stdlib_construction(n: int, m: int, pattern: int, steps: list[int]) -> None:
    """Whatever order ranks are drawn in, each node's ranks and costs are the documented ones."""
    rng = np.random.default_rng(pattern)
    eligible = rng.random((n, m)) < 0.7
    ids = [f"P{j:02d}" for j in range(m)]
    visits = [f"V{i}" for i in range(n)]
    rk = Rankings(SEED, [node_id(v, "D1") for v in visits], eligible)
    for k in steps:  # grow a random subset of nodes to k ranks, in several calls
        rk.grow(np.where(rng.random(n) < 0.5, k, 0))
    rows, cols, costs = rk.arcs()
    bound = rk.lower_bound()
    for i, v in enumerate(visits):
        want = stdlib_ranking(SEED, v, "D1", [ids[j] for j in np.flatnonzero(eligible[i])])
        k = int(rk.drawn[i])
        got = [(ids[c], int(x)) for c, x in zip(cols[rows == i].tolist(), costs[rows == i].tolist(), strict=True)]
        assert got == want[:k]
        assert ranking(SEED, node_id(v, "D1"), [p for p, _ in reversed(want)], k) == want[:k]
        assert sorted(ids[c] for c in rk.rest(i).tolist()) == sorted(p for p, _ in want[k:])
        assert all(a < b for (_, a), (_, b) in itertools.pairwise(want))  # costs follow the ranks
        if k < len(want):
            assert bound[i] <= min(c for _, c in want[k:])  # the certificate's floor for unranked pairs
            assert k == 0 or bound[i] > want[k - 1][1]
        else:
            assert bound[i] == np.iinfo(np.int64).max
    rk.grow_all()
    assert int(rk.drawn.sum()) == int(eligible.sum())


def test_experts_have_their_own_ranking() -> None:
    ids = [f"X{j}" for j in range(6)]
    team = inspector_ranking(SEED, "V1", "D1", ids)
    expert = inspector_ranking(SEED, "V1", "D1", ids, expert=True)
    assert expert == stdlib_ranking(SEED, "V1", "D1", ids, expert=True) and team != expert
    assert node_id("V'1", "D\n") == str(("V'1", "D\n"))


def test_rejection_sampling_boundary() -> None:
    """x mod n is unbiased only below n·⌊2^64/n⌋; the vectorised test agrees with the scalar one."""
    word = 2**64
    cases = []
    for n in (1, 2, 3, 5, 7, 1000, 1800, 2**20 - 1, 2**20):
        limit = (word // n) * n
        cases += [(x, n) for x in (0, 1, limit - 1, limit, word - 1, word - n, (word - 1) // 2) if 0 <= x < word]
    for x, n in cases:
        assert accept_draw(x, n) == (x < (word // n) * n)
    xs = np.array([x for x, _ in cases], dtype=np.uint64)
    ns = np.array([n for _, n in cases], dtype=np.uint64)
    assert accepts(xs, ns).tolist() == [accept_draw(x, n) for x, n in cases]
    assert not accept_draw(word - 1, 3) and accept_draw(word - 2, 3)  # 2^64 ≡ 1 (mod 3)


def test_costs_lie_in_their_rank_bands() -> None:
    for e in (1, 2, 7, 1800, 2**20 - 1):
        width = COST_SCALE // (e + 1)
        for t in sorted({0, 1, e // 2, e - 1} & set(range(e))):
            lo = (t + 1) * COST_SCALE // (e + 1)
            assert rank_cost(t, e, 0) == lo and rank_cost(t, e, 2**64 - 1) < lo + width
            assert rank_cost(t, e, 2**64 - 1) < (t + 2) * COST_SCALE // (e + 1) <= COST_SCALE


def test_every_order_equally_likely() -> None:
    """All 3! rankings of three candidates over 6,000 nodes: χ² with 5 degrees of freedom."""
    nodes = 6000
    counts = Counter(tuple(p for p, _ in ranking(SEED, node_id(f"V{i}", "D1"), ["a", "b", "c"])) for i in range(nodes))
    assert len(counts) == 6
    chi2 = sum((c - nodes / 6) ** 2 / (nodes / 6) for c in counts.values())
    assert chi2 < 25.7  # P(χ²_5 > 25.7) ≈ 10^-4


def test_first_ranks_uniform_in_the_vectorised_draw() -> None:
    """The first rank of 4,000 nodes with 8 candidates each: each candidate first 1/8 of the time."""
    n, m = 4000, 8
    rk = Rankings(SEED, [node_id(f"V{i}", "D9") for i in range(n)], np.ones((n, m), dtype=bool))
    rk.grow(np.ones(n, dtype=np.int64))
    _, cols, _ = rk.arcs()
    got = np.bincount(cols, minlength=m)
    sd = math.sqrt(n * (1 / m) * (1 - 1 / m))
    assert np.all(np.abs(got - n / m) < 4.5 * sd), got
