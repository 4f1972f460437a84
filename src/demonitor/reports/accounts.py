"""The value-added accounts as people read them: core industries by region against GDP.

Built from the materialised cells (``store.account_cells``) and the GDP observations; the
arithmetic is ``core.accounts``. Every output that shows an account — the CLI's ``account``, the
dashboard, the districts page, the API — reads it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from demonitor.core.accounts import (
    CORE_CATEGORIES,
    Cell,
    CellKey,
    Contribution,
    core_growth,
    core_total,
    roll_up,
)
from demonitor.core.periods import Period
from demonitor.reports.common import RegionInfo, city_code, has_demo_data, regions
from demonitor.store.account_cells import account_cells
from demonitor.store.observations import ObservationStore, SeriesKey

LEVEL_WIDTH = {"category": 2, "group": 4, "class": 6}


@dataclass(frozen=True)
class RegionAccount:
    """The core industries of one region in one period, against its GDP."""

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


@dataclass(frozen=True)
class AccountsTable:
    """What ``demonitor account`` prints and the districts page shows."""

    period: str
    edition: str
    level: str  # category | group | class: the width of ``breakdown``
    rows: list[RegionAccount]
    breakdown: dict[str, float]  # DE code at ``level`` → value added of the whole city, 万元
    demo: bool


def as_period(period: int | str | Period) -> Period:
    if isinstance(period, Period):
        return period
    return Period.parse(str(period))


def county_units(session: Session) -> list[str]:
    return sorted(r.code for r in regions(session) if r.level in ("district", "county_city"))


def region_accounts(
    session: Session,
    edition: str,
    period: int | str | Period,
    wanted: list[str] | None = None,
    *,
    known_at: object = None,  # placeholder until the accounts take a vintage date (helper)
) -> list[RegionAccount]:
    """Accounts for each county-level region and the city (sum of its county-level units).

    For a quarter, every figure is cumulative from January and compared with the same period a
    year earlier, as NBS publishes quarterly contributions (累计).
    """
    period = as_period(period)
    before_period = period.same_period_last_year()
    cumulative = period.frequency != "A"
    current = account_cells(session, edition, period)
    previous = account_cells(session, edition, before_period)
    store = ObservationStore(session, "reader")
    city = city_code(session)
    counties = county_units(session)
    results = []
    for region in wanted or [city, *counties]:
        members = counties if region == city else [region]
        parts = core_total(current, members)
        core = parts.value_added
        core_before = core_total(previous, members).value_added

        def value(series: str, when: Period, region: str = region) -> float | None:
            found = store.latest(SeriesKey(series, region, str(when), cumulative))
            return found.value if found is not None else None

        figures = core_growth(
            core,
            core_before,
            value("GDP", period),
            value("GDP", before_period),
            value("GDP_growth", period),
            value("DE_core_deflator", period),
        )
        results.append(
            RegionAccount(
                region=region,
                year=period.year,
                period=str(period),
                core_value_added=core,
                by_category={
                    c: core_total(_only(current, c), members).value_added for c in CORE_CATEGORIES
                },
                gdp=value("GDP", period),
                share=figures.share,
                nominal_growth=figures.nominal_growth,
                real_growth=figures.real_growth,
                deflator_source=figures.deflator_source,
                contribution=figures.contribution,
                units=parts.units,
                reported=parts.reported,
                estimated=parts.estimated,
                missing=parts.missing,
            )
        )
    return results


def _only(cells: dict[CellKey, Cell], category: str) -> dict[CellKey, Cell]:
    return {key: cell for key, cell in cells.items() if key[1][:2] == category}


def breakdown(
    session: Session, edition: str, period: int | str | Period, level: str = "category"
) -> dict[str, float]:
    """Value added of the whole city by DE category, group or class (万元)."""
    cells = roll_up(account_cells(session, edition, as_period(period)), LEVEL_WIDTH[level])
    totals: dict[str, float] = {}
    for (_, code), cell in cells.items():
        totals[code] = totals.get(code, 0.0) + cell.value_added
    return totals


def accounts_table(
    session: Session,
    edition: str,
    period: int | str | Period,
    region: str | None = None,
    level: str = "category",
) -> AccountsTable:
    """The accounts of the city and its county-level units (or of one region) for a period."""
    chosen = as_period(period)
    return AccountsTable(
        period=str(chosen),
        edition=edition,
        level=level,
        rows=region_accounts(session, edition, chosen, [region] if region else None),
        breakdown=breakdown(session, edition, chosen, level),
        demo=has_demo_data(session),
    )


__all__ = ["AccountsTable", "RegionAccount", "RegionInfo", "accounts_table", "region_accounts"]
