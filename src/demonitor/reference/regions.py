"""Administrative regions (GB/T 2260 codes) of the city the platform serves.

The region table is data: ``regions.csv`` of the city profile that ``DEMONITOR_CITY`` selects
(``data/cities/taizhou/regions.csv`` by default; see ``reference/city.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from demonitor.reference._files import read_csv_rows
from demonitor.reference.problems import DataFileError, Problem

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


def region_problems(rows: list[dict[str, str]], source: str) -> tuple[list[Region], list[Problem]]:
    """The regions of a table's rows, and every problem found (file, row, column, reason)."""
    problems: list[Problem] = []
    if not rows:
        return [], [Problem(source, 0, "", "文件没有数据行", "the file has no data rows")]
    if missing := [c for c in REQUIRED if c not in rows[0]]:
        return [], [Problem(source, 1, ", ".join(missing), "缺少列", "missing columns")]
    regions: list[Region] = []
    for number, row in enumerate(rows, start=2):  # the header is row 1
        code = row["code"]
        if not (code.isdigit() and len(code) == 6):
            problems.append(
                Problem(
                    source,
                    number,
                    "code",
                    f"区划代码「{code}」应为6位数字",
                    f"the region code {code!r} must be 6 digits",
                )
            )
        if row["level"] not in LEVELS:
            problems.append(
                Problem(
                    source,
                    number,
                    "level",
                    f"「{row['level']}」应为{'/'.join(LEVELS)}之一",
                    f"{row['level']!r} must be one of {', '.join(LEVELS)}",
                )
            )
        if not row["name_zh"]:
            problems.append(Problem(source, number, "name_zh", "名称为空", "the name is empty"))
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
    codes = [r.code for r in regions]
    for number, region in enumerate(regions, start=2):
        if codes.count(region.code) > 1 and codes.index(region.code) + 2 != number:
            problems.append(
                Problem(
                    source, number, "code", f"区划代码{region.code}重复", f"duplicate {region.code}"
                )
            )
        for column, ref in (
            ("parent", region.parent),
            ("administered_with", region.administered_with),
        ):
            if ref and ref not in codes:
                problems.append(
                    Problem(
                        source,
                        number,
                        column,
                        f"引用了未知区划{ref}",
                        f"refers to unknown region {ref}",
                    )
                )
    if sum(r.level == "city" for r in regions) != 1:
        problems.append(
            Problem(
                source,
                0,
                "level",
                "区划表须有且仅有一个city",
                "exactly one region must have the level city",
            )
        )
    return regions, problems


def parse_regions(rows: list[dict[str, str]], source: str) -> RegionTable:
    regions, problems = region_problems(rows, source)
    if problems:
        raise DataFileError("区划表", "region table", problems)
    return RegionTable(regions, source)


def load_regions(path: str | None = None) -> RegionTable:
    """The regions of the city profile (``DEMONITOR_CITY``), or of the region table ``path``."""
    if path:
        return _load_regions_cached(path)
    from demonitor.reference.city import load_city

    return load_city().regions


@cache
def _load_regions_cached(path: str) -> RegionTable:
    file = Path(path)
    return parse_regions(list(read_csv_rows(file)), str(file))
