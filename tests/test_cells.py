"""Registry values as exported (inputs/cells.py, docs/normalisation.md): mapped, or refused with a fix."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import randsup
from randsup.cli import app
from randsup.errors import InputError
from randsup.inputs.cells import (
    INDUSTRY_SECTIONS,
    CellError,
    entity_type,
    industry_code,
    risk_class,
    uscc,
)

SOURCES = ["--source", "02 05 12 20 25 31 08", "--source", "3245.67"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("有限责任公司（自然人投资或控股）", "企业"), ("有限责任公司(自然人独资)", "企业"), ("股份有限公司（上市）", "企业"),
    ("有限责任公司分公司", "企业"), ("个人独资企业", "企业"), ("有限合伙企业", "企业"), ("普通合伙", "企业"),
    ("全民所有制", "企业"), ("集体所有制", "企业"), ("非公司企业法人", "企业"),
    ("个体工商户", "个体工商户"), ("个体户", "个体工商户"), ("个体（家庭经营）", "个体工商户"),
    ("农民专业合作社", "农民专业合作社"), ("农专社", "农民专业合作社"), ("农民专业合作社联合社", "农民专业合作社"),
    ("民办非企业单位", "其他"), ("外国（地区）企业常驻代表机构", "其他"), ("其他", "其他"), (" 企业 ", "企业"),
])
def test_registry_entity_types_map_to_the_four_types(raw: str, expected: str) -> None:
    assert entity_type(raw) == expected


@pytest.mark.parametrize("raw", ["基金会", "", "company"])
def test_unknown_entity_types_are_refused_with_the_accepted_forms(raw: str) -> None:
    with pytest.raises(CellError, match="企业, 个体工商户, 农民专业合作社, 其他"):
        entity_type(raw)


@given(st.sampled_from(sorted(INDUSTRY_SECTIONS)), st.integers(0, 99), st.sampled_from([2, 3, 4]),
       st.booleans(), st.booleans())
def test_industry_codes_with_or_without_their_letter_agree(letter: str, sub: int, width: int, lower: bool,
                                                           fullwidth: bool) -> None:
    lo, hi = INDUSTRY_SECTIONS[letter]
    division = lo + sub % (hi - lo + 1)
    digits = (f"{division:02d}" + f"{sub:02d}")[:width]
    code = letter + digits
    assert industry_code(digits) == code
    written = (letter.lower() if lower else letter) + digits
    if fullwidth:  # Ｆ５２２１ from a full-width input method
        written = "".join(chr(ord(c) + 0xFEE0) for c in written)
    assert industry_code(written) == code
    assert industry_code(f"{digits} 某行业名称") == code


def test_industry_code_refusals_say_how_to_fix() -> None:
    with pytest.raises(CellError, match="belongs to section F, not G; write F5221"):
        industry_code("G5221")
    with pytest.raises(CellError, match="division 99 is not in GB/T 4754"):
        industry_code("9901")
    with pytest.raises(CellError, match="not a GB/T 4754 industry code"):
        industry_code("批发")
    assert industry_code("") == "" and industry_code("F") == "F"


@pytest.mark.parametrize(("raw", "expected"), [
    ("A", "A"), ("b", "B"), ("C类", "C"), ("d类", "D"), ("信用风险低（A类）", "A"), ("信用风险一般(B类)", "B"),
    ("信用风险较高（C类）", "C"), ("信用风险高（D类）", "D"), ("信用风险低", "A"), ("一般风险", "B"), ("较高", "C"),
    ("高风险", "D"), ("Ａ", "A"),
])
def test_risk_classes_as_letters_or_words(raw: str, expected: str) -> None:
    assert risk_class(raw) == expected


@pytest.mark.parametrize("raw", ["E", "", "中", "AB"])
def test_unknown_risk_classes_are_refused(raw: str) -> None:
    with pytest.raises(CellError, match="must be A, B, C or D"):
        risk_class(raw)


def test_uscc_is_upper_case_and_folded() -> None:
    assert uscc(" 91310117ma1g000001 ") == "91310117MA1G000001"
    assert uscc("９１３１０１１７ＭＡ１Ｇ０００００１") == "91310117MA1G000001"


# ---------------------------------------------------------------------------------------
# A registry-style entities.csv validates and plans to the same visits.

_TYPE_AS_EXPORTED = {"企业": "有限责任公司（自然人投资或控股）", "个体工商户": "个体工商户",
                     "农民专业合作社": "农民专业合作社", "其他": "其他"}
_RISK_AS_EXPORTED = {"A": "信用风险低（A类）", "B": "B类", "C": "信用风险较高", "D": "d"}


def _registry_style(data: Path) -> None:
    """Rewrite entities.csv as a registry export: Chinese headers, registry values, lower-case codes."""
    rows = list(csv.reader(io.StringIO((data / "entities.csv").read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    col = {h: j for j, h in enumerate(header)}
    zh = {"entity_id": "统一社会信用代码", "name": "企业名称", "entity_type": "企业类型", "industry": "行业代码",
          "area": "所属街镇", "risk_class": "信用风险分类", "tags": "标签", "last_inspected": "上次抽查日期",
          "address": "住所", "contact": "联系人", "phone": "联系电话",
          "object_kind": "检查对象类别", "responsible_entity_id": "责任主体统一社会信用代码"}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([zh[h] for h in header])
    market = {r[col["entity_id"]] for r in body if r[col.get("object_kind", 0)] in ("", "市场主体")
              or "object_kind" not in col}
    for r in body:
        r = list(r)
        if r[col["entity_id"]] not in market:  # objects of other kinds keep their own ids and cells
            w.writerow(r)
            continue
        r[col["entity_id"]] = r[col["entity_id"]].lower()
        r[col["entity_type"]] = _TYPE_AS_EXPORTED[r[col["entity_type"]]]
        r[col["industry"]] = r[col["industry"]][1:]
        r[col["risk_class"]] = _RISK_AS_EXPORTED[r[col["risk_class"]]]
        w.writerow(r)
    (data / "entities.csv").write_text(out.getvalue(), encoding="utf-8-sig")
    for name in ("conflicts.csv", "history.csv"):  # references to entities in lower case too
        rows = list(csv.reader(io.StringIO((data / name).read_text(encoding="utf-8"))))
        j = rows[0].index("entity_id")
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([rows[0], *([*r[:j], r[j].lower(), *r[j + 1:]]
                                                                   for r in rows[1:])])
        (data / name).write_text(out.getvalue(), encoding="utf-8")


def test_registry_style_entities_validate_and_plan_like_the_canonical_file(tmp_path: Path) -> None:
    run = CliRunner().invoke
    salt = ["--salt-file", str(tmp_path / "salt.txt")]
    (tmp_path / "salt.txt").write_text("salt-b\n", encoding="utf-8")
    assert run(app, ["demo-data", str(tmp_path / "D"), "--entities", "3000", "--inspectors", "200",
                     *salt]).exit_code == 0
    canonical = randsup.load_directory(tmp_path / "D")
    r = run(app, ["plan", str(tmp_path / "D"), str(tmp_path / "D" / "plan-2027Q1.toml"), *SOURCES,
                  "--out", str(tmp_path / "P1"), "--ledger", str(tmp_path / "l1.sqlite"), *salt])
    assert r.exit_code == 0, r.output
    _registry_style(tmp_path / "D")
    assert "有限责任公司（自然人投资或控股）" in (tmp_path / "D" / "entities.csv").read_text(encoding="utf-8-sig")
    r = run(app, ["validate", str(tmp_path / "D")])
    assert r.exit_code == 0 and "valid" in r.output, r.output
    mapped = randsup.load_directory(tmp_path / "D")
    assert mapped.entities.entity_id.tolist() == canonical.entities.entity_id.tolist()
    assert mapped.entities.industry.values().tolist() == canonical.entities.industry.values().tolist()
    assert mapped.entities.risk_class.tolist() == canonical.entities.risk_class.tolist()
    r = run(app, ["plan", str(tmp_path / "D"), str(tmp_path / "D" / "plan-2027Q1.toml"), *SOURCES,
                  "--out", str(tmp_path / "P2"), "--ledger", str(tmp_path / "l2.sqlite"), *salt])
    assert r.exit_code == 0, r.output
    p1, p2 = (json.loads((tmp_path / p / "plan.json").read_text(encoding="utf-8")) for p in ("P1", "P2"))
    assert p1["visits"] == p2["visits"] and p1["tasks"] == p2["tasks"]
    assert run(app, ["verify", str(tmp_path / "P2"), "--data", str(tmp_path / "D"), *salt]).exit_code == 0
    # The stdlib verifier reads the registry-style folder the same way (populations before the reveal).
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(Path(__file__).resolve().parents[1] / "examples" /
                                               "verify_with_consistent_sampler.py"),
                           str(tmp_path / "P2"), "--data", str(tmp_path / "D")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "consistent_sampler reproduces" in done.stdout, done.stdout + done.stderr


def test_messages_name_the_column_as_the_header_spells_it(tmp_path: Path) -> None:
    from test_load import good_tables, write_dir

    t = good_tables()
    header = t["entities"][0]
    t["entities"] = (["企业类型" if h == "entity_type" else "信用风险分类" if h == "risk_class" else h
                      for h in header], t["entities"][1])
    t["entities"][1][0][header.index("entity_type")] = "基金会"
    t["entities"][1][1][header.index("risk_class")] = "E"
    with pytest.raises(InputError) as info:
        randsup.load_directory(write_dir(tmp_path / "d", t))
    cols = {(p.row, p.column) for p in info.value.problems}
    assert cols == {(2, "企业类型"), (3, "信用风险分类")}
    assert "企业类型" in str(info.value) and "entity_type" not in str(info.value)


def test_the_stdlib_verifier_mirrors_the_registry_mappings() -> None:
    """examples/verify_with_consistent_sampler.py maps registry values exactly as cells.py does."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "examples" / "verify_with_consistent_sampler.py"
    spec = importlib.util.spec_from_file_location("stdlib_verifier", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for raw in ("有限责任公司（自然人投资或控股）", "个体户", "农专社", "民办非企业单位", "外国（地区）企业常驻代表机构",
                "普通合伙", "集体所有制", " 企业 ", "其他"):
        assert mod.entity_type(raw) == entity_type(raw), raw
    for raw in ("5221", "f5221", "Ｆ５２２１", "F5221 百货零售", "52", "F", "", "[F5221]", "0111", "9700"):
        assert mod.industry(raw) == industry_code(raw), raw
    for raw in ("A", "b", "C类", "信用风险低（A类）", "信用风险一般(B类)", "信用风险较高", "高风险", "Ａ"):
        assert mod.risk_class(raw) == risk_class(raw), raw
    assert mod.uscc(" 91310117ma1g000001 ") == uscc(" 91310117ma1g000001 ")
