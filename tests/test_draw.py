"""第一随机: stratified entity draws, caps, coordination, alternates — and their probabilities."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import consistent_sampler as cs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from randsup import (
    RISK_CLASSES,
    Categorical,
    Directory,
    DrawResult,
    EntityTable,
    HistoryVisit,
    PlanSpec,
    PublicSeed,
    SpecError,
    TaskSpec,
    TicketTable,
    draw_entities,
)
from randsup.draw.sample import allocate, alternates_count, population_mask

AREAS = ("岳阳街道", "泗泾镇", "九亭镇")
TYPES = ("企业", "个体工商户")
TAGS = ("不予现场检查", "经营异常名录")


def make_directory(per_class: tuple[int, ...] = (60, 80, 60, 40), history: tuple[HistoryVisit, ...] = ()) -> Directory:
    """A small directory whose columns cycle deterministically, so every filter crosses every class."""
    n = sum(per_class)
    ids = np.asarray([f"91310117MA1G{i:06d}" for i in range(n)])
    rows = np.arange(n)
    risk = np.repeat(np.arange(4, dtype=np.uint8), per_class)
    tags = np.where(rows % 11 == 0, 1, 0) | np.where(rows % 13 == 0, 2, 0)
    ent = EntityTable(
        entity_id=ids, name=np.asarray([f"企业{i}" for i in range(n)]),
        entity_type=Categorical.from_values([TYPES[i % 2] for i in range(n)]),
        industry=Categorical.from_values(["F5221" if i % 3 else "H6210" for i in range(n)]),
        area=Categorical.from_values([AREAS[(i // 2) % 3] for i in range(n)]),
        risk_class=risk, tags=tags.astype(np.uint64), tag_names=TAGS,
        last_inspected=np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"))
    return Directory(departments=(), supervision_items=(), check_items=(), joint_items=(), entities=ent,
                     inspectors=(), history=history)


def make_spec(*tasks: dict[str, Any], cap: int = 2) -> PlanSpec:
    full = [{"name": t["task_id"], "check_items": ["C1"], **t} for t in tasks]
    return PlanSpec.model_validate({"plan_id": "p", "quarter": "2027Q1", "authority": "松江区",
                                    "max_inspections_per_entity_per_year": cap,
                                    "seed": {"sources": ["双色球"]}, "tasks": full})


def seed(i: int | str) -> PublicSeed:
    return PublicSeed.from_sources([str(i)])


RATIO = {"A": 0.07, "B": 0.13, "C": 0.22, "D": 0.45}
MC_SPEC = make_spec(
    {"task_id": "T1", "ratio": RATIO},                                                   # together, 不定向
    {"task_id": "T2", "count": 37, "population": {"area": ["泗泾镇"]}},                    # together, crossing
    {"task_id": "T3", "ratio": {k: 0.1 for k in "ABCD"}, "coordination": "apart"},      # apart, nested in T1
    {"task_id": "T4", "ratio": {k: 0.15 for k in "ABCD"}, "coordination": "apart",
     "population": {"entity_type": ["企业"]}},                                           # apart, crosses T2
    {"task_id": "T5", "ratio": {"B": 0.3, "D": 0.3}, "coordination": "independent",
     "population": {"area": ["岳阳街道"]}},
)


def class_population(d: Directory, rows_ok: np.ndarray, cls: str) -> list[str]:
    ent = d.entities
    h = RISK_CLASSES.index(cls)
    return [str(ent.entity_id[i]) for i in range(len(ent)) if rows_ok[i] and ent.risk_class[i] == h]


# ---------------------------------------------------------------------------------------
# Agreement with consistent_sampler


def test_together_and_independent_classes_equal_consistent_sampler() -> None:
    d = make_directory()
    spec = make_spec({"task_id": "T1", "ratio": RATIO, "population": {"exclude_tags": ["经营异常名录"]}},
                     {"task_id": "T5", "count": 30, "coordination": "independent",
                      "population": {"entity_type": ["个体工商户"]}})
    result = draw_entities(d, spec, seed("02 05 12 20 25 31 08"))
    ent = d.entities
    filters = [~ent.has_tag("经营异常名录"), ent.entity_type.mask(["个体工商户"])]
    for td, ok in zip(result.tasks, filters, strict=True):
        assert td.start == "0"
        for cls, st_ in td.strata.items():
            pop = class_population(d, ok, cls)
            assert st_.population == len(pop)
            order = list(cs.sampler(pop, seed=td.ticket_seed, with_replacement=False, output="id"))
            chosen = [e for e in td.selected if e in set(pop)]
            assert chosen == order[:st_.sample]
            assert list(td.alternates[cls]) == order[st_.sample:st_.sample + alternates_count(st_.sample, len(pop) - st_.sample)]
    assert result.tasks[0].ticket_seed == result.entity_ticket_seed == seed("02 05 12 20 25 31 08").entity_ticket_seed
    assert result.tasks[1].ticket_seed == seed("02 05 12 20 25 31 08").sub_seed("task/T5")


def test_cutoffs_are_the_largest_drawn_and_smallest_undrawn_distance_from_the_start() -> None:
    """Each class records its cut-offs: (first_fraction - start) mod 1 of the last entity drawn and
    of the first not drawn, recomputed here with consistent_sampler and exact Decimals."""
    d = make_directory()
    result = draw_entities(d, MC_SPEC, seed(2027))
    seen_both = 0
    with localcontext(prec=200):  # tickets have up to 78 digits
        for td in result.tasks:
            spec_task = next(t for t in MC_SPEC.tasks if t.task_id == td.task_id)
            ok = population_mask(d.entities, spec_task.population, task_id=td.task_id)
            selected = set(td.selected)
            for cls, st_ in td.strata.items():
                pop = class_population(d, ok, cls)
                start = Decimal(st_.start)
                # Decimal's % keeps the dividend's sign; the circle distance is in [0, 1).
                dist = {e: (Decimal(cs.first_fraction(e, td.ticket_seed)) - start + 1) % 1 for e in pop}
                drawn = [dist[e] for e in pop if e in selected]
                undrawn = [dist[e] for e in pop if e not in selected]
                assert len(drawn) == st_.sample
                assert st_.cutoff_drawn == (format(max(drawn).normalize(), "f") if drawn else None)
                # A class that draws nobody has no cut-off at all (nor alternates).
                assert st_.cutoff_not_drawn == (format(min(undrawn).normalize(), "f") if drawn and undrawn else None)
                if drawn and undrawn:
                    assert max(drawn) < min(undrawn)
                    seen_both += 1
    assert seen_both >= 8

def test_apart_classes_follow_the_ticket_circle_from_their_start() -> None:
    d = make_directory()
    result = draw_entities(d, MC_SPEC, seed(2027))
    td = result.tasks[2]
    for cls, st_ in td.strata.items():
        pop = class_population(d, np.ones(len(d.entities), dtype=bool), cls)
        s = Decimal(st_.start)
        order = sorted(pop, key=lambda e: ((Decimal(cs.first_fraction(e, td.ticket_seed)) - s + 1) % 1, e))
        assert [e for e in td.selected if e in set(pop)] == order[:st_.sample]
        assert list(td.alternates[cls]) == order[st_.sample:st_.sample + len(td.alternates[cls])]


# ---------------------------------------------------------------------------------------
# Sizes and rounding


@given(pops=st.lists(st.integers(0, 500), min_size=4, max_size=4),
       ratios=st.lists(st.integers(0, 1000), min_size=4, max_size=4),
       count=st.integers(1, 400), use_count=st.booleans())
@settings(max_examples=150, deadline=None)
def test_rounding_is_unbiased_and_preserves_the_sum(pops: list[int], ratios: list[int], count: int,
                                                    use_count: bool) -> None:
    rule: dict[str, Any] = ({"count": count} if use_count else
                            {"ratio": {c: Decimal(r) / 1000 for c, r in zip("ABCD", ratios, strict=True)}})
    task = TaskSpec(task_id="T", name="t", check_items=("C",), **rule)
    xs = [x for _, x, _ in allocate(task, pops, Fraction(0))]
    # Sizes are step functions of u: average them exactly over the pieces between breakpoints.
    fracs = [x - math.floor(x) for x in xs]
    cuts = sorted({Fraction(0), Fraction(1)} | {sum(fracs[:i + 1], Fraction(0)) % 1 for i in range(4)})
    mean = [Fraction(0)] * 4
    for a, b in zip(cuts, cuts[1:], strict=False):
        sizes = [k for k, _, _ in allocate(task, pops, (a + b) / 2)]
        assert all(math.floor(x) <= k <= math.ceil(x) for k, x in zip(sizes, xs, strict=True))
        total = sum(xs)
        assert math.floor(total) <= sum(sizes) <= math.ceil(total)
        if use_count:
            assert sum(sizes) == min(count, sum(pops))
        mean = [m + (b - a) * k for m, k in zip(mean, sizes, strict=True)]
    assert mean == xs
    assert [e for _, _, e in allocate(task, pops, Fraction(0))] == xs  # no bound binds: E = x


def test_min_per_class_and_population_bound() -> None:
    task = TaskSpec(task_id="T", name="t", check_items=("C",), ratio={"A": Decimal("0.01"), "B": Decimal("0.5")},
                    min_per_class=3)
    (a, xa, ea), (b, _, eb), (c, _, ec), _ = allocate(task, [50, 2, 40, 10], Fraction(1, 3))
    assert (a, xa, ea) == (3, Fraction(1, 2), 3)  # raised to min_per_class
    assert (b, eb) == (2, 2)  # never more than the class holds
    assert (c, ec) == (0, 0)  # the ratio does not name C: no floor
    assert alternates_count(0, 10) == 0 and alternates_count(3, 10) == 5 and alternates_count(40, 100) == 8
    assert alternates_count(40, 3) == 3


# ---------------------------------------------------------------------------------------
# Inclusion probabilities by Monte Carlo


def _run(spec: PlanSpec, d: Directory, seeds: range) -> tuple[dict[str, np.ndarray], list[DrawResult]]:
    index = {e: i for i, e in enumerate(d.entities.entity_id.tolist())}
    counts = {t.task_id: np.zeros(len(d.entities), dtype=np.int64) for t in spec.tasks}
    results = []
    for i in seeds:
        r = draw_entities(d, spec, seed(f"{i} 7"))
        for td in r.tasks:
            counts[td.task_id][[index[e] for e in td.selected]] += 1
        results.append(r)
    return counts, results


@pytest.fixture(scope="module")
def monte_carlo() -> tuple[Directory, dict[str, np.ndarray], list[DrawResult]]:
    d = make_directory()
    counts, results = _run(MC_SPEC, d, range(2000))
    return d, counts, results


def test_inclusion_probabilities_match_the_design(monte_carlo: Any) -> None:
    d, counts, results = monte_carlo
    R = len(results)
    ent = d.entities
    first = results[0]
    # Subgroups that a biased rule would treat differently: inside/outside each earlier task's
    # population (泗泾镇 for T2, 企业 for T4) and a neutral split by row parity.
    groups = {"泗泾镇": ent.area.mask(["泗泾镇"]), "企业": ent.entity_type.mask(["企业"]),
              "even": np.arange(len(ent)) % 2 == 0}
    checked = 0
    for td in first.tasks:
        task = next(t for t in MC_SPEC.tasks if t.task_id == td.task_id)
        pop = population_mask(ent, task.population)
        for cls, st_ in td.strata.items():
            rows = pop & (ent.risk_class == RISK_CLASSES.index(cls))
            n = int(rows.sum())
            assert st_.population == n
            pi = Fraction(st_.expected) / n if n else Fraction(0)
            assert abs(Fraction(st_.probability) - pi) < Fraction(1, 10**12)
            x = counts[td.task_id][rows]
            # Class mean: varies only through the rounded size, frac(x)(1 - frac(x)) per seed.
            expected = Fraction(st_.expected)
            frac = expected - math.floor(expected)
            se_mean = math.sqrt(float(frac * (1 - frac)) / R) / max(n, 1)
            mean_freq = x.sum() / (R * max(n, 1))
            assert abs(mean_freq - float(pi)) <= 4 * se_mean + 1e-12, (td.task_id, cls)
            if 0 < pi < 1:
                p = float(pi)
                for name, g in groups.items():
                    for member in (True, False):
                        sub = counts[td.task_id][rows & (g == member)]
                        if sub.size < 5:
                            continue
                        se = math.sqrt(p * (1 - p) / (R * sub.size))  # conservative: ignores the negative correlation
                        assert abs(sub.mean() / R - p) <= 4 * se, (td.task_id, cls, name, member)
                        checked += 1
                z = np.abs(x - R * p) / math.sqrt(R * p * (1 - p))
                assert z.max() < 5.5, (td.task_id, cls)  # no entity far off its probability
    assert checked > 40


def test_sizes_add_up_exactly(monte_carlo: Any) -> None:
    _, _, results = monte_carlo
    for r in results:
        by_id = {t.task_id: t for t in r.tasks}
        assert sum(s.sample for s in by_id["T2"].strata.values()) == 37
        for td in r.tasks:
            assert len(td.selected) == len(set(td.selected)) == sum(s.sample for s in td.strata.values())
            total = sum(Fraction(s.expected) for s in td.strata.values())
            assert math.floor(total) <= len(td.selected) <= math.ceil(total)
            for s in td.strata.values():
                e = Fraction(s.expected)
                assert math.floor(e) <= s.sample <= math.ceil(e)


def test_apart_avoids_earlier_arcs_where_populations_nest(monte_carlo: Any) -> None:
    _, _, results = monte_carlo
    for r in results:
        sel = {t.task_id: set(t.selected) for t in r.tasks}
        assert not sel["T3"] & sel["T1"]  # T3's population is T1's: zero overlap, always
        assert not sel["T4"] & sel["T1"] and not sel["T4"] & sel["T3"]
    # T2 (泗泾镇, 37 drawn) crosses T3's population: its design arc is avoided while a free gap
    # holds T3's sample, so they meet far less often than independent draws would (37 × 0.1).
    crossing = sum(len({*r.tasks[2].selected} & {*r.tasks[1].selected}) for r in results) / len(results)
    assert crossing < 0.5 * 37 * 0.1


def test_apart_stays_exact_where_populations_cross() -> None:
    # Rows 0 (企业, 岳阳街道), 1 (个体工商户, 岳阳街道), 2 (企业, 泗泾镇). T1 draws one of {0, 1}; T2,
    # apart, one of {0, 2}. Starting T2 after T1's realised arc would draw row 0 with chance 1/3
    # and row 2 with 2/3; the design asks 1/2 each.
    d = make_directory((3, 0, 0, 0))
    spec = make_spec({"task_id": "T1", "count": 1, "population": {"area": ["岳阳街道"]}},
                     {"task_id": "T2", "count": 1, "coordination": "apart", "population": {"entity_type": ["企业"]}})
    counts, _ = _run(spec, d, range(2000))
    se = math.sqrt(0.25 / 2000)
    assert abs(counts["T2"][0] / 2000 - 0.5) <= 4 * se
    assert counts["T2"][0] + counts["T2"][2] == 2000 and counts["T2"][1] == 0


# ---------------------------------------------------------------------------------------
# Coordination


def test_together_tasks_nest_and_apart_tasks_do_not_meet() -> None:
    d = make_directory((300, 300, 300, 300))
    ten = {k: 0.1 for k in "ABCD"}
    spec = make_spec({"task_id": "T1", "ratio": ten}, {"task_id": "T2", "ratio": ten},
                     {"task_id": "T3", "ratio": {k: 0.08 for k in "ABCD"}},
                     {"task_id": "T4", "ratio": ten, "coordination": "apart"},
                     {"task_id": "T5", "ratio": ten, "coordination": "apart"},
                     {"task_id": "T6", "ratio": ten, "coordination": "independent"})
    for i in range(5):
        r = draw_entities(d, spec, seed(i))
        t = {td.task_id: td for td in r.tasks}
        s = {k: set(v.selected) for k, v in t.items()}
        for a, b in (("T1", "T2"), ("T1", "T3"), ("T2", "T3")):
            small, large = sorted((s[a], s[b]), key=len)
            assert len(small & large) >= len(small) - 4  # nearly all of the smaller sample
            for cls in RISK_CLASSES:  # exactly: inside a class the smaller is part of the larger
                pop = set(class_population(d, np.ones(len(d.entities), dtype=bool), cls))
                small_c, large_c = sorted((s[a] & pop, s[b] & pop), key=len)
                assert small_c <= large_c
        assert not s["T4"] & (s["T1"] | s["T2"] | s["T3"])
        assert not s["T5"] & (s["T1"] | s["T4"])
        assert len(s["T6"] & s["T1"]) < len(s["T1"]) // 2  # independent: chance overlap only
        assert r.shared_pairs == sum(c for c in _multiplicity(r).values() if c > 1)
        assert t["T4"].start == "by-class" and all(x.start != "0" for x in t["T4"].strata.values())


def _multiplicity(r: DrawResult) -> dict[str, int]:
    m: dict[str, int] = {}
    for td in r.tasks:
        for e in td.selected:
            m[e] = m.get(e, 0) + 1
    return m


# ---------------------------------------------------------------------------------------
# Caps, desk checks, exclusions, errors


def test_annual_cap_excludes_and_counts() -> None:
    def visit(e: int, day: dt.date) -> HistoryVisit:
        return HistoryVisit(entity_id=f"91310117MA1G{e:06d}", inspector_id="I1", department_id="D1", date=day)
    history = (visit(0, dt.date(2027, 1, 5)), visit(0, dt.date(2027, 2, 5)),   # row 0: two visits → at cap
               visit(1, dt.date(2027, 1, 5)), visit(1, dt.date(2027, 1, 5)),   # row 1: same day twice = one
               visit(2, dt.date(2026, 12, 30)), visit(2, dt.date(2027, 3, 1)),  # row 2: one in 2027
               visit(3, dt.date(2027, 1, 9)))
    d = make_directory(history=history)
    spec = make_spec({"task_id": "T1", "ratio": {k: 1 for k in "ABCD"}})
    r = draw_entities(d, spec, seed(1), year_counts={"91310117MA1G000003": 1, "91310117MA1G000004": 2},
                      history=[visit(5, dt.date(2027, 1, 5)), visit(5, dt.date(2027, 1, 6))])
    td = r.tasks[0]
    out = {f"91310117MA1G{e:06d}" for e in (0, 3, 4, 5)}
    assert not out & set(td.selected)
    assert {f"91310117MA1G{e:06d}" for e in (1, 2)} <= set(td.selected)
    assert td.strata["A"].excluded_at_cap == 4 and td.strata["A"].population == 56
    assert td.exclusions == {"annual_cap": 4}
    assert len(td.selected) == len(d.entities) - 4


def test_desk_check_entities_are_drawn_and_listed() -> None:
    d = make_directory()
    r = draw_entities(d, make_spec({"task_id": "T1", "ratio": {k: 0.5 for k in "ABCD"}}), seed(3))
    td = r.tasks[0]
    desk = {str(e) for e in d.entities.entity_id[d.entities.has_tag("不予现场检查")]}
    assert set(td.desk_check) == desk & set(td.selected)
    assert td.desk_check and list(td.desk_check) == [e for e in td.selected if e in desk]


@pytest.mark.parametrize("population, message", [
    ({"area": ["泗泾"]}, "area '泗泾' matches no entity"),
    ({"entity_type": ["企業"]}, "entity_type '企業' matches no entity"),
    ({"industry_prefix": ["Z99"]}, "industry_prefix 'Z99'"),
    ({"tags": ["重点监管"]}, "no entity carries this tag"),
    ({"entity_type": ["企业"], "area": ["九亭镇"], "industry_prefix": ["H"], "tags": ["经营异常名录"],
      "exclude_tags": ["经营异常名录"]}, "leaves no entity"),
])
def test_filter_problems_are_spec_errors(population: dict[str, Any], message: str) -> None:
    spec = make_spec({"task_id": "T9", "ratio": RATIO, "population": population})
    with pytest.raises(SpecError, match=message) as exc:
        draw_entities(make_directory(), spec, seed(1))
    assert "task T9" in str(exc.value)


def test_filters_select_the_right_rows() -> None:
    d = make_directory()
    spec = make_spec({"task_id": "T1", "ratio": {k: 1 for k in "ABCD"},
                      "population": {"entity_type": ["企业"], "industry_prefix": ["F52"], "area": ["泗泾镇", "九亭镇"],
                                     "exclude_tags": ["不予现场检查"]}})
    got = set(draw_entities(d, spec, seed(1)).tasks[0].selected)
    want = {f"91310117MA1G{i:06d}" for i in range(len(d.entities))
            if i % 2 == 0 and i % 3 and AREAS[(i // 2) % 3] != "岳阳街道" and i % 11}
    assert got == want


# ---------------------------------------------------------------------------------------
# Reproducibility


def _draw_json(sources: list[str]) -> str:
    r = draw_entities(make_directory(), MC_SPEC, PublicSeed.from_sources(sources, salt="盐"), workers=1)
    return json.dumps(r.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)


def test_same_inputs_same_draw_in_one_process_and_in_two() -> None:
    here = _draw_json(["02 05 12 20 25 31 08", "3245.67"])
    assert here == _draw_json(["02 05 12 20 25 31 08", "3245.67"])
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_draw; "
            "sys.stdout.write(test_draw._draw_json(['02 05 12 20 25 31 08', '3245.67']))")
    other = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True,
                           check=True, env={"PYTHONHASHSEED": "12345", "PATH": ""}).stdout.decode("utf-8")
    assert other == here


def test_one_changed_source_value_changes_the_draw() -> None:
    a = json.loads(_draw_json(["02 05 12 20 25 31 08", "3245.67"]))
    b = json.loads(_draw_json(["02 05 12 20 25 31 09", "3245.67"]))
    assert a["seed_hex"] != b["seed_hex"]
    assert a["tasks"][0]["selected"] != b["tasks"][0]["selected"]


def test_precomputed_tickets_give_the_same_draw() -> None:
    d = make_directory()
    s = seed(11)
    table = TicketTable.compute(s.entity_ticket_seed, d.entities.entity_id)
    assert draw_entities(d, MC_SPEC, s, tickets=table) == draw_entities(d, MC_SPEC, s)
    with pytest.raises(ValueError, match="another seed"):
        draw_entities(d, MC_SPEC, seed(12), tickets=table)
