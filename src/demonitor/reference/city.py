"""The city profile: everything about the city the platform serves, as data in one folder.

A profile folder holds

* ``city.toml`` — the city's name and region code, the default classification edition, the base
  and target years of its policy, and the demo's settings (``[demo]``, optional);
* ``regions.csv`` — its regions (GB/T 2260 codes; see ``reference/regions.py``);
* ``indicators.csv`` — the indicator catalogue: the policy's targets (the columns of
  ``policy/targets.csv``) plus the columns the platform needs (``IndicatorSpec``);
* ``tiles.csv`` — where each county-level unit sits on the tile map (column, row);
* ``demo_indicators.csv`` — the demo's values of the indicators (optional).

``DEMONITOR_CITY`` selects the profile: the name of a packaged one (``data/cities/<name>``,
default ``taizhou``) or the path of a folder. A second city is a second folder, not code; adding
an indicator is one row of ``indicators.csv`` (plus its data).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from demonitor import config
from demonitor.reference._files import data_path, read_csv_rows
from demonitor.reference.problems import DataFileError, Problem
from demonitor.reference.regions import RegionTable, region_problems

CITY_SETTING = "DEMONITOR_CITY"
DEFAULT_CITY = "taizhou"
RETIRED_REGIONS_SETTING = "DEMONITOR_REGIONS"

# The policy's columns (as in policy/targets.csv), then the platform's.
POLICY_COLUMNS = (
    "code",
    "section",
    "name_zh",
    "name_en",
    "unit",
    "kind",
    "comparator",
    "target",
    "target_year",
    "wording_zh",
    "suggested_owner_zh",
    "note",
)
PLATFORM_COLUMNS = (
    "direction",
    "base_year",
    "missing_base",
    "natural_limit",
    "tolerance",
    "level",
    "collected_by",
    "owner_zh",
    "frequency",
    "measure",
    "source",
    "pillar",
)
KINDS = ("ratio", "count_cumulative", "milestone")
COMPARATORS = ("approx", "ge", "gt", "le", "lt", "eq")
DIRECTIONS = ("higher", "lower")
# What stands in for a base-year value that is missing: nothing (a stock is then only checked
# against its target), the first value after the base year, or zero (counts, milestones).
MISSING_BASE = ("no_assessment", "first_value", "zero")
LEVELS = ("公开", "内部", "涉密")
COLLECTED_BY = ("department", "district")
FREQUENCIES = ("A", "Q")
MEASURES = ("stock", "count_since_base")
# core.progress.RATE_METHODS (reference may not import core): the first is the default.
PROGRESS_METHODS = ("escap", "statcan")
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")


def city_setting() -> str:
    """The ``DEMONITOR_CITY`` setting."""
    return config.city() or DEFAULT_CITY


def packaged_cities() -> list[str]:
    folder = data_path("cities")
    return sorted(p.name for p in folder.iterdir() if (p / "city.toml").is_file())


class CityProfileError(DataFileError):
    """A city profile that cannot be used; ``problems`` names file, row, column and reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("城市配置", "city profile", problems)


@dataclass(frozen=True)
class RecognitionSource:
    """An indicator counted from a recognition list (认定名单) since the base year."""

    list_name: str
    digital_only: bool  # only units identified as digital-economy units count


