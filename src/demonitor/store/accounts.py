"""Core-industry value added from stored microdata, and the accounts built on it.

Value added of a unit is its reported 增加值 where it reports one, otherwise 营业收入 × the
增加值率 of its industry (the GB/T class, else its division; the rate of the same year, else
the latest earlier one). Which source each figure used is counted and shown. Units without a
figure are counted as missing, never silently dropped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.accounts import (
    Contribution,
    constant_price_increment,
    contribution,
    value_added_share,
)
from demonitor.core.periods import Period
from demonitor.store.models import (
    Classification,
    Enterprise,
    Financial,
    Region,
    ValueAddedRate,
)
from demonitor.store.observations import ObservationStore, SeriesKey

CORE_CATEGORIES = ("01", "02", "03", "04")


@dataclass
class Cell:
    """Value added of one region × class (or category) × period, with its sources."""

    value_added: float = 0.0  # 万元
    units: int = 0
    reported: int = 0
    estimated: int = 0
    missing: int = 0


@dataclass
class Accounts:
    edition: str
    year: int
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)  # (region, de key) → cell

    def total(self, region: str, keys: tuple[str, ...] = CORE_CATEGORIES) -> float:
        return sum(
            cell.value_added
            for (r, key), cell in self.cells.items()
            if r == region and key[:2] in keys
        )


def latest_classifications(session: Session, edition: str) -> dict[str, str]:
    """credit code → DE code of the newest classified vintage under the edition."""
    rows = session.execute(
        select(Classification.credit_code, Classification.de_code, Classification.status)
        .where(Classification.edition == edition)
        .order_by(Classification.credit_code, Classification.vintage)
    )
    latest: dict[str, str | None] = {}
    for credit_code, de_code, status in rows:
        latest[credit_code] = de_code if status == "classified" else None
    return {code: de for code, de in latest.items() if de}


def _latest_financials(session: Session, period: str) -> dict[str, Financial]:
    rows = session.scalars(
        select(Financial).where(Financial.period == period).order_by(Financial.vintage)
    )
    return {row.credit_code: row for row in rows}


def _rates(session: Session, year: int) -> dict[str, float]:
    """industry code → rate, taking the latest year ≤ ``year`` and its newest vintage."""
    rows = session.scalars(
        select(ValueAddedRate)
        .where(ValueAddedRate.year <= year)
        .order_by(ValueAddedRate.year, ValueAddedRate.vintage)
    )
    return {row.industry_code: row.rate for row in rows}


def county_level_of(session: Session) -> dict[str, str]:
    """region → the county-level unit whose totals include it (a zone counts with its host)."""
    return {r.code: r.administered_with or r.code for r in session.scalars(select(Region))}


def as_period(period: int | Period) -> Period:
    return period if isinstance(period, Period) else Period(period)


def build_accounts(
    session: Session, edition: str, period: int | Period, level: str = "category"
) -> Accounts:
    """Value added by county-level region × DE category (``level``: category, group or class).

    ``period`` is a year, or a quarter whose figures are cumulative from January (累计), as
    enterprises report them.
    """
    period = as_period(period)
    year = period.year
    width = {"category": 2, "group": 4, "class": 6}[level]
    classes = latest_classifications(session, edition)
    financials = _latest_financials(session, str(period))
    rates = _rates(session, year)
    county = county_level_of(session)
    accounts = Accounts(edition=edition, year=year)
    enterprises = session.execute(
        select(Enterprise.credit_code, Enterprise.region_code, Enterprise.industry_code)
    )
    for credit_code, region, industry in enterprises:
        de_code = classes.get(credit_code)
        if de_code is None:
            continue
        cell = accounts.cells.setdefault((county.get(region, region), de_code[:width]), Cell())
        cell.units += 1
        figures = financials.get(credit_code)
        if figures is not None and figures.value_added is not None:
            cell.value_added += figures.value_added
            cell.reported += 1
            continue
        rate = rates.get(industry, rates.get(industry[:2]))
        if figures is not None and figures.revenue is not None and rate is not None:
            cell.value_added += figures.revenue * rate
            cell.estimated += 1
        else:
            cell.missing += 1
    return accounts


@dataclass(frozen=True)
class RegionAccount:
    """The core industries of one region in one year, against its GDP."""

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


def region_accounts(
    session: Session, edition: str, period: int | Period, regions: list[str] | None = None
) -> list[RegionAccount]:
    """Accounts for each county-level region and the city (sum of its county-level units).

    For a quarter, every figure is cumulative from January and compared with the same period a
    year earlier, as NBS publishes quarterly contributions (累计).
    """
    period = as_period(period)
    before_period = period.same_period_last_year()
    cumulative = period.frequency != "A"
    year = period.year
    current = build_accounts(session, edition, period)
    previous = build_accounts(session, edition, before_period)
    store = ObservationStore(session, "reader")
    region_rows = {r.code: r for r in session.scalars(select(Region))}
    city = next(code for code, r in region_rows.items() if r.level == "city")
    county_units = sorted(
        c for c, r in region_rows.items() if r.level in ("district", "county_city")
    )
    wanted = regions or [city, *county_units]
    results = []
    for region in wanted:
        members = county_units if region == city else [region]

        def total(accounts: Accounts, members: list[str] = members) -> float:
            return sum(accounts.total(m) for m in members)

        def cells(accounts: Accounts, members: list[str] = members) -> list[Cell]:
            return [
                c
                for (r, key), c in accounts.cells.items()
                if r in members and key[:2] in CORE_CATEGORIES
            ]

        core = total(current)
        core_before = total(previous)
        by_category = {
            cat: sum(current.total(m, (cat,)) for m in members) for cat in CORE_CATEGORIES
        }
        gdp_obs = store.latest(SeriesKey("GDP", region, str(period), cumulative))
        gdp_before_obs = store.latest(SeriesKey("GDP", region, str(before_period), cumulative))
        growth_obs = store.latest(SeriesKey("GDP_growth", region, str(period), cumulative))
        gdp = gdp_obs.value if gdp_obs else None
        gdp_before = gdp_before_obs.value if gdp_before_obs else None
        share = value_added_share(core, gdp) if gdp else None
        nominal = (core / core_before - 1) * 100 if core_before else None
        real = deflator_source = None
        result_contribution = None
        if gdp and gdp_before and growth_obs is not None and growth_obs.value is not None:
            # Implicit GDP deflator (previous year = 100), used for the core industries too
            # unless a core price index is loaded.
            price_index = (gdp / gdp_before) / (1 + growth_obs.value / 100) * 100
            deflator_source = "GDP implicit deflator"
            core_price = store.latest(
                SeriesKey("DE_core_deflator", region, str(period), cumulative)
            )
            if core_price is not None and core_price.value:
                price_index, deflator_source = core_price.value, "DE_core_deflator"
            if core_before:
                volume_index = (core / core_before) / (price_index / 100) * 100
                real = volume_index - 100
                result_contribution = contribution(
                    constant_price_increment(core_before, volume_index),
                    constant_price_increment(gdp_before, 100 + growth_obs.value),
                    gdp_before,
                )
        parts = cells(current)
        results.append(
            RegionAccount(
                region=region,
                year=year,
                period=str(period),
                core_value_added=core,
                by_category=by_category,
                gdp=gdp,
                share=share,
                nominal_growth=nominal,
                real_growth=real,
                deflator_source=deflator_source or "",
                contribution=result_contribution,
                units=sum(c.units for c in parts),
                reported=sum(c.reported for c in parts),
                estimated=sum(c.estimated for c in parts),
                missing=sum(c.missing for c in parts),
            )
        )
    return results


def category_totals(accounts: Accounts) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for (_, key), cell in accounts.cells.items():
        totals[key] += cell.value_added
    return dict(totals)
