"""Administrative regions (GB/T 2260 codes) of the city the platform serves.

The region table is data: ``DEMONITOR_REGIONS`` names a CSV with the columns of
``data/regions/taizhou.csv`` to serve another city.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from demonitor import config
from demonitor.reference._files import data_path, read_csv_rows

LEVELS = ("city", "district", "county_city", "zone")
REQUIRED = ("code", "name_zh", "name_en", "level", "parent")


@dataclass(frozen=True)
class Region:
    code: str
    name_zh: str
    name_en: str
    level: str
    parent: str
    administered_with: str = ""
    source: str = ""

    @property
    def county_level_code(self) -> str:
        """The county-level unit whose totals include this region (a zone counts with its host)."""
        return self.administered_with or self.code


class RegionTable:
    def __init__(self, regions: list[Region], source: str) -> None:
        self.source = source
        self.by_code = {r.code: r for r in regions}

    def __contains__(self, code: str) -> bool:
        return code in self.by_code

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.by_code.values())

    def get(self, code: str) -> Region | None:
        return self.by_code.get(code)

    def city(self) -> Region:
        return next(r for r in self.by_code.values() if r.level == "city")

    def county_level(self) -> list[Region]:
        """The units that are ranked and compared (districts and county-level cities)."""
        return [r for r in self.by_code.values() if r.level in ("district", "county_city")]


def parse_regions(rows: list[dict[str, str]], source: str) -> RegionTable:
    problems: list[str] = []
    if rows and (missing := [c for c in REQUIRED if c not in rows[0]]):
        raise ValueError(f"{source}: 缺少列 / missing columns: {', '.join(missing)}")
    regions: list[Region] = []
    for number, row in enumerate(rows, start=2):
        code = row["code"]
        if not (code.isdigit() and len(code) == 6):
            problems.append(f"row {number}: 区划代码应为6位数字 / code must be 6 digits: {code!r}")
        if row["level"] not in LEVELS:
            problems.append(f"row {number}: level must be one of {', '.join(LEVELS)}")
        regions.append(
            Region(
                code=code,
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                level=row["level"],
                parent=row["parent"],
                administered_with=row.get("administered_with", ""),
                source=row.get("source", ""),
            )
        )
    codes = {r.code for r in regions}
    for region in regions:
        for ref in (region.parent, region.administered_with):
            if ref and ref not in codes:
                problems.append(f"{region.code}: 引用了未知区划 / refers to unknown region {ref}")
    if sum(r.level == "city" for r in regions) != 1:
        problems.append("区划表须有且仅有一个city / exactly one region must have level city")
    if problems:
        raise ValueError(f"{source}: 区划表无效 / invalid region table: " + "; ".join(problems))
    return RegionTable(regions, source)


def load_regions(path: str | None = None) -> RegionTable:
    return _load_regions_cached(path or config.regions_file() or "")


@cache
def _load_regions_cached(path: str) -> RegionTable:
    file = Path(path) if path else data_path("regions/taizhou.csv")
    return parse_regions(list(read_csv_rows(file)), str(file))