@dataclass(frozen=True)
class IndicatorSpec:
    """One row of the indicator catalogue."""

    # The policy's columns.
    code: str
    section: str
    name_zh: str
    name_en: str
    unit: str
    kind: str  # ratio | count_cumulative | milestone
    comparator: str  # approx | ge | gt | eq
    target: float
    target_year: int
    wording_zh: str
    suggested_owner_zh: str
    note: str
    # The platform's columns.
    direction: str  # higher | lower (is better)
    base_year: int
    missing_base: str  # no_assessment | first_value | zero
    natural_limit: float | None  # a value it cannot pass (100 for a coverage rate)
    tolerance: float  # ± around an approx (左右) target
    level: str  # 公开 | 内部 | 涉密
    collected_by: str  # department (a city department reports the city's value) | district
    owner_zh: str  # 牵头单位
    frequency: str  # A | Q
    measure: str  # stock | count_since_base
    source: str  # observations | accounts | recognitions:<list name>[:digital_only]
    pillar: str  # the policy's pillar (一…六) through its key tasks; empty for 总体目标

    @property
    def sign(self) -> int:
        """``indicators.direction`` in the database: 1 when higher is better, -1 when lower."""
        return 1 if self.direction == "higher" else -1

    @property
    def aspirational(self) -> bool:
        """力争: the policy asks to strive for the target."""
        return "力争" in self.wording_zh

    @property
    def computed_from_accounts(self) -> bool:
        """Computed by the platform from the value-added accounts (the core share of GDP)."""
        return self.source == "accounts"

    @property
    def submitted(self) -> bool:
        """Whether anybody submits its values (the platform computes the others)."""
        return not self.computed_from_accounts

    @property
    def recognition(self) -> RecognitionSource | None:
        """The recognition list it is counted from (when that list has been imported)."""
        return recognition_source(self.source)


def recognition_source(source: str) -> RecognitionSource | None:
    """The recognition list of a catalogue ``source`` (recognitions:<list>[:digital_only])."""
    parts = source.split(":")
    if parts[0] != "recognitions":
        return None
    return RecognitionSource(parts[1], len(parts) > 2 and parts[2] == "digital_only")


@dataclass(frozen=True)
class Tile:
    code: str
    column: int
    row: int


@dataclass(frozen=True)
class Revision:
    """A demo value recorded first as ``first`` and revised to ``revised``."""

    indicator: str
    period: str
    first: float
    revised: float
    reason: str


@dataclass(frozen=True)
class DemoAccountRegion:
    username: str
    region: str


