"""The value-added accounts as people read them: core industries by region against GDP.

Built from the materialised cells (``store.account_cells``) and the GDP observations; the
arithmetic is ``core.accounts``. Every output that shows an account — the CLI's ``account``, the
dashboard, the districts page, the API — reads it from here.

Decisions every output keeps (docs/ARCHITECTURE.md, "The accounts"):

- The city is every classified unit of the city: its county-level units and the units that no
  county-level unit holds (registered at the city code, or in a zone without a host county).
  Those are one more row, 市本级（未分到市(区)）, whenever they exist, so that
  city = Σ county-level units + unallocated = Σ breakdown.
- ``known_at`` (a vintage date): only what was recorded by then counts — financials, rates and
  classifications (the cells are then computed directly, never read from the materialised ones,
  which reflect the newest data) and every observation (GDP, growth, price indices, breakdown).
- Prices: ``core.accounts.core_growth`` (each core category by its own price index, else the core
  index, else the GDP price index, else the implicit GDP deflator); ``deflator_source`` says
  which.
- Identities: with a 三次产业 breakdown of GDP, Σ拉动 = growth, Σ贡献率 = 100 and the parts add
  up to GDP; a breach is a warning of the row, never hidden or corrected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from demonitor.core.accounts import (
    CORE_CATEGORIES,
    CORE_PRICE_INDEX,
    GDP_PRICE_INDEX,
    INDUSTRIES,
    Cell,
    CellKey,
    Contribution,
    IndustryRow,
    Notice,
    core_growth,
    core_price_series,
    core_total,
    industry_breakdown,
    roll_up,
    sum_discrepancy,
)
from demonitor.core.periods import Period
from demonitor.reports.common import RegionInfo, city_code, has_demo_data, regions
from demonitor.store.account_cells import account_cells, compute_cells, utc_moment
from demonitor.store.observations import ObservationStore

LEVEL_WIDTH = {"category": 2, "group": 4, "class": 6}
UNALLOCATED = "unallocated"  # the region of the row of units no county-level unit holds
UNALLOCATED_ZH = "市本级（未分到市(区)）"
UNALLOCATED_EN = "not allocated to a district"

# The observations one account reads, besides the GDP breakdown's.
_SERIES = (
    "GDP",
    "GDP_growth",
    GDP_PRICE_INDEX,
    CORE_PRICE_INDEX,
    *(core_price_series(c) for c in CORE_CATEGORIES),
    *(f"GDP_{k}" for k in INDUSTRIES),
    *(f"GDP_{k}_growth" for k in INDUSTRIES),
)


@dataclass(frozen=True)
class RegionAccount:
    """The core industries of one region in one period, against its GDP.

    The row of units not allocated to any county-level unit has the region ``UNALLOCATED`` and
    ``unallocated`` set; it has no GDP of its own, hence no share and no real figures."""

    region: str
    year: int
    period: str  # 2024, or 2024Q2 for January–June (累计)
    core_value_added: float  # 万元
    by_category: dict[str, float]
    gdp: float | None  # 万元
    share: float | None  # % of GDP
    nominal_growth: float | None  # %
    real_growth: float | None  # %, deflated by the price index named in ``deflator_source``
    deflator_source: str
    contribution: Contribution | None
    units: int
    reported: int
    estimated: int
    missing: int
    gdp_real_growth: float | None = None  # %, published, or derived from the GDP price index
    unallocated: bool = False
    industries: list[IndustryRow] = field(default_factory=list)  # 三次产业, when loaded
    warnings: list[Notice] = field(default_factory=list)  # price indices, identities


@dataclass(frozen=True)
class AccountsTable:
    """What ``demonitor account`` prints and the districts page shows."""

    period: str
    edition: str
    level: str  # category | group | class: the width of ``breakdown``
    rows: list[RegionAccount]
    breakdown: dict[str, float]  # DE code at ``level`` → value added of the whole city, 万元
    demo: bool
    known_at: dt.datetime | None = None  # the vintage date, None for the newest data
    # Every row's warnings, each named by its region, and the table's own (its sums).
    warnings: list[Notice] = field(default_factory=list)


def as_period(period: int | str | Period) -> Period:
    if isinstance(period, Period):
        return period
    return Period.parse(str(period))


def county_units(session: Session) -> list[str]:
    return sorted(r.code for r in regions(session) if r.level in ("district", "county_city"))


def _cells(
    session: Session, edition: str, period: Period, known_at: dt.datetime | None
) -> dict[CellKey, Cell]:
    """The materialised cells (newest data), or computed from what was recorded by a date."""
    if known_at is None:
        return account_cells(session, edition, period)
    return compute_cells(session, edition, period, known_at)


def _only(cells: dict[CellKey, Cell], category: str) -> dict[CellKey, Cell]:
    return {key: cell for key, cell in cells.items() if key[1][:2] == category}


Target = tuple[str, list[str], bool]  # (region of the row, regions of its cells, unallocated)


@dataclass(frozen=True)
class _Values:
    """The observations of one region read at once: (series, period) → value."""

    found: dict[tuple[str, str], float | None]
    period: Period

    def __call__(self, series: str, when: Period | None = None) -> float | None:
        return self.found.get((series, str(when or self.period)))


def _accounts(
    session: Session,
    edition: str,
    period: Period,
    wanted: list[str] | None,
    known_at: dt.datetime | None,
    unallocated_row: bool = False,
) -> list[RegionAccount]:
    """The rows of ``wanted`` (``UNALLOCATED`` for the unallocated units), else of the city and
    its county-level units; ``unallocated_row`` adds the unallocated units' row when there are
    any and it is not there yet."""
    before_period = period.same_period_last_year()
    cumulative = period.frequency != "A"
    moment = utc_moment(known_at) if known_at is not None else None
    current = _cells(session, edition, period, moment)
    previous = _cells(session, edition, before_period, moment)
    store = ObservationStore(session, "reader")
    city = city_code(session)
    counties = county_units(session)
    # Cells are keyed by county-level unit (a zone counts with its host); any other region in
    # them — the city code itself, a zone without a host — holds units no district holds.
    unallocated = sorted({region for region, _ in (*current, *previous)} - set(counties))
    whole_city = counties + unallocated
    members_of = {city: whole_city, UNALLOCATED: unallocated}
    chosen = list(wanted or [city, *counties])
    if unallocated_row and unallocated and UNALLOCATED not in chosen:
        chosen.append(UNALLOCATED)
    targets: list[Target] = [(r, members_of.get(r, [r]), r == UNALLOCATED) for r in chosen]
    results = []
    for region, members, is_unallocated in targets:
        parts = core_total(current, members)
        core = parts.value_added
        core_before = core_total(previous, members).value_added
        categories = {
            c: (
                core_total(_only(current, c), members).value_added,
                core_total(_only(previous, c), members).value_added,
            )
            for c in CORE_CATEGORIES
        }
        found: dict[tuple[str, str], float | None] = {}
        if not is_unallocated:  # the unallocated units have no GDP or price index of their own
            found = store.latest_values(
                _SERIES, region, [str(period), str(before_period)], cumulative, moment
            )
        value = _Values(found, period)

        category_indices = {
            c: index for c in CORE_CATEGORIES if (index := value(core_price_series(c))) is not None
        }
        gdp, gdp_before = value("GDP"), value("GDP", before_period)
        figures = core_growth(
            core,
            core_before,
            gdp,
            gdp_before,
            value("GDP_growth"),
            value(CORE_PRICE_INDEX),
            gdp_price_index=value(GDP_PRICE_INDEX),
            categories=categories,
            category_price_indices=category_indices,
        )
        industries, notices = _industries(
            value, period, before_period, gdp, gdp_before, figures.gdp_real_growth
        )
        results.append(
            RegionAccount(
                region=region,
                year=period.year,
                period=str(period),
                core_value_added=core,
                by_category={c: now for c, (now, _) in categories.items()},
                gdp=gdp,
                share=figures.share,
                nominal_growth=figures.nominal_growth,
                real_growth=figures.real_growth,
                deflator_source=figures.deflator_source,
                contribution=figures.contribution,
                units=parts.units,
                reported=parts.reported,
                estimated=parts.estimated,
                missing=parts.missing,
                gdp_real_growth=figures.gdp_real_growth,
                unallocated=is_unallocated,
                industries=industries,
                warnings=[*figures.warnings, *notices],
            )
        )
    return results


def _industries(
    value: _Values,
    period: Period,
    before_period: Period,
    gdp: float | None,
    gdp_before: float | None,
    gdp_growth: float | None,
) -> tuple[list[IndustryRow], list[Notice]]:
    """The 三次产业 contributions of a region, and what its breakdown breaks: Σ贡献率 = 100 and
    Σ拉动 = growth (with all three industries), Σ levels = GDP (each year with all three)."""
    notices: list[Notice] = []
    for when, total in ((period, gdp), (before_period, gdp_before)):
        levels = [value(f"GDP_{k}", when) for k in INDUSTRIES]
        if total is not None and all(v is not None for v in levels):
            broken = sum_discrepancy(
                "sum_levels",
                f"三次产业增加值（{when}）",
                f"industries ({when})",
                [v for v in levels if v is not None],
                total,
            )
            if broken is not None:
                notices.append(broken.notice())
    previous = {k: v for k in INDUSTRIES if (v := value(f"GDP_{k}", before_period)) is not None}
    growth = {k: v for k in INDUSTRIES if (v := value(f"GDP_{k}_growth")) is not None}
    loaded = set(previous) | set(growth) | {k for k in INDUSTRIES if value(f"GDP_{k}") is not None}
    complete = [k for k in INDUSTRIES if k in previous and k in growth]
    if not loaded:
        return [], notices
    if not gdp_before or not complete:
        missing = "上年地区生产总值" if not gdp_before else "上年增加值或可比价增速"
        notices.append(
            Notice(
                "breakdown",
                f"三次产业数据不全（缺{missing}），未计算贡献率",
                "the industry breakdown lacks "
                + ("GDP of the year before" if not gdp_before else "levels or growth rates")
                + ": no contributions",
            )
        )
        return [], notices
    exhaustive = len(complete) == len(INDUSTRIES)
    if not exhaustive:
        absent = "、".join(INDUSTRIES[k][0] for k in INDUSTRIES if k not in complete)
        notices.append(
            Notice(
                "breakdown",
                f"三次产业数据不全（{absent}缺上年增加值或可比价增速），未检查恒等式",
                f"the industry breakdown is incomplete ({absent}): identities not checked",
            )
        )
    rows, broken_identities = industry_breakdown(
        {k: previous[k] for k in complete},
        {k: value(f"GDP_{k}") for k in complete},
        {k: 100 + growth[k] for k in complete},
        gdp_before,
        gdp_growth,
        exhaustive=exhaustive,
    )
    notices.extend(d.notice() for d in broken_identities)
    return rows, notices


def region_accounts(
    session: Session,
    edition: str,
    period: int | str | Period,
    wanted: list[str] | None = None,
    *,
    known_at: dt.datetime | None = None,
) -> list[RegionAccount]:
    """Accounts for the city and each county-level region, or for the ``wanted`` regions only
    (``UNALLOCATED`` for the row of the units no county-level region holds; ``accounts_table``
    adds that row whenever there are such units).

    The city counts every unit, allocated or not: city = Σ county-level units + unallocated.
    For a quarter, every figure is cumulative from January and compared with the same period a
    year earlier, as NBS publishes quarterly contributions (累计). With ``known_at``, only data
    recorded by then count: financials, rates and classifications (a unit counts only once it
    had a classification) and every observation. The register and the regions keep no history:
    a later change of an enterprise's region, or of a zone's host, is not versioned.
    """
    return _accounts(session, edition, as_period(period), wanted, known_at)


def breakdown(
    session: Session,
    edition: str,
    period: int | str | Period,
    level: str = "category",
    *,
    known_at: dt.datetime | None = None,
) -> dict[str, float]:
    """Value added of the whole city by DE category, group or class (万元)."""
    moment = utc_moment(known_at) if known_at is not None else None
    cells = roll_up(_cells(session, edition, as_period(period), moment), LEVEL_WIDTH[level])
    totals: dict[str, float] = {}
    for (_, code), cell in cells.items():
        totals[code] = totals.get(code, 0.0) + cell.value_added
    return totals


def row_label(account: RegionAccount, known: dict[str, RegionInfo]) -> tuple[str, str]:
    """The name of a row (zh, en): the region's, or 市本级（未分到市(区)）."""
    if account.unallocated:
        return UNALLOCATED_ZH, UNALLOCATED_EN
    found = known.get(account.region)
    return (found.name_zh, found.name_en) if found else (account.region, account.region)


