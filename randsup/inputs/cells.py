"""One written normalisation of registry cell values (decisions-0.2, "One written normalisation").

The 国家企业信用信息公示系统 and the provincial platforms export the same facts in other
spellings than randsup's canonical ones: 企业类型 as the full legal form, GB/T 4754 codes
without the section letter, credit-risk classes as words, lower-case 统一社会信用代码. Each
function here maps one such cell to the canonical value or raises :class:`CellError` with a fix
the clerk can apply. The mapping table is docs/normalisation.md; the loader, and anything that
mirrors it (the stdlib verifier, the site's JavaScript, the SQL engines), follows that page.
"""

from __future__ import annotations

import re
import unicodedata

from ..model import ENTITY_TYPES

__all__ = [
    "CellError",
    "ENTITY_TYPE_RULES",
    "INDUSTRY_SECTIONS",
    "RISK_WORDS",
    "entity_type",
    "industry_code",
    "risk_class",
    "uscc",
]


class CellError(ValueError):
    """A cell that cannot be mapped; ``why`` says how to fix it."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _fold(value: str) -> str:
    """NFKC (full-width letters, digits and brackets to ASCII), no blanks at all."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))


# ---------------------------------------------------------------------------------------
# 统一社会信用代码


def uscc(value: str) -> str:
    """The code in upper case, full-width folded, blanks removed; the check character is checked elsewhere."""
    return _fold(value).upper()


# ---------------------------------------------------------------------------------------
# 主体类型 / 企业类型

# (substring of the folded value, canonical type), first match wins: the more specific forms
# come before the words they contain ("民办非企业单位" holds "企业"; "合作社" before "企业").
ENTITY_TYPE_RULES: tuple[tuple[str, str], ...] = (
    ("非企业", "其他"),            # 民办非企业单位: a social organisation, not a 市场主体 enterprise
    ("常驻代表机构", "其他"),      # 外国（地区）企业常驻代表机构
    ("代表机构", "其他"),
    ("个体", "个体工商户"),        # 个体工商户, 个体户, 个体（个人经营）, 个体（家庭经营）
    ("农民专业合作", "农民专业合作社"),  # 农民专业合作社, 农民专业合作社联合社, 农民专业合作社分支机构
    ("农专社", "农民专业合作社"),
    ("专业合作社", "农民专业合作社"),
    ("公司", "企业"),              # 有限责任公司（自然人投资或控股）, 股份有限公司, 分公司 …
    ("企业", "企业"),              # 个人独资企业, 合伙企业, 全民所有制企业, 外商投资企业 …
    ("合伙", "企业"),              # 普通合伙, 有限合伙
    ("独资", "企业"),
    ("集体所有制", "企业"),
    ("全民所有制", "企业"),
    ("股份合作制", "企业"),
    ("联营", "企业"),
)


def entity_type(value: str) -> str:
    """企业类型 as the registry writes it → one of 企业, 个体工商户, 农民专业合作社, 其他."""
    v = _fold(value)
    if v in ENTITY_TYPES:
        return v
    for needle, canonical in ENTITY_TYPE_RULES:
        if needle in v:
            return canonical
    if not v:
        raise CellError(f"empty; write one of {', '.join(ENTITY_TYPES)} or the registry's 企业类型")
    raise CellError(f"{value.strip()!r} is not a 主体类型 randsup knows; write one of {', '.join(ENTITY_TYPES)} "
                    "or the registry's 企业类型 (e.g. 有限责任公司（自然人投资或控股）, 个体工商户)")


# ---------------------------------------------------------------------------------------
# 行业代码 (GB/T 4754-2017): section letter from the two-digit division

# Section letter → (first division, last division), GB/T 4754-2017 (unchanged from 2011 here).
INDUSTRY_SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}
_SECTION_OF = {d: s for s, (lo, hi) in INDUSTRY_SECTIONS.items() for d in range(lo, hi + 1)}
# A code, optionally followed by the class name ("F5221 百货零售", "5221百货零售", "[F5221]").
_INDUSTRY = re.compile(r"\[?([A-Za-z])?(\d{2}|\d{3}|\d{4})?\]?(?:[^\dA-Za-z].*)?")


def industry_code(value: str) -> str:
    """行业代码 with or without the section letter → "F5221"; empty stays empty (unknown industry)."""
    v = _fold(value)
    if not v:
        return ""
    m = _INDUSTRY.fullmatch(v)
    if m is None or not (m[1] or m[2]):
        raise CellError("not a GB/T 4754 industry code: write the section letter A–T and 2–4 digits, e.g. F5221, "
                        "or the digits alone (5221), or leave the cell empty")
    letter = m[1].upper() if m[1] else None
    digits = m[2] or ""
    if letter is not None and letter not in INDUSTRY_SECTIONS:
        raise CellError(f"section letter {letter} is not in GB/T 4754 (A–T); correct the code")
    if digits:
        section = _SECTION_OF.get(int(digits[:2]))
        if section is None:
            raise CellError(f"division {digits[:2]} is not in GB/T 4754-2017 (01–97); correct the code")
        if letter is not None and letter != section:
            raise CellError(f"division {digits[:2]} belongs to section {section}, not {letter}; "
                            f"write {section}{digits}")
        letter = section
    return f"{letter}{digits}"


# ---------------------------------------------------------------------------------------
# 信用风险分类

# Worded classes of the 企业信用风险分类 (市场监管总局): 信用风险低/一般/较高/高 = A/B/C/D.
# Longer words first: "较高" holds "高".
RISK_WORDS: tuple[tuple[str, str], ...] = (("较高", "C"), ("一般", "B"), ("低", "A"), ("高", "D"))
_RISK_LETTER = re.compile(r"(?:^|[（(])([A-Da-d])(?:类|级)?(?:[）)]|$)|([A-Da-d])类")


def risk_class(value: str) -> str:
    """信用风险分类 as a letter ("B", "B类", "b") or in words ("信用风险低（A类）", "一般风险") → "A"–"D"."""
    v = _fold(value)
    m = _RISK_LETTER.search(v)
    if m:
        return (m[1] or m[2]).upper()
    words = v.removeprefix("信用风险").removesuffix("风险").removesuffix("类")
    for word, letter in RISK_WORDS:
        if word in words:
            return letter
    raise CellError("信用风险分类 must be A, B, C or D (also accepted: A类, 信用风险低（A类）, 低/一般/较高/高)")