@dataclass(frozen=True)
class DemoSettings:
    """``[demo]`` of city.toml and demo_indicators.csv; empty when the profile has no demo."""

    seed: int = 2025
    rows: int = 5000
    years: tuple[int, ...] = ()
    gdp_growth: dict[int, float] = field(default_factory=dict)
    gdp_price: dict[int, float] = field(default_factory=dict)
    core_share_path: dict[int, float] = field(default_factory=dict)
    district_gdp_share: dict[str, float] = field(default_factory=dict)
    faster_growing: tuple[str, ...] = ()
    alarms: dict[str, float] = field(default_factory=dict)
    revision: Revision | None = None
    district_accounts: tuple[DemoAccountRegion, ...] = ()
    # indicator code → year → the city's value
    indicator_paths: dict[str, dict[int, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class CityProfile:
    name: str  # the packaged profile's name, or the folder's name
    folder: Path
    code: str  # the region code of the city
    name_zh: str
    name_en: str
    policy_zh: str
    edition: str  # the default classification edition
    base_year: int
    target_year: int
    regions: RegionTable
    indicators: tuple[IndicatorSpec, ...]
    tiles: dict[str, Tile]
    demo: DemoSettings
    # How a rate's status is reached (core.progress): escap (the default) or statcan.
    progress_method: str = "escap"

    def indicator(self, code: str) -> IndicatorSpec:
        for spec in self.indicators:
            if spec.code == code:
                return spec
        raise KeyError(f"未知指标 / unknown indicator: {code}")

    def codes(self) -> tuple[str, ...]:
        return tuple(spec.code for spec in self.indicators)

    def collected_by_district(self) -> tuple[str, ...]:
        """Indicators each district reports for itself (replaces ``DISTRICT_COLLECTED``)."""
        return tuple(s.code for s in self.indicators if s.collected_by == "district")

    def not_submitted(self) -> tuple[str, ...]:
        """Indicators the platform computes, that nobody submits (replaces ``NOT_SUBMITTED``)."""
        return tuple(s.code for s in self.indicators if not s.submitted)

    def computed_from_accounts(self) -> tuple[str, ...]:
        """Indicators computed from the value-added accounts (``COMPUTED_FROM_ACCOUNTS``)."""
        return tuple(s.code for s in self.indicators if s.computed_from_accounts)

    def counted_from_recognitions(self) -> dict[str, RecognitionSource]:
        """Indicator → recognition list (replaces ``COUNTED_FROM_RECOGNITIONS``)."""
        return {s.code: s.recognition for s in self.indicators if s.recognition is not None}

    def tile_positions(self) -> dict[str, tuple[int, int]]:
        """Region code → (column, row) on the tile map (replaces ``TILE_POSITIONS``)."""
        return {code: (tile.column, tile.row) for code, tile in self.tiles.items()}


# --- loading ------------------------------------------------------------------------------


def resolve_city(name: str | None = None) -> Path:
    """The folder of a profile: a packaged name, or a path; ``None`` reads ``DEMONITOR_CITY``."""
    setting = name or city_setting()
    packaged = data_path(f"cities/{setting}")
    if re.fullmatch(r"[a-z0-9][a-z0-9_-]*", setting) and (packaged / "city.toml").is_file():
        return packaged
    folder = Path(setting).expanduser()
    if (folder / "city.toml").is_file():
        return folder.resolve()
    raise CityProfileError(
        [
            Problem(
                setting,
                0,
                "",
                f"不是内置城市配置（{'、'.join(packaged_cities())}），也不是含city.toml的目录",
                f"neither a packaged profile ({', '.join(packaged_cities())}) "
                "nor a folder holding city.toml",
            )
        ]
    )


def load_city(name: str | None = None) -> CityProfile:
    """The city profile ``name`` (a packaged name or a folder), by default ``DEMONITOR_CITY``."""
    if config.regions_file():
        raise CityProfileError(
            [
                Problem(
                    RETIRED_REGIONS_SETTING,
                    0,
                    "",
                    "已由DEMONITOR_CITY取代：请把regions.csv放入城市配置目录",
                    "is replaced by DEMONITOR_CITY: put regions.csv in a city profile folder",
                )
            ]
        )
    folder = resolve_city(name)
    stamps = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.iterdir())
    )
    return _load_city_cached(str(folder), stamps)


@cache
def _load_city_cached(folder: str, _stamps: tuple[tuple[str, int, int], ...]) -> CityProfile:
    return parse_city(Path(folder))


def _rows(path: Path, problems: list[Problem], required: bool = True) -> list[dict[str, str]]:
    if not path.is_file():
        if required:
            problems.append(Problem(str(path), 0, "", "文件不存在", "the file is missing"))
        return []
    try:
        return list(read_csv_rows(path))
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(str(path), 0, "", f"无法读取：{error}", f"cannot read: {error}"))
        return []


