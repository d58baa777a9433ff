"""Small builders shared by the tests: an entity table from a few columns, a stand-in seed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from randsup.model import Categorical, EntityTable


class StubSeed:
    """Stands in for randsup.draw.seed.PublicSeed: a hex sub-seed per domain."""

    def __init__(self, text: str) -> None:
        self.text = text

    def sub_seed(self, domain: str) -> str:
        return hashlib.sha256(f"{self.text}/{domain}".encode()).hexdigest()


def _column(value: str | Sequence[str], n: int) -> list[str]:
    return [value] * n if isinstance(value, str) else list(value)


def entity_table(ids: Sequence[str], *, names: Sequence[str] | None = None,
                 entity_type: str | Sequence[str] = "企业", industry: str | Sequence[str] = "F5221",
                 area: str | Sequence[str] = "岳阳街道") -> EntityTable:
    """Entities of class A, untagged and never inspected; a str column is the same for every row."""
    n = len(ids)
    return EntityTable(
        entity_id=np.asarray(ids, dtype=str), name=np.asarray(names if names is not None else ids, dtype=str),
        entity_type=Categorical.from_values(_column(entity_type, n)),
        industry=Categorical.from_values(_column(industry, n)),
        area=Categorical.from_values(_column(area, n)), risk_class=np.zeros(n, dtype=np.uint8),
        tags=np.zeros(n, dtype=np.uint64), tag_names=(), last_inspected=np.full(n, "NaT", dtype="datetime64[D]"))