def accounts_table(
    session: Session,
    edition: str,
    period: int | str | Period,
    region: str | None = None,
    level: str = "category",
    *,
    known_at: dt.datetime | None = None,
) -> AccountsTable:
    """The accounts of the city, its county-level units and its unallocated units (or of one
    region; the city comes with its unallocated row) for a period, with every warning."""
    chosen = as_period(period)
    city = city_code(session)
    whole = region in (None, city)
    rows = _accounts(session, edition, chosen, [region] if region else None, known_at, whole)
    totals = breakdown(session, edition, chosen, level, known_at=known_at)
    known = {r.code: r for r in regions(session)}
    warnings: list[Notice] = []
    for row in rows:
        zh, en = row_label(row, known)
        warnings.extend(replace(w, zh=f"{zh}：{w.zh}", en=f"{en}: {w.en}") for w in row.warnings)
    city_row = next((r for r in rows if r.region == city), None)
    if city_row is not None:
        checks = [
            sum_discrepancy(
                "sum_parts",
                "核心产业增加值细分",
                "core value added by DE code",
                [v for code, v in totals.items() if code[:2] in CORE_CATEGORIES],
                city_row.core_value_added,
                1e-9,
            )
        ]
        if region is None:
            checks.append(
                sum_discrepancy(
                    "sum_parts",
                    "各市(区)与市本级核心产业增加值",
                    "core value added of the districts and the unallocated units",
                    [r.core_value_added for r in rows if r is not city_row],
                    city_row.core_value_added,
                    1e-9,
                )
            )
        warnings.extend(d.notice() for d in checks if d is not None)
    return AccountsTable(
        period=str(chosen),
        edition=edition,
        level=level,
        rows=rows,
        breakdown=totals,
        demo=has_demo_data(session),
        known_at=known_at,
        warnings=warnings,
    )


__all__ = [
    "UNALLOCATED",
    "UNALLOCATED_EN",
    "UNALLOCATED_ZH",
    "AccountsTable",
    "RegionAccount",
    "RegionInfo",
    "accounts_table",
    "breakdown",
    "region_accounts",
    "row_label",
]