def parse_city(folder: Path) -> CityProfile:
    """Read and check every file of a profile folder; raise CityProfileError with all problems."""
    problems: list[Problem] = []
    settings_file = folder / "city.toml"
    try:
        settings = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CityProfileError(
            [Problem(str(settings_file), 0, "", f"无法读取：{error}", f"cannot read: {error}")]
        ) from error
    city = _Settings(settings_file, settings.get("city", {}), "city", problems)
    code = city.text("code")
    base_year = city.integer("base_year")
    target_year = city.integer("target_year")
    progress_method = city.text("progress_method", required=False) or PROGRESS_METHODS[0]
    if progress_method not in PROGRESS_METHODS:
        problems.append(
            Problem(
                str(settings_file),
                0,
                "city.progress_method",
                f"「{progress_method}」应为{'或'.join(PROGRESS_METHODS)}",
                f"{progress_method!r} must be one of {', '.join(PROGRESS_METHODS)}",
            )
        )
    regions_rows = _rows(folder / "regions.csv", problems)
    regions: list[Any] = []
    if regions_rows:
        regions, found = region_problems(regions_rows, str(folder / "regions.csv"))
        problems.extend(found)
    table = RegionTable(regions, str(folder / "regions.csv"))
    city_regions = [r.code for r in regions if r.level == "city"]
    if regions and city_regions and code and city_regions != [code]:
        problems.append(
            Problem(
                str(settings_file),
                0,
                "city.code",
                f"{code}不是regions.csv中的city（{'/'.join(city_regions)}）",
                f"{code} is not the region of level city in regions.csv",
            )
        )
    indicator_rows = _rows(folder / "indicators.csv", problems)
    indicators = parse_indicators(indicator_rows, str(folder / "indicators.csv"), base_year)
    problems.extend(indicators[1])
    tiles = _parse_tiles(_rows(folder / "tiles.csv", problems), str(folder / "tiles.csv"), table)
    problems.extend(tiles[1])
    codes = {row.get("code", "") for row in indicator_rows}  # a bad row's code is still known
    demo = _parse_demo(folder, settings.get("demo"), table, codes, problems)
    problems.extend(city.problems_of_unknown_keys(CITY_KEYS))
    if base_year and target_year and base_year >= target_year:
        problems.append(
            Problem(
                str(settings_file),
                0,
                "city.base_year",
                "基期应早于目标年",
                "the base year must be before the target year",
            )
        )
    if problems:
        raise CityProfileError(problems)
    return CityProfile(
        name=folder.name,
        folder=folder,
        code=code,
        name_zh=city.text("name_zh"),
        name_en=city.text("name_en"),
        policy_zh=city.text("policy_zh", required=False),
        edition=city.text("classification_edition"),
        base_year=base_year,
        target_year=target_year,
        regions=table,
        indicators=tuple(indicators[0]),
        tiles=tiles[0],
        demo=demo,
        progress_method=progress_method,
    )


CITY_KEYS = (
    "code",
    "name_zh",
    "name_en",
    "policy_zh",
    "classification_edition",
    "base_year",
    "target_year",
    "progress_method",
)
DEMO_KEYS = (
    "seed",
    "rows",
    "years",
    "gdp_growth",
    "gdp_price",
    "core_share_path",
    "district_gdp_share",
    "faster_growing",
    "alarms",
    "revision",
    "district_accounts",
)


class _Settings:
    """Typed reads of one table of city.toml, recording problems instead of raising."""

    def __init__(self, file: Path, table: Any, name: str, problems: list[Problem]) -> None:
        self.file = str(file)
        self.name = name
        self.problems = problems
        self.table: dict[str, Any] = table if isinstance(table, dict) else {}
        if not isinstance(table, dict):
            self._problem("", f"[{name}]应为表", f"[{name}] must be a table")

    def _problem(self, key: str, zh: str, en: str) -> None:
        column = f"{self.name}.{key}" if key else self.name
        self.problems.append(Problem(self.file, 0, column, zh, en))

    def text(self, key: str, required: bool = True) -> str:
        value = self.table.get(key)
        if value is None:
            if required:
                self._problem(key, "缺少此项", "missing")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self._problem(key, "应为非空文字", "must be a non-empty string")
            return ""
        return value.strip()

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.table.get(key, default)
        if value is None:
            self._problem(key, "缺少此项", "missing")
            return 0
        if not isinstance(value, int) or isinstance(value, bool):
            self._problem(key, f"「{value}」应为整数", f"{value!r} must be an integer")
            return 0
        return value

    def by_year(self, key: str) -> dict[int, float]:
        found: dict[int, float] = {}
        for year, value in self._table(key).items():
            if not str(year).isdigit() or not isinstance(value, int | float):
                self._problem(key, f"「{year} = {value}」应为 年 = 数值", f"{year} = {value!r}")
                continue
            found[int(year)] = float(value)
        return found

    def by_code(self, key: str) -> dict[str, float]:
        found: dict[str, float] = {}
        for code, value in self._table(key).items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                self._problem(key, f"{code}的值应为数值", f"the value of {code} must be a number")
                continue
            found[str(code)] = float(value)
        return found

    def _table(self, key: str) -> dict[str, Any]:
        value = self.table.get(key, {})
        if not isinstance(value, dict):
            self._problem(key, "应为表", "must be a table")
            return {}
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._problem(key, "应为文字列表", "must be a list of strings")
            return ()
        return tuple(value)

    def problems_of_unknown_keys(self, known: Iterable[str]) -> list[Problem]:
        return [
            Problem(self.file, 0, f"{self.name}.{key}", "未知设置项", "unknown setting")
            for key in self.table
            if key not in known
        ]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class _Row:
    """Typed reads of one CSV row, recording problems that name its file, row and column."""

    def __init__(self, source: str, number: int, row: dict[str, str]) -> None:
        self.source = source
        self.line = number
        self.row = row
        self.found: list[Problem] = []

    def bad(self, column: str, zh: str, en: str) -> None:
        self.found.append(Problem(self.source, self.line, column, zh, en))

    def choice(self, column: str, allowed: tuple[str, ...]) -> str:
        value = self.row[column]
        if value not in allowed:
            self.bad(
                column,
                f"「{value}」应为{'/'.join(allowed)}之一",
                f"{value!r} must be one of {', '.join(allowed)}",
            )
        return value

    def number(self, column: str, required: bool = True) -> float | None:
        text = self.row[column]
        if not text and not required:
            return None
        value = _number(text)
        if value is None:
            self.bad(column, f"「{text}」不是数值", f"{text!r} is not a number")
        return value

    def year(self, column: str, default: int = 0) -> int:
        text = self.row[column] or (str(default) if default else "")
        if not (text.isdigit() and len(text) == 4):
            self.bad(column, f"「{text}」应为四位年份", f"{text!r} must be a four-digit year")
            return 0
        return int(text)


