"""The demo district's tables, read from ``data/district.toml`` (data, not code; see docs/demo.md)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = [
    "AFFINITY", "AREAS", "ASPECTS", "BASIS_FOR", "BODY_PREFIXES", "COOP_WORDS", "DEPARTMENTS", "ENTITY_TYPES",
    "INDUSTRIES", "JOINT_TEMPLATES", "OTHER_WORDS", "REAL_DEPT_KEYWORDS", "SURNAMES", "ABSENCE_REASONS",
    "CONFLICT_REASONS", "GIVEN", "ZIHAO", "Dept", "FieldRule", "Theme",
]

Theme = tuple[str, str, str, bool, str]  # (检查类别, 检查对象, 检查依据, 重点?, 检查方式)
FieldRule = tuple[str, tuple[str, ...]]  # (执法领域, keywords that put a theme into it)


@dataclass(frozen=True)
class Dept:
    """A demo department: its share of the item list, check items per item, fields and themes."""

    department_id: str
    name: str
    weight: float
    per_item: float
    fields: tuple[FieldRule, ...]
    themes: tuple[Theme, ...]


def _tuples(value: Any) -> Any:
    """TOML arrays as (nested) tuples, as the generator's tables always were."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


_RAW = tomllib.loads(resources.files("randsup.demo").joinpath("data/district.toml").read_text(encoding="utf-8"))

DEPARTMENTS: tuple[Dept, ...] = tuple(
    Dept(d["department_id"], d["name"], d["weight"], d["per_item"], _tuples(d["fields"]), _tuples(d["themes"]))
    for d in _RAW["departments"])
REAL_DEPT_KEYWORDS: tuple[tuple[str, str], ...] = _tuples(_RAW["real_dept_keywords"])
ASPECTS: tuple[tuple[str, tuple[str, str, str]], ...] = _tuples(_RAW["aspects"])
JOINT_TEMPLATES: tuple[tuple[str, str, tuple[str, str], tuple[tuple[str, str], ...]], ...] = \
    _tuples(_RAW["joint_templates"])
AFFINITY: dict[str, tuple[str, ...]] = {k: _tuples(v) for k, v in _RAW["affinity"].items()}
AREAS: tuple[tuple[str, float], ...] = _tuples(_RAW["areas"])
ENTITY_TYPES: tuple[tuple[str, str, float], ...] = _tuples(_RAW["entity_types"])
INDUSTRIES: tuple[tuple[str, str, str, str, float, float, float, float], ...] = _tuples(_RAW["industries"])
OTHER_WORDS: dict[str, str] = dict(_RAW["other_words"])
COOP_WORDS: dict[str, str] = dict(_RAW["coop_words"])
ZIHAO: tuple[str, ...] = _tuples(_RAW["zihao"])
SURNAMES: tuple[str, ...] = _tuples(_RAW["surnames"])
GIVEN: tuple[str, ...] = _tuples(_RAW["given"])
BODY_PREFIXES: tuple[str, ...] = _tuples(_RAW["body_prefixes"])
BASIS_FOR: tuple[tuple[str, str], ...] = _tuples(_RAW["basis_for"])
CONFLICT_REASONS: tuple[str, ...] = _tuples(_RAW["conflict_reasons"])
ABSENCE_REASONS: tuple[str, ...] = _tuples(_RAW["absence_reasons"])
