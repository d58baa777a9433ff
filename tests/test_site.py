"""The public verification site (issue 15), checked in a real browser (headless Chromium).

One small salted demo plan is made per module; the site is built before `randsup reveal` and
after it (with the results, published after the reveal).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import random
import re
import shutil
import string
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import consistent_sampler as cs
import pytest
from browser import dump_dom, needs_chromium, screenshot
from hypothesis import given
from hypothesis import strategies as st

from randsup.draw.seed import PublicSeed, SeedError, commit_salt, key_string
from randsup.draw.tickets import ticket_distance
from randsup.inputs.uscc import ALPHABET, check_character, uscc_problem
from randsup.publish.site import source_values

SALT = "site-test-salt-7f3a"
SOURCES = ("02 05 12 20 25 31 08", "3245.67")


def _randsup(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "randsup", *map(str, args)], capture_output=True, text=True,
                          check=False)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A salted demo plan, its results published with the salt, and the site before and after."""
    root = tmp_path_factory.mktemp("site")
    data = root / "data"
    _randsup("demo-data", data, "--entities", "3000", "--inspectors", "300")
    spec_text = (data / "plan-2027Q1.toml").read_text(encoding="utf-8")
    spec_text = re.sub(r"(?m)^(sources = .*)$", rf'\1\nsalt_commitment = "{commit_salt(SALT)}"', spec_text, count=1)
    (data / "plan-salted.toml").write_text(spec_text, encoding="utf-8")
    ledger = root / "ledger.sqlite"
    plan_dir = root / "plan"
    (root / "salt.txt").write_text(SALT + "\n", encoding="utf-8")
    _randsup("plan", data, data / "plan-salted.toml", "--source", SOURCES[0], "--source", SOURCES[1],
             "--salt-file", root / "salt.txt", "--out", plan_dir, "--ledger", ledger)
    plan = json.loads((plan_dir / "plan.json").read_text(encoding="utf-8"))
    with (root / "results.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["visit_id", "department_id", "result", "inspected_on"])
        for v in plan["visits"][:10]:
            for d in v["departments"]:
                w.writerow([v["visit_id"], d, "未发现问题", v["date"]])
    before, after = root / "site-before", root / "site-after"
    _randsup("site", plan_dir, "--out", before)
    _randsup("results", "record", root / "results.csv", "--plan", plan_dir, "--ledger", ledger)
    # The salt is published by `randsup reveal` once the last visit is past; results show it after that.
    last = max(v["date"] for v in plan["visits"])
    after_last = (dt.date.fromisoformat(last) + dt.timedelta(days=1)).isoformat()
    _randsup("reveal", plan_dir, "--salt-file", root / "salt.txt", "--data", data, "--as-of", after_last,
             "--ledger", ledger)
    results = root / "results"
    _randsup("results", "publish", "--plan", plan_dir, "--out", results, "--ledger", ledger)
    _randsup("site", plan_dir, "--results", results, "--out", after)
    with (data / "entities.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    # Market entities (统一社会信用代码); the demo directory also holds sites, roads, … (object kinds).
    entity_ids = [row["entity_id"] for row in rows if row.get("object_kind", "市场主体") == "市场主体"]
    objects = {row["entity_id"]: row["object_kind"] for row in rows if row.get("object_kind", "市场主体") != "市场主体"}
    return {"root": root, "data": data, "plan_dir": plan_dir, "plan": plan, "results": results,
            "before": before, "after": after, "entity_ids": entity_ids, "objects": objects, "ledger": ledger}


def _url(site: Path, page: str, **params: str) -> str:
    query = urllib.parse.urlencode(params)
    return (site / page).as_uri() + (f"?{query}" if query else "")


def _attrs(dom: str, tag: str, marker: str) -> list[dict[str, str]]:
    """Attributes of every ``tag`` element carrying the attribute ``marker``."""
    out = []
    for m in re.finditer(rf"<{tag}\b([^>]*\b{marker}=[^>]*)>", dom):
        out.append({k: _unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', m.group(1))})
    return out


def _unescape(text: str) -> str:
    return html.unescape(text)


def _ticket_seeds(plan: dict[str, Any]) -> list[str]:
    return sorted({t["task_seed"] for t in plan["tasks"]})


# ---------------------------------------------------------------------------------------
# Without a browser: what the site holds


def test_before_the_reveal_no_file_holds_the_salt_the_seed_a_ticket_seed_or_a_drawn_id(demo: dict[str, Any]) -> None:
    plan = demo["plan"]
    secrets = [SALT, plan["seed"]["seed_hex"], *_ticket_seeds(plan)]
    drawn = sorted({v["entity_id"] for v in plan["visits"]})
    files = [p for p in demo["before"].rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"index.html", "check.html", "randsup-core.js", "site.js", "site.css"}
    for p in files:
        text = p.read_text(encoding="utf-8")
        for s in secrets:
            assert s not in text, f"{p.name} holds a secret before the reveal"
        assert not [e for e in drawn if e in text], f"{p.name} names a drawn entity before the reveal"
    check = (demo["before"] / "check.html").read_text(encoding="utf-8")
    last = max(v["date"] for v in plan["visits"])
    y, m, d = (int(x) for x in last.split("-"))
    assert f"{y}年{m}月{d}日" in check and "尚未开放" in check
    assert "<form" not in check and "<script" not in check  # no ticket computation at all


def test_after_the_reveal_the_site_holds_the_salt_seed_and_drawn_lists(demo: dict[str, Any]) -> None:
    plan = demo["plan"]
    check = (demo["after"] / "check.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="site-data">(.*?)</script>', check, re.S).group(1))
    assert data["salt"] == SALT and data["seed"] == plan["seed"]["seed_hex"]
    drawn = {t["task_id"]: {e for e, s in t["status"].items() if s == "drawn"} for t in data["tasks"]}
    for v in plan["visits"]:
        for t in v["tasks"]:
            assert v["entity_id"] in drawn[t]
    for t, pt in zip(data["tasks"], plan["tasks"], strict=True):
        for k, c in t["classes"].items():
            assert c["cutoff_drawn"] == pt["strata"][k]["cutoff_drawn"]


def test_plan_page_shows_the_ledger_anchor_and_every_task(demo: dict[str, Any]) -> None:
    plan = demo["plan"]
    head = plan["ledger"]["head_before"]
    for site in (demo["before"], demo["after"]):
        page = (site / "index.html").read_text(encoding="utf-8")
        assert f"第 {head['seq']} 条 {head['hash']}" in page
        assert plan["seed"]["salt_commitment"] in page and plan["seed"]["key_string"] in page
        for t in plan["tasks"]:
            total = sum(s["sample"] for s in t["strata"].values())
            pop = sum(s["population"] for s in t["strata"].values())
            assert f"{t['task_id']} {t['name']}</th>" in page and f"<td>{total} / {pop}</td>" in page


def test_no_file_references_anything_outside_the_site(demo: dict[str, Any]) -> None:
    for site in (demo["before"], demo["after"]):
        files = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
        for name in files:
            text = (site / name).read_text(encoding="utf-8")
            assert not re.search(r"(?i)\b(?:https?|ftp|wss?):|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", text), name
            for ref in re.findall(r'\b(?:src|href)="([^"]*)"', text):
                target = ref.split("#")[0].split("?")[0]
                assert not target or target in files, f"{name} links to {ref}, which is not in the site"


def test_results_page_groups_results_by_entity_and_links_back(demo: dict[str, Any]) -> None:
    page = (demo["after"] / "results.html").read_text(encoding="utf-8")
    results = json.loads((demo["results"] / "results.json").read_text(encoding="utf-8"))["results"]
    entities = {r["entity_id"]: r["entity_name"] for r in results}
    assert page.count('<section class="entity"') == len(entities)
    for eid, name in entities.items():
        assert page.count(f"<code>{eid}</code>") == 1 and name in page
    assert 'href="index.html"' in page and "松江区市场监督管理局" in page  # department names, not ids


def test_results_of_several_folders_are_merged_by_entity(demo: dict[str, Any], tmp_path: Path) -> None:
    """Two publications (e.g. two departments) on one page: every entity once, with all its results."""
    record = json.loads((demo["results"] / "results.json").read_text(encoding="utf-8"))
    first, second = record["results"][:1], record["results"][1:]
    folders = []
    for i, part in enumerate((first, second, first)):  # the first one given twice: its result shown once
        folder = tmp_path / f"r{i}"
        folder.mkdir()
        (folder / "results.json").write_text(json.dumps({**record, "results": part}), encoding="utf-8")
        folders += ["--results", folder]
    _randsup("site", demo["plan_dir"], *folders, "--out", tmp_path / "site")
    page = (tmp_path / "site" / "results.html").read_text(encoding="utf-8")
    entities = {r["entity_id"] for r in record["results"]}
    assert page.count('<section class="entity"') == len(entities)
    assert f"已公布 {len(record['results'])} 项检查结果，涉及 {len(entities)} 个检查对象" in page


def test_results_of_another_plan_and_an_edited_notice_are_refused(demo: dict[str, Any], tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    record = json.loads((demo["results"] / "results.json").read_text(encoding="utf-8"))
    (other / "results.json").write_text(json.dumps({**record, "plan_id": "another-plan"}), encoding="utf-8")
    proc = _randsup("site", demo["plan_dir"], "--results", other, "--out", tmp_path / "s1", check=False)
    assert proc.returncode == 2 and "another plan" in proc.stderr and not (tmp_path / "s1").exists()
    tampered = tmp_path / "plan"
    shutil.copytree(demo["plan_dir"], tampered)
    notice = tampered / "public" / "plan-notice.html"
    notice.write_text(notice.read_text(encoding="utf-8").replace("<p>", "<p onclick=x>", 1), encoding="utf-8")
    proc = _randsup("site", tampered, "--out", tmp_path / "s3", check=False)
    assert proc.returncode == 2 and "markup" in proc.stderr and not (tmp_path / "s3").exists()


@given(st.lists(st.lists(st.one_of(st.integers(0, 10**6).map(str),
                                   st.tuples(st.integers(0, 5000), st.integers(1, 999)).map(lambda t: f"{t[0]}.{t[1]}")),
                         min_size=1, max_size=6), min_size=1, max_size=3))
def test_source_values_give_back_the_key_string(sources: list[list[str]]) -> None:
    key = key_string([" ".join(s) for s in sources])
    assert key_string(source_values(key)) == key


def test_source_values_read_decimals_and_integers() -> None:
    assert source_values("2.5.8.12.20.25.31./3245.67./") == ["2 5 8 12 20 25 31", "3245.67"]
    assert source_values("0.1./") == ["0 1"]  # either reading gives this key string
    assert source_values("12.5.30./") == ["12.5 30"]  # 12 then 5 would descend


# ---------------------------------------------------------------------------------------
# In the browser


def _ids_for_tickets(entity_ids: list[str]) -> list[str]:
    """≥ 200 ids: real codes, some typed in lower case, ids with letters, and all-zero extremes."""
    rng = random.Random(15)
    real = entity_ids[:100]
    lower = [e.lower() for e in entity_ids[100:160]]
    letters = ["".join(rng.choice(ALPHABET[10:] + string.digits) for _ in range(18)) for _ in range(40)]
    extremes = ["0" * 18, "0" * 17 + "1", "0" * 17 + "A", "0" * 16 + "0Y", "Y" * 18, "9" * 18,
                "A" * 18, "00000000MA00000000"]
    return real + lower + letters + extremes


@needs_chromium
def test_page_tickets_equal_consistent_sampler_for_ids_on_the_url(demo: dict[str, Any]) -> None:
    ids = _ids_for_tickets(demo["entity_ids"])
    assert len(ids) >= 200
    dom = dump_dom(_url(demo["after"], "check.html", ids=",".join(ids)))
    assert 'data-ready="1"' in dom and "data-error" not in dom
    rows = _attrs(dom, "tr", "data-ticket")
    seeds = _ticket_seeds(demo["plan"])
    assert len(rows) == len(ids) * len(seeds)
    got = {(r["data-input"], r["data-seed"]): r["data-ticket"] for r in rows}
    for raw in ids:
        for seed in seeds:
            assert got[(raw, seed)] == cs.first_fraction(raw.upper(), seed), raw


@needs_chromium
def test_form_checks_one_lower_case_code_drawn_status_and_cutoffs(demo: dict[str, Any]) -> None:
    plan = demo["plan"]
    visit = max((v for v in plan["visits"] if v["entity_id"] not in demo["objects"]),
                key=lambda v: len(v["tasks"]))  # an entity drawn by several tasks
    eid = visit["entity_id"]
    dom = dump_dom(_url(demo["after"], "check.html", id=eid.lower()))
    assert 'data-ready="1"' in dom
    rows = {r["data-task"]: r for r in _attrs(dom, "tr", "data-task")}
    assert set(rows) == {t["task_id"] for t in plan["tasks"] if t["object_kind"] == "市场主体"}
    tasks = {t["task_id"]: t for t in plan["tasks"]}
    for task_id, r in rows.items():
        assert r["data-drawn"] == ("1" if task_id in visit["tasks"] else "0")
        assert r["data-ticket"] == cs.first_fraction(eid, tasks[task_id]["task_seed"])
    # The distances shown are (ticket - start) mod 1, and a drawn entity is within its class's cut-off.
    cells = _attrs(dom, "td", "data-distance")
    assert cells
    for task_id in visit["tasks"]:
        t = tasks[task_id]
        ticket = cs.first_fraction(eid, t["task_seed"])
        dists = [ticket_distance(ticket, s["start"]) for s in t["strata"].values()]
        assert any(s["cutoff_drawn"] is not None and
                   (d == s["cutoff_drawn"] or float(d) < float(s["cutoff_drawn"]))
                   for d, s in zip(dists, t["strata"].values(), strict=True))
        for d in dists:
            assert f'data-distance="{d}"' in dom


@needs_chromium
def test_the_reveal_drawn_list_shows_alternates_used_and_entities_replaced(demo: dict[str, Any],
                                                                          tmp_path: Path) -> None:
    """"Drawn" comes from the reveal's drawn list: an alternate used (递补) and the entity it replaced
    show as such. The demo has none, so one drawn entity of a class is marked replaced by its first
    alternate in a copy of the real public/reveal.json; a wrong salt in it is refused."""
    plan_dir = tmp_path / "plan"
    shutil.copytree(demo["plan_dir"], plan_dir)
    path = plan_dir / "public" / "reveal.json"
    reveal = json.loads(path.read_text(encoding="utf-8"))
    task, cls = next((t, c) for t in reveal["tasks"] for c in t["classes"].values() if c["drawn"] and c["alternates"])
    replaced, alternate = cls["drawn"][0], cls["alternates"][0]
    cls["replaced"], cls["alternates_used"] = [replaced], [alternate]
    path.write_text(json.dumps(reveal), encoding="utf-8")
    site = tmp_path / "site"
    _randsup("site", plan_dir, "--out", site)
    for eid, status in ((alternate, "alternate"), (replaced, "replaced")):
        dom = dump_dom(_url(site, "check.html", id=eid))
        row = next(r for r in _attrs(dom, "tr", "data-task") if r["data-task"] == task["task_id"])
        assert row["data-status"] == status and row["data-drawn"] == "1"
        assert ("递补抽中" if status == "alternate" else "后由递补对象替换") in dom
    path.write_text(json.dumps({**reveal, "salt": "guess"}), encoding="utf-8")
    proc = _randsup("site", plan_dir, "--out", tmp_path / "s2", check=False)
    assert proc.returncode == 2 and "commitment" in proc.stderr and not (tmp_path / "s2").exists()


@needs_chromium
def test_an_object_id_is_checked_against_the_tasks_of_its_kind_only(demo: dict[str, Any]) -> None:
    """A construction site's id (施工许可证编号, no GB 32100 check) shows only the 工地 tasks."""
    plan = demo["plan"]
    site_id = next(e for e, k in sorted(demo["objects"].items()) if k == "工地")
    dom = dump_dom(_url(demo["after"], "check.html", id=site_id, kind="工地"))
    assert 'data-ready="1"' in dom and re.search(r'id="id-error"[^>]*></p>', dom)
    rows = {r["data-task"] for r in _attrs(dom, "tr", "data-task")}
    assert rows == {t["task_id"] for t in plan["tasks"] if t["object_kind"] == "工地"} != set()


@needs_chromium
def test_gb32100_check_character_is_validated_in_the_page(demo: dict[str, Any]) -> None:
    good = demo["entity_ids"][0]
    wrong = good[:17] + next(c for c in ALPHABET if c != check_character(good[:17]))
    dom = dump_dom(_url(demo["after"], "check.html", id=wrong))
    error = re.search(r'id="id-error"[^>]*>([^<]*)<', dom).group(1)
    assert "校验码" in error and check_character(good[:17]) in error
    assert 'aria-invalid="true"' in dom and 'id="draw-table"' not in dom
    dom = dump_dom(_url(demo["after"], "check.html", id=good.lower()))
    assert re.search(r'id="id-error"[^>]*></p>', dom) and 'id="draw-table"' in dom


@needs_chromium
@pytest.mark.parametrize("which", ["before", "after"])
def test_seed_check_passes_and_fails_when_a_source_value_changes(demo: dict[str, Any], which: str) -> None:
    site = demo[which]
    ok = dump_dom(_url(site, "index.html", check="1"))
    assert re.search(r'id="seed-result"[^>]*data-match="true"', ok), ok[-3000:]
    assert ok.count('class="ok"') == (3 if which == "after" else 1)  # key string (+ commitment + seed)
    original = dump_dom(_url(site, "index.html", source1=SOURCES[0], source2=SOURCES[1]))
    assert re.search(r'data-match="true"', original)
    bad = dump_dom(_url(site, "index.html", source1=SOURCES[0], source2="3245.68"))
    assert re.search(r'id="seed-result"[^>]*data-match="false"', bad)
    assert "不一致" in bad


@needs_chromium
def test_core_functions_agree_with_python(demo: dict[str, Any], tmp_path: Path) -> None:
    """randsup-core.js against the Python it mirrors: tickets through WebCrypto and the built-in
    SHA-256, the 64-digit padding of small digests, key strings, GB 32100, distances, sub-seeds."""
    site = tmp_path / "site"
    shutil.copytree(demo["after"], site)
    rng = random.Random(3797)
    seed = "9c25b8c12580ef49ed4264eab2c89b184682b50d4074c0538d064b787168a10c"
    ids = demo["entity_ids"][:30] + ["", "统一社会信用代码", "a b", "0" * 18]
    digests = ["0" * 64, "0" * 63 + "1", "0" * 40 + "f" * 24, "f" * 64,
               *("".join(rng.choice("0123456789abcdef") for _ in range(64)) for _ in range(20))]
    sources = [list(SOURCES), ["007 7.50 ０３"], ["1,2;3、4+5|6"], ["3245.670"], ["-1"], ["第2027003期"], [""]]
    codes = demo["entity_ids"][:40] + [c[:17] + ("0" if c[17] != "0" else "1") for c in demo["entity_ids"][:40]]
    codes += ["91310117MA1J3Y1X2", "I1310117MA1J3Y1X2K", "9131O117MA1J3Y1X2K"]
    pairs = [(cs.first_fraction(e, seed), s) for e in demo["entity_ids"][:10] for s in ("0", "0.25", "0.9999999999")]
    inputs = {"ids": ids, "seed": seed, "digests": digests, "sources": sources, "codes": codes, "pairs": pairs}
    harness = """<!DOCTYPE html><html><body><pre id="out"></pre>
<script type="application/json" id="in">__INPUT__</script>
<script src="assets/randsup-core.js"></script>
<script>
(async () => {
  const R = window.Randsup, input = JSON.parse(document.getElementById("in").textContent), out = {};
  out.webcrypto = []; for (const id of input.ids) out.webcrypto.push(await R.firstFraction(id, input.seed));
  R.plainSha256 = true;
  out.plain = []; for (const id of input.ids) out.plain.push(await R.firstFraction(id, input.seed));
  out.sub = await R.subSeed(input.seed, "task/T15");
  R.plainSha256 = false;
  out.digests = input.digests.map(R.ticketOfDigest);
  out.keys = input.sources.map((s) => { try { return R.keyString(s); } catch (e) { return "ERR"; } });
  out.codes = input.codes.map((c) => R.usccProblem(c) === null);
  out.pairs = input.pairs.map(([t, s]) => R.distance(t, s));
  out.seedhex = await R.seedHex("2.5.8./", "盐");
  document.getElementById("out").textContent = JSON.stringify(out);
  document.body.dataset.ready = "1";
})();
</script></body></html>""".replace("__INPUT__", json.dumps(inputs).replace("<", "\\u003c"))
    (site / "harness.html").write_text(harness, encoding="utf-8")
    dom = dump_dom((site / "harness.html").as_uri())
    out = json.loads(_unescape(re.search(r'<pre id="out">(.*?)</pre>', dom, re.S).group(1)))
    expected = [cs.first_fraction(i, seed) for i in ids]
    assert out["webcrypto"] == expected and out["plain"] == expected
    assert out["sub"] == PublicSeed("k", seed).sub_seed("task/T15")
    assert out["digests"] == ["0." + f"{int(h, 16):064d}"[::-1] for h in digests]
    assert out["digests"][0] == "0." + "0" * 64 and len(out["digests"][3]) == 2 + 78

    def py_key(s: list[str]) -> str:
        try:
            return key_string(s)
        except SeedError:
            return "ERR"

    assert out["keys"] == [py_key(s) for s in sources]
    assert out["keys"][1] == "3.7.7.5./"  # 007 → 7, 7.50 → 7.5, full-width ０３ → 3, sorted
    assert out["codes"] == [uscc_problem(c) is None for c in codes]
    assert sum(out["codes"]) == 40
    assert out["pairs"] == [ticket_distance(t, s) for t, s in pairs]
    assert out["seedhex"] == PublicSeed.from_key_string("2.5.8./", "盐").seed_hex


@needs_chromium
def test_screenshots_of_every_page_are_not_blank(demo: dict[str, Any], tmp_path: Path) -> None:
    eid = demo["plan"]["visits"][0]["entity_id"]
    desktop, phone = 1000, 390
    pages = [(demo["before"], "index.html", {}, (desktop,)), (demo["before"], "check.html", {}, (desktop,)),
             (demo["after"], "index.html", {"check": "1"}, (desktop, phone)),
             (demo["after"], "check.html", {"id": eid}, (desktop, phone)),
             (demo["after"], "results.html", {}, (desktop,))]
    (tmp_path / "blank.html").write_text("<html><body></body></html>", encoding="utf-8")
    blank_size = screenshot((tmp_path / "blank.html").as_uri(), tmp_path / "blank.png").stat().st_size
    for i, (site, page, params, widths) in enumerate(pages):
        for width in widths:
            png = screenshot(_url(site, page, **params), tmp_path / f"{i}-{page}-{width}.png", width=width)
            assert png.stat().st_size > max(20_000, 10 * blank_size), f"{page} at {width}px looks blank"