def _valid_source(text: str) -> bool:
    if text in ("observations", "accounts"):
        return True
    parts = text.split(":")
    if parts[0] != "recognitions" or len(parts) not in (2, 3) or not parts[1]:
        return False
    return len(parts) == 2 or parts[2] == "digital_only"


def parse_indicators(
    rows: list[dict[str, str]], source: str, default_base_year: int = 0
) -> tuple[list[IndicatorSpec], list[Problem]]:
    """The catalogue's rows as IndicatorSpec, and every problem (file, row, column, reason)."""
    problems: list[Problem] = []
    if not rows:
        return [], [Problem(source, 0, "", "没有指标", "the catalogue has no indicators")]
    missing = [c for c in (*POLICY_COLUMNS, *PLATFORM_COLUMNS) if c not in rows[0]]
    if missing:
        return [], [Problem(source, 1, ", ".join(missing), "缺少列", "missing columns")]
    specs: list[IndicatorSpec] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):  # the header is row 1
        checked = _Row(source, number, row)
        found = checked.found
        bad, choice, number_of, year_of = (
            checked.bad,
            checked.choice,
            checked.number,
            checked.year,
        )
        code = row["code"]
        if not _CODE.match(code):
            bad(
                "code",
                f"指标代码「{code}」应以字母开头，至多16位字母数字",
                f"the code {code!r} must be a letter and at most 15 more letters or digits",
            )
        elif code in seen:
            bad("code", f"指标代码{code}重复", f"duplicate code {code}")
        seen.add(code)
        for column in ("name_zh", "name_en", "unit"):
            if not row[column]:
                bad(column, "为空", "is empty")
        kind = choice("kind", KINDS)
        comparator = choice("comparator", COMPARATORS)
        target = number_of("target")
        target_year = year_of("target_year")
        direction = choice("direction", DIRECTIONS)
        base_year = year_of("base_year", default_base_year)
        missing_base = choice("missing_base", MISSING_BASE)
        natural_limit = number_of("natural_limit", required=False)
        tolerance = number_of("tolerance", required=False) or 0.0
        level = choice("level", LEVELS)
        collected_by = choice("collected_by", COLLECTED_BY)
        frequency = choice("frequency", FREQUENCIES)
        measure = choice("measure", MEASURES)
        source_text = row["source"]
        if not _valid_source(source_text):
            bad(
                "source",
                f"「{source_text}」应为observations、accounts或recognitions:名单名[:digital_only]",
                f"{source_text!r} must be observations, accounts or "
                "recognitions:<list name>[:digital_only]",
            )
        if direction == "lower" and comparator in ("ge", "gt"):
            bad(
                "comparator",
                f"越低越好的指标应用le（不超过）或lt（低于），不能用{comparator}",
                f"a lower-is-better indicator takes le or lt, not {comparator}",
            )
        if direction == "higher" and comparator in ("le", "lt"):
            bad(
                "comparator",
                f"越高越好的指标应用ge或gt，不能用{comparator}",
                f"a higher-is-better indicator takes ge or gt, not {comparator}",
            )
        if tolerance < 0:
            bad("tolerance", "不能为负", "must not be negative")
        if base_year and target_year and base_year >= target_year:
            bad("base_year", "基期应早于目标年", "the base year must be before the target year")
        if measure == "count_since_base" and kind != "count_cumulative":
            bad(
                "measure",
                "只有count_cumulative的指标可为count_since_base",
                "only a count_cumulative indicator is measured count_since_base",
            )
        if (
            natural_limit is not None
            and target is not None
            and (target > natural_limit if direction == "higher" else target < natural_limit)
        ):
            bad(
                "natural_limit",
                f"目标{target:g}超出自然上限{natural_limit:g}",
                f"the target {target:g} lies beyond the natural limit {natural_limit:g}",
            )
        problems.extend(found)
        if found:
            continue
        specs.append(
            IndicatorSpec(
                code=code,
                section=row["section"],
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                unit=row["unit"],
                kind=kind,
                comparator=comparator,
                target=float(target or 0.0),
                target_year=target_year,
                wording_zh=row["wording_zh"],
                suggested_owner_zh=row["suggested_owner_zh"],
                note=row["note"],
                direction=direction,
                base_year=base_year,
                missing_base=missing_base,
                natural_limit=natural_limit,
                tolerance=tolerance,
                level=level,
                collected_by=collected_by,
                owner_zh=row["owner_zh"] or row["suggested_owner_zh"],
                frequency=frequency,
                measure=measure,
                source=source_text,
                pillar=row["pillar"],
            )
        )
    return specs, problems


