"""Pool keeps eligibility as the rules shape it (one mask per field set and date, struck cells);
every fast accessor must agree with the dense table built rule by rule from ``Pool.fails``."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_teams import instances, spec

from randsup.assign.eligibility import RULES, build_rules, demands_by_department, eligible_pool
from randsup.assign.ranking import Rankings, node_id
from randsup.model import Directory, Visit


def _pools(vs: list[Visit], d: Directory, optional: bool = False):  # noqa: ANN202
    rules = build_rules(d, spec(), {v.entity_id for v in vs})
    for dept, demands in demands_by_department(vs, d).items():
        staff = sorted((p for p in d.inspectors if p.department_id == dept and p.is_expert == optional),
                       key=lambda p: p.inspector_id)
        yield eligible_pool(dept, demands, staff, rules, 2, optional=optional)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.booleans(), st.data())
def test_every_accessor_agrees_with_the_rule_by_rule_table(inst: tuple[list[Visit], Directory], experts: bool,
                                                           data: st.DataObject) -> None:
    vs, d = inst
    for pool in _pools(vs, d, experts):
        n, m = len(pool.demands), len(pool.inspectors)
        fails = pool.fails()
        dense = ~np.logical_or.reduce([fails[r] for r in RULES]) if n else np.zeros((0, m), dtype=bool)
        assert np.array_equal(pool.eligible, dense)
        assert pool.counts().tolist() == dense.sum(axis=1).tolist()
        nodes = [node_id(dm.visit_id, pool.department, experts) for dm in pool.demands]
        shared = Rankings.of_masks("s", nodes, pool.template, pool.combo, pool.struck)
        own = Rankings("s", nodes, dense)
        assert shared.counts.tolist() == own.counts.tolist() == dense.sum(axis=1).tolist()
        rep, cols = shared.candidates(np.arange(n))
        assert list(zip(rep.tolist(), cols.tolist(), strict=True)) == [(i, int(j)) for i in range(n)
                                                                        for j in np.flatnonzero(dense[i])]
        shared.grow_all()
        own.grow_all()
        assert [x.tolist() for x in shared.arcs()] == [x.tolist() for x in own.arcs()]
        for i in range(n):
            assert np.array_equal(pool.row(i), dense[i])
        if n and m:
            rows = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=12)), dtype=np.int64)
            at = np.array(data.draw(st.lists(st.integers(0, m - 1), min_size=rows.size, max_size=rows.size)),
                          dtype=np.int64)
            assert pool.is_eligible(rows, at).tolist() == dense[rows, at].tolist()
        names = sorted({f for p in pool.inspectors for f in p.fields})
        held = np.zeros((m, len(names)), dtype=np.int64)
        for j, p in enumerate(pool.inspectors):
            held[j] = [f in p.fields for f in names]
        everyone = np.arange(n, dtype=np.int64)
        assert pool.field_counts(everyone, names).tolist() == (dense.astype(np.int64) @ held).tolist()
        keep = sorted(data.draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n)) if n else [])
        sub = pool.subset(keep)
        assert np.array_equal(sub.eligible, dense[keep])
        assert sub.counts().tolist() == dense[keep].sum(axis=1).tolist()
