"""检查对象类别 (object kinds): cell normalisation, the check list's 检查对象 text → kind, id rules.

The directory (检查对象名录库) holds market entities (市场主体, id = 统一社会信用代码) and other
objects departments draw among: construction sites, buildings, road sections, products,
special equipment. Design notes, the mapping table and each kind's id rule: docs/object-kinds.md.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from ..model import ENTITY_KIND, OBJECT_KINDS
from .uscc import org_check_character, uscc_problem

__all__ = [
    "ENTITY_KIND",
    "ID_RULES",
    "OBJECT_KINDS",
    "gtin_problem",
    "kind_of_object_text",
    "normalise_kind",
    "object_id_problem",
]


# Cell spellings accepted in entities.csv's object_kind column (after NFKC, trim, lower case).
# An empty cell is 市场主体, so a directory written before object kinds loads unchanged.
_KIND_ALIASES: dict[str, str] = {
    "": ENTITY_KIND, "市场主体": ENTITY_KIND, "主体": ENTITY_KIND, "企业": ENTITY_KIND,
    "market_entity": ENTITY_KIND, "entity": ENTITY_KIND,
    "工地": "工地", "施工工地": "工地", "建设工程": "工地", "在建工程": "工地", "工程项目": "工地",
    "建设项目": "工地", "site": "工地", "construction_site": "工地",
    "建筑物": "建筑物", "建筑": "建筑物", "房屋": "建筑物", "building": "建筑物",
    "路段": "路段", "道路": "路段", "公路": "路段", "road": "路段", "road_section": "路段",
    "产品": "产品", "商品": "产品", "批次": "产品", "产品批次": "产品", "product": "产品",
    "设备": "设备", "特种设备": "设备", "equipment": "设备",
    "其他": "其他", "其它": "其他", "other": "其他",
}


def _key(s: str) -> str:
    return unicodedata.normalize("NFKC", s).strip().lower().replace(" ", "_")


def normalise_kind(cell: str) -> str:
    """The object kind a cell names ("" → 市场主体); ValueError saying what is accepted otherwise."""
    kind = _KIND_ALIASES.get(_key(cell))
    if kind is None:
        raise ValueError(f"检查对象类别 must be one of {', '.join(OBJECT_KINDS)} (empty means {ENTITY_KIND})")
    return kind


# ---------------------------------------------------------------------------------------
# The check list's 检查对象 text → kind. The head noun of a Chinese noun phrase comes last, so
# the text's ending decides: "电梯使用管理单位" is an entity, "在用电梯" a piece of equipment,
# "市场上或企业成品仓库内的待销产品" a product. First matching row wins; no match → 市场主体.

KIND_SUFFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("工地", ("工地", "施工现场", "在建工程", "建设工程", "建设项目", "工程项目", "工程")),
    ("建筑物", ("建筑物", "构筑物", "房屋", "楼宇", "大楼", "建筑")),
    ("路段", ("路段", "道路", "公路", "桥梁", "隧道")),
    ("产品", ("产品", "商品", "批次", "样品", "成品")),
    ("设备", ("特种设备", "设备", "电梯", "锅炉", "压力容器", "压力管道", "起重机械", "气瓶", "游乐设施")),
    ("其他", ("其他", "其它")),
)
_BRACKETS = re.compile(r"[(（][^()（）]*[)）]")


def kind_of_object_text(text: str) -> str:
    """The kind of object a 检查对象 text (check_items.csv / joint_items.csv) names.

    Brackets and a trailing 等 are dropped, then the ending decides (see ``KIND_SUFFIXES``);
    an empty or unmatched text is 市场主体, as every object was before object kinds.
    """
    t = _BRACKETS.sub("", unicodedata.normalize("NFKC", text)).strip().rstrip("等 ")
    if t in _KIND_ALIASES:  # the text is a kind's name
        return _KIND_ALIASES[t]
    for kind, suffixes in KIND_SUFFIXES:
        if t.endswith(suffixes):
            return kind
    return ENTITY_KIND


# ---------------------------------------------------------------------------------------
# Id rules. Every kind: not empty, at most 64 characters, no control characters or spaces,
# unique across the whole directory (the id is the ticket id). Where the id has the shape of
# a published scheme, the scheme's structure and check character are checked too.

_MAX_LEN = 64
_GENERIC = ("not empty, at most 64 characters, no spaces or control characters, unique across the "
            "directory, and not a 统一社会信用代码 (that belongs in responsible_entity_id)")
ID_RULES: dict[str, str] = {
    ENTITY_KIND: "a valid 18-character 统一社会信用代码 (GB 32100-2015 check character)",
    "工地": _GENERIC + "; a 施工许可证编号 (18 digits) must carry a real issue date in digits 7–14, a "
            "投资项目统一代码 (YYYY-DDDDDD-DD-DD-DDDDDD) a plausible year; neither has a check character",
    "建筑物": _GENERIC + "; a 28-character 不动产单元号 (GB/T 37346-2019) must follow its structure: "
              "12 digits, 宗地特征码 [GJZ][A-HSWXY], 5 digits, 定着物特征码 [FLQW], 8 digits (no check character)",
    "路段": _GENERIC + "; no national road-section code has a check character (公路路线编号 such as "
            "G60 or S32 plus 桩号 are accepted as written)",
    "产品": _GENERIC + "; a 商品条码 (GTIN-8/12/13/14, alone or before '/批号') must have its GS1 check digit",
    "设备": _GENERIC + "; a 20-digit 特种设备注册代码 must carry a real year and month in digits 11–16, a "
            "21-character 设备代码 its 组织机构代码 check character (characters 5–13, GB 11714); "
            "使用登记证编号 has no check character",
    "其他": _GENERIC,
}

_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029\u3000]")
_GTIN = re.compile(r"(\d{8}|\d{12,14})(?:/.*)?")
_PERMIT = re.compile(r"\d{18}")
_PROJECT = re.compile(r"(\d{4})-(\d{6})-(\d{2})-(\d{2})-(\d{6})")
_ESTATE = re.compile(r"\d{12}[GJZ][A-HSWXY]\d{5}[FLQW]\d{8}")
_REGISTRATION = re.compile(r"\d{20}")
_EQUIPMENT_CODE = re.compile(r"[0-9A-Z]{4}([0-9A-Z]{9})\d{8}")


def gtin_problem(digits: str) -> str | None:
    """Why a GTIN-8/12/13/14 (商品条码, GB 12904) fails its mod-10 check digit, or None."""
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    expected = (10 - total % 10) % 10
    if check != expected:
        return f"商品条码 check digit is {check}, expected {expected} (GS1 mod 10)"
    return None


def _real_date(y: int, m: int, d: int) -> bool:
    try:
        dt.date(y, m, d)
    except ValueError:
        return False
    return 1949 <= y <= 2100


def object_id_problem(kind: str, code: str) -> str | None:
    """Why ``code`` is not a valid id of an object of ``kind``, or None when it is valid."""
    if kind == ENTITY_KIND:
        return uscc_problem(code) if code else "empty"
    if not code:
        return "empty"
    if len(code) > _MAX_LEN:
        return f"{len(code)} characters, more than {_MAX_LEN}"
    if _CONTROL.search(code):
        return "holds a space or control character"
    # A valid 统一社会信用代码 in an object's id is a misplaced enterprise code, except for an
    # 18-digit 施工许可证编号, which fits a USCC's check characters by chance (about 1 in 340).
    if len(code) == 18 and uscc_problem(code) is None and not (kind == "工地" and code.isdigit()):
        return ("is a 统一社会信用代码: a 市场主体's code cannot identify a " + kind +
                "; give the object its own code and put the enterprise's code in responsible_entity_id")
    if kind == "工地":
        if _PERMIT.fullmatch(code) and not _real_date(int(code[6:10]), int(code[10:12]), int(code[12:14])):
            return f"digits 7–14 of a 施工许可证编号 are its issue date; {code[6:14]} is not a date"
        m = _PROJECT.fullmatch(code)
        if m and not 1990 <= int(m.group(1)) <= 2100:
            return f"a 投资项目统一代码 starts with its year; {m.group(1)} is not plausible"
    elif kind == "建筑物":
        if len(code) == 28 and code[:12].isdigit() and not _ESTATE.fullmatch(code):
            return ("a 28-character 不动产单元号 is 12 digits, 宗地特征码 [GJZ][A-HSWXY], 5 digits, "
                    "定着物特征码 [FLQW] and 8 digits")
    elif kind == "产品":
        m = _GTIN.fullmatch(code)
        if m:
            return gtin_problem(m.group(1))
    elif kind == "设备":
        if _REGISTRATION.fullmatch(code) and not _real_date(int(code[10:14]), int(code[14:16]), 1):
            return f"digits 11–16 of a 特种设备注册代码 are the year and month; {code[10:16]} is not"
        m = _EQUIPMENT_CODE.fullmatch(code)
        if m and org_check_character(m.group(1)[:8]) != m.group(1)[8]:
            return (f"characters 5–13 of a 设备代码 are a 组织机构代码 whose check character should be "
                    f"{org_check_character(m.group(1)[:8])!r}, not {m.group(1)[8]!r}")
    return None