def _parse_tiles(
    rows: list[dict[str, str]], source: str, regions: RegionTable
) -> tuple[dict[str, Tile], list[Problem]]:
    problems: list[Problem] = []
    tiles: dict[str, Tile] = {}
    if rows and (missing := [c for c in ("code", "column", "row") if c not in rows[0]]):
        return {}, [Problem(source, 1, ", ".join(missing), "缺少列", "missing columns")]
    taken: dict[tuple[int, int], str] = {}
    county_level = {r.code for r in regions.county_level()}
    for number, row in enumerate(rows, start=2):
        code = row["code"]
        if code not in county_level:
            problems.append(
                Problem(
                    source,
                    number,
                    "code",
                    f"{code}不是区划表中的区（市）",
                    f"{code} is not a county-level unit of regions.csv",
                )
            )
            continue
        if code in tiles:
            problems.append(Problem(source, number, "code", f"{code}重复", f"duplicate {code}"))
            continue
        position: list[int] = []
        for column in ("column", "row"):
            if not row[column].isdigit():
                problems.append(
                    Problem(
                        source,
                        number,
                        column,
                        f"「{row[column]}」应为非负整数",
                        f"{row[column]!r} must be a whole number ≥ 0",
                    )
                )
            else:
                position.append(int(row[column]))
        if len(position) != 2:
            continue
        place = (position[0], position[1])
        if place in taken:
            problems.append(
                Problem(
                    source,
                    number,
                    "column",
                    f"位置{place}已被{taken[place]}占用",
                    f"position {place} is already taken by {taken[place]}",
                )
            )
            continue
        taken[place] = code
        tiles[code] = Tile(code, *place)
    if regions.by_code and not problems:
        for code in sorted(county_level - set(tiles)):
            problems.append(
                Problem(source, 0, "code", f"{code}没有地图位置", f"{code} has no tile position")
            )
    return tiles, problems


