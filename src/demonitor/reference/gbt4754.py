"""GB/T 4754-2017 国民经济行业分类: the code tree of industries."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from demonitor.reference._files import data_path, read_csv_rows

EDITION = "GB/T 4754-2017"
LEVELS = ("section", "division", "group", "class")
LEVEL_ZH = {"section": "门类", "division": "大类", "group": "中类", "class": "小类"}


@dataclass(frozen=True)
class Industry:
    code: str
    name: str
    level: str
    parent: str


class IndustryTree:
    """The whole tree, indexed by code."""

    def __init__(self, industries: list[Industry]) -> None:
        self.by_code = {industry.code: industry for industry in industries}
        self._children: dict[str, list[str]] = {}
        for industry in industries:
            if industry.parent:
                self._children.setdefault(industry.parent, []).append(industry.code)

    def __contains__(self, code: str) -> bool:
        return code in self.by_code

    def get(self, code: str) -> Industry | None:
        return self.by_code.get(code)

    def classes(self) -> list[Industry]:
        return [i for i in self.by_code.values() if i.level == "class"]

    def children(self, code: str) -> list[str]:
        return self._children.get(code, [])

    def lineage(self, code: str) -> list[Industry]:
        """The industry and its ancestors, from the section down."""
        chain: list[Industry] = []
        current = self.by_code.get(code)
        while current is not None:
            chain.append(current)
            current = self.by_code.get(current.parent) if current.parent else None
        return list(reversed(chain))

    def section_of(self, code: str) -> str:
        return self.lineage(code)[0].code

    def classes_under(self, code: str) -> list[str]:
        """All 4-digit classes at or below a division, group or class code."""
        industry = self.by_code.get(code)
        if industry is None:
            return []
        if industry.level == "class":
            return [code]
        found: list[str] = []
        for child in self.children(code):
            found.extend(self.classes_under(child))
        return found


@cache
def load_industry_tree() -> IndustryTree:
    rows = read_csv_rows(data_path("gbt4754_2017.csv"))
    return IndustryTree([Industry(r["code"], r["name"], r["level"], r["parent"]) for r in rows])