def _parse_demo(
    folder: Path,
    table: Any,
    regions: RegionTable,
    codes: set[str],
    problems: list[Problem],
) -> DemoSettings:
    file = folder / "demo_indicators.csv"
    if table is None:
        return DemoSettings()
    demo = _Settings(folder / "city.toml", table, "demo", problems)
    problems.extend(demo.problems_of_unknown_keys(DEMO_KEYS))
    county_level = {r.code for r in regions.county_level()}

    def known(key: str, values: Iterable[str], allowed: set[str], what_zh: str) -> None:
        for value in values:
            if allowed and value not in allowed:
                problems.append(
                    Problem(
                        str(folder / "city.toml"),
                        0,
                        f"demo.{key}",
                        f"{value}不是{what_zh}",
                        f"{value} is not a known {'indicator' if what_zh == '指标' else 'region'}",
                    )
                )

    shares = demo.by_code("district_gdp_share")
    known("district_gdp_share", shares, county_level, "区（市）")
    faster = demo.texts("faster_growing")
    known("faster_growing", faster, county_level, "区（市）")
    alarms = demo.by_code("alarms")
    known("alarms", alarms, codes, "指标")
    revision = None
    if "revision" in demo.table:
        entry = _Settings(folder / "city.toml", demo.table["revision"], "demo.revision", problems)
        first, revised = (entry.table.get(k) for k in ("first", "revised"))
        if not isinstance(first, int | float) or not isinstance(revised, int | float):
            entry.problems.append(
                Problem(entry.file, 0, "demo.revision", "first/revised应为数值", "not numbers")
            )
            first = revised = 0.0
        revision = Revision(
            entry.text("indicator"),
            entry.text("period"),
            float(first),
            float(revised),
            entry.text("reason"),
        )
        known("revision", [revision.indicator], codes, "指标")
    accounts = []
    raw_accounts = demo.table.get("district_accounts", [])
    for entry_table in raw_accounts if isinstance(raw_accounts, list) else []:
        entry = _Settings(folder / "city.toml", entry_table, "demo.district_accounts", problems)
        accounts.append(DemoAccountRegion(entry.text("username"), entry.text("region")))
    known("district_accounts", [a.region for a in accounts], county_level, "区（市）")
    years = demo.table.get("years", [])
    if not isinstance(years, list) or not all(isinstance(y, int) for y in years):
        problems.append(
            Problem(str(folder / "city.toml"), 0, "demo.years", "应为年份列表", "list of years")
        )
        years = []
    paths: dict[str, dict[int, float]] = {}
    for number, row in enumerate(_rows(file, problems, required=False), start=2):
        value = _number(row.get("value", ""))
        if row.get("code") not in codes:
            problems.append(
                Problem(
                    str(file),
                    number,
                    "code",
                    f"{row.get('code')}不在indicators.csv中",
                    f"{row.get('code')} is not in indicators.csv",
                )
            )
        elif not row.get("year", "").isdigit() or value is None:
            problems.append(
                Problem(str(file), number, "year", "年份或数值无效", "invalid year or value")
            )
        else:
            paths.setdefault(row["code"], {})[int(row["year"])] = value
    return DemoSettings(
        seed=demo.integer("seed", 2025),
        rows=demo.integer("rows", 5000),
        years=tuple(years),
        gdp_growth=demo.by_year("gdp_growth"),
        gdp_price=demo.by_year("gdp_price"),
        core_share_path=demo.by_year("core_share_path"),
        district_gdp_share=shares,
        faster_growing=faster,
        alarms=alarms,
        revision=revision,
        district_accounts=tuple(accounts),
        indicator_paths=paths,
    )
