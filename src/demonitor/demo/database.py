"""The demo database, 2020–2025Q2: register, financials, GDP, indicator observations (演示数据).

Deterministic for a seed. Real published figures (``policy/published-figures.csv``, reliability
A or B) are used where they exist, recorded with their source; every other value is synthetic
and stored with ``demo = true`` and a note saying so. The city, its districts, the demo's years,
paths and seed come from the city profile (``[demo]`` of city.toml and demo_indicators.csv).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.accounts import core_total
from demonitor.core.periods import Period
from demonitor.engine.duckdb_backend import classify_to_table
from demonitor.engine.rules import load_classification_rules
from demonitor.reference._files import data_path, read_csv_rows
from demonitor.reference.city import CityProfile, load_city
from demonitor.store.account_cells import compute_cells
from demonitor.store.catalogue import seed_reference
from demonitor.store.models import (
    Classification,
    Enterprise,
    Financial,
    Target,
    ValueAddedRate,
)
from demonitor.store.observations import (
    ObservationStore,
    SeriesKey,
    audit,
    ensure_period,
    utcnow,
)

DEMO_NOTE = "演示数据（合成）/ synthetic demo data"
# Share of the year's GDP reached by the end of each quarter (synthetic seasonal pattern).
CUMULATIVE_SEASONAL_SHARE = (0.236, 0.482, 0.735, 1.0)
HALF_YEAR_SHARE = CUMULATIVE_SEASONAL_SHARE[1]
# Cumulative comparable growth of city GDP, January–June (synthetic).
HALF_YEAR_GROWTH = {"2024Q2": 6.5, "2025Q2": 5.6}
DEMO_2025_CUMULATIVE = {"2025Q1": 1862.0, "2025Q2": 3741.0}  # 亿元, synthetic
# Illustrative 增加值率 by GB/T division, shipped as data in the varates template's columns
# (``demonitor import varates`` reads it): NOT official rates, and labelled so in every row.
ILLUSTRATIVE_RATES_FILE = "demo/illustrative_va_rates.csv"


def illustrative_rates() -> dict[str, float]:
    return {
        row["行业代码"]: float(row["增加值率（%）"]) / 100
        for row in read_csv_rows(data_path(ILLUSTRATIVE_RATES_FILE))
    }


DEFAULT_RATE = 0.25


@dataclass(frozen=True)
class DemoSummary:
    enterprises: int
    classified: int
    financial_rows: int
    observations: int


def published_figures() -> Iterator[dict[str, str]]:
    yield from read_csv_rows(data_path("policy/published-figures.csv"))


def _store_register(session: Session, rows: int, seed: int) -> tuple[int, int]:
    from demonitor.demo.register import write_demo_register

    rules = load_classification_rules()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "register.parquet"
        write_demo_register(path, rows, seed)
        classified = classify_to_table(path, rules).to_pylist()
        import pyarrow.parquet as pq

        scopes = pq.read_table(path, columns=["business_scope"]).column(0).to_pylist()
    kept = [
        (row, scope)
        for row, scope in zip(classified, scopes, strict=True)
        if row["status"] != "rejected"
    ]  # the demo keeps the register's good rows only
    session.add_all(
        Enterprise(
            credit_code=row["credit_code"],
            name=row["name"],
            region_code=row["region_code"],
            industry_code=row["industry_code"],
            business_scope=scope or "",
        )
        for row, scope in kept
    )
    session.flush()  # enterprises before the classifications that refer to them
    now = utcnow()
    session.add_all(
        Classification(
            credit_code=row["credit_code"],
            edition=row["edition"],
            de_code=row["de_code"] or None,
            status=row["status"],
            method=row["method"],
            evidence=row["evidence"],
            reason=row["reason"],
            vintage=1,
            recorded_at=now,
            recorded_by="demo",
        )
        for row, _ in kept
    )
    enterprises = len(kept)
    classifications = sum(row["status"] == "classified" for row, _ in kept)
    session.flush()
    return enterprises, classifications


def _store_rates(session: Session) -> None:
    now = utcnow()
    for division, rate in illustrative_rates().items():
        session.add(
            ValueAddedRate(
                industry_code=division,
                year=2020,
                rate=rate,
                source="示意值，非官方增加值率 / illustrative, not official",
                illustrative=True,
                recorded_at=now,
                recorded_by="demo",
            )
        )
    session.flush()


def _gdp_levels(city: CityProfile) -> dict[int, float]:
    """City GDP (亿元): published where it is (the first demo year must be), the other years
    chained with growth × price."""
    demo = city.demo
    published = {
        int(r["period"]): float(r["value"])
        for r in published_figures()
        if r["region_code"] == city.code and r["indicator"] == "GDP" and r["period"].isdigit()
    }
    first = demo.years[0]
    levels = {first: published[first]}
    for year in demo.years[1:]:
        chained = levels[year - 1] * (1 + demo.gdp_growth[year] / 100) * demo.gdp_price[year] / 100
        levels[year] = published.get(year, chained)
    return levels


def district_shares(year: int, city: CityProfile | None = None) -> dict[str, float]:
    """Each county-level unit's share of city GDP: the faster-growing units (靖江 and 泰兴)
    gain a little each year from the base year, and the shares are renormalised so that the
    districts always add up to the city."""
    city = city or load_city()
    faster = city.demo.faster_growing
    drifted = {
        code: share * (1 + 0.004 * (year - city.base_year) * (1 if code in faster else -0.5))
        for code, share in city.demo.district_gdp_share.items()
    }
    total = sum(drifted.values())
    return {code: value / total for code, value in drifted.items()}


def _store_gdp(store: ObservationStore, city: CityProfile) -> int:
    written = 0
    code = city.code
    published = {
        (r["indicator"], r["period"]) for r in published_figures() if r["region_code"] == code
    }
    levels = _gdp_levels(city)
    for year, level in levels.items():
        real = ("GDP", str(year)) in published
        note = "公开数据 / published figure" if real else DEMO_NOTE
        store.record(
            SeriesKey("GDP", code, str(year)), level * 10_000, unit="万元", note=note, demo=not real
        )
        real_growth = ("GDP_growth", str(year)) in published
        store.record(
            SeriesKey("GDP_growth", code, str(year)),
            city.demo.gdp_growth[year],
            unit="%",
            note="公开数据 / published figure" if real_growth else DEMO_NOTE,
            demo=not real_growth,
        )
        written += 2
        for district, share in district_shares(year, city).items():
            store.record(
                SeriesKey("GDP", district, str(year)),
                level * share * 10_000,
                unit="万元",
                note=DEMO_NOTE,
                demo=True,
            )
            store.record(
                SeriesKey("GDP_growth", district, str(year)),
                city.demo.gdp_growth[year]
                + (0.4 if district in city.demo.faster_growing else -0.2),
                unit="%",
                note=DEMO_NOTE,
                demo=True,
            )
            written += 2
    # Quarterly cumulative (累计) GDP for every quarter: published where it exists; otherwise
    # the year's level spread by a typical seasonal pattern (Q4 cumulative = the year).
    published_quarters = {
        row["period"]: (float(row["value"]), row["source_url"])
        for row in published_figures()
        if row["region_code"] == code and row["indicator"] == "GDP_cumulative"
    }
    for year in (*city.demo.years, 2025):
        for quarter, share in enumerate(CUMULATIVE_SEASONAL_SHARE, start=1):
            period = f"{year}Q{quarter}"
            if period in published_quarters:
                value, source = published_quarters[period]
                note, demo = f"公开数据 / published: {source}", False
            elif year == 2025:
                if quarter > 2:
                    break  # the demo ends with 2025Q2
                value = DEMO_2025_CUMULATIVE[period]
                note, demo = DEMO_NOTE, True
            else:
                value, note, demo = levels[year] * share, DEMO_NOTE, True
            store.record(
                SeriesKey("GDP", code, period, cumulative=True),
                value * 10_000,
                unit="万元",
                note=note,
                demo=demo,
            )
            written += 1
    for period, growth in HALF_YEAR_GROWTH.items():
        store.record(
            SeriesKey("GDP_growth", code, period, cumulative=True),
            growth,
            unit="%",
            note=DEMO_NOTE,
            demo=True,
        )
        written += 1
    return written


def _store_financials(session: Session, seed: int, city: CityProfile) -> int:
    """Revenue and value added per enterprise and year, calibrated to the demo core-share path."""
    rng = np.random.default_rng(seed)
    enterprises = list(session.execute(select(Enterprise.credit_code, Enterprise.industry_code)))
    count = len(enterprises)
    base = rng.lognormal(mean=8.0, sigma=1.1, size=count)  # 万元, 2020 revenue
    trend = rng.normal(0.07, 0.05, size=count)
    reports = rng.random(count) < 0.4  # 40 % report their value added themselves
    rate_noise = rng.normal(1.0, 0.08, size=count)
    rows = 0
    now = utcnow()
    levels = _gdp_levels(city)
    rates = illustrative_rates()
    annual: dict[str, Financial] = {}
    for offset, year in enumerate(city.demo.years):
        period = ensure_period(session, str(year))
        revenue = base * (1 + trend) ** offset
        figures = []
        for index, (credit_code, industry) in enumerate(enterprises):
            rate = rates.get(industry[:2], DEFAULT_RATE)
            value_added = revenue[index] * rate * rate_noise[index] if reports[index] else None
            figures.append((credit_code, float(revenue[index]), value_added))
        records = [
            Financial(
                credit_code=code,
                period=period,
                revenue=rev,
                value_added=va,
                employees=max(1, int(rev / 120)),
                vintage=1,
                recorded_at=now,
                recorded_by="demo",
                reason=DEMO_NOTE,
                demo=True,
            )
            for code, rev, va in figures
        ]
        session.add_all(records)
        session.flush()
        # Calibrate: scale this year's figures so the city's core share follows the demo path.
        edition = session.scalar(select(Classification.edition).limit(1))
        cells = compute_cells(session, edition or "", Period(year))
        core = core_total(cells, {region for region, _ in cells}).value_added
        wanted = city.demo.core_share_path[year] / 100 * levels[year] * 10_000
        factor = wanted / core if core else 1.0
        for record in records:
            record.revenue = (record.revenue or 0) * factor
            if record.value_added is not None:
                record.value_added *= factor
        session.flush()
        rows += len(records)
        annual = {record.credit_code: record for record in records}
    rows += _store_half_years(session, annual, now)
    return rows


def _store_half_years(session: Session, annual_2024: dict[str, Financial], now: dt.datetime) -> int:
    """January–June (累计) figures for 2024 and 2025, as enterprises report them quarterly: a
    seasonal share of the year, 2025 growing at the demo's core pace."""
    rows = 0
    for period, factor in (("2024Q2", HALF_YEAR_SHARE), ("2025Q2", HALF_YEAR_SHARE * 1.09)):
        code = ensure_period(session, period)
        session.add_all(
            Financial(
                credit_code=record.credit_code,
                period=code,
                revenue=None if record.revenue is None else record.revenue * factor,
                value_added=None if record.value_added is None else record.value_added * factor,
                employees=record.employees,
                vintage=1,
                recorded_at=now,
                recorded_by="demo",
                reason=DEMO_NOTE,
                demo=True,
            )
            for record in annual_2024.values()
        )
        rows += len(annual_2024)
    session.flush()
    return rows


def _store_indicators(store: ObservationStore, city: CityProfile) -> int:
    written = 0
    revision = city.demo.revision
    for code, path in city.demo.indicator_paths.items():
        for year, value in sorted(path.items()):
            revised_here = revision is not None and (code, str(year)) == (
                revision.indicator,
                revision.period,
            )
            store.record(
                SeriesKey(code, city.code, str(year)),
                revision.first if revision is not None and revised_here else value,
                note=DEMO_NOTE,
                demo=True,
                at=dt.datetime(year + 1, 1, 31, tzinfo=dt.UTC),
            )
            written += 1
    if revision is None:
        return written
    store.record(
        SeriesKey(revision.indicator, city.code, revision.period),
        revision.revised,
        note=DEMO_NOTE,
        reason=revision.reason,
        demo=True,
        at=dt.datetime(int(revision.period[:4]) + 1, 6, 30, tzinfo=dt.UTC),
    )
    return written + 1


def _store_district_indicators(store: ObservationStore, seed: int, city: CityProfile) -> int:
    """Districts' own values of the indicators they report: the city's value of the year plus a
    district offset (synthetic), centred so that their plain mean is the city's value."""
    rng = np.random.default_rng(seed + 4754)
    districts = sorted(r.code for r in city.regions.county_level())
    written = 0
    for code in city.collected_by_district():
        if code not in city.demo.indicator_paths:
            continue
        offsets = rng.normal(0.0, 4.0, len(districts))
        offsets -= offsets.mean()
        for year, city_value in sorted(city.demo.indicator_paths[code].items()):
            drift = rng.normal(0.0, 0.8, len(districts))
            drift -= drift.mean()
            for region, offset, noise in zip(districts, offsets, drift, strict=True):
                value = round(float(min(100.0, max(0.0, city_value + offset + noise))), 1)
                store.record(
                    SeriesKey(code, region, str(year)),
                    value,
                    note=DEMO_NOTE,
                    demo=True,
                    at=dt.datetime(year + 1, 1, 31, tzinfo=dt.UTC),
                )
                written += 1
    return written


def is_empty(session: Session) -> bool:
    """Whether the database holds no enterprise yet (the demo is built only in an empty one)."""
    return session.scalar(select(Enterprise.credit_code).limit(1)) is None


def build_demo(session: Session, rows: int | None = None, seed: int | None = None) -> DemoSummary:
    """Fill an empty, migrated database with the demo data set of the city profile (its
    ``[demo]`` rows and seed unless given)."""
    city = load_city()
    rows = city.demo.rows if rows is None else rows
    seed = city.demo.seed if seed is None else seed
    seed_reference(session, "demo", city)
    alarms = city.demo.alarms
    for target in session.scalars(select(Target).where(Target.indicator_code.in_(alarms))):
        target.alarm_threshold = alarms[target.indicator_code]
    enterprises, classified = _store_register(session, rows, seed)
    _store_rates(session)
    store = ObservationStore(session, "demo")
    observations = _store_gdp(store, city)
    financial_rows = _store_financials(session, seed, city)
    observations += _store_indicators(store, city)
    observations += _store_district_indicators(store, seed, city)
    # The demo writes its microdata in bulk; one audit entry records it, and the accounts follow.
    audit(
        session,
        "demo",
        "insert",
        "financial",
        "demo",
        None,
        {"enterprises": enterprises, "classified": classified, "financials": financial_rows},
        "演示数据 / demo data",
    )
    return DemoSummary(enterprises, classified, financial_rows, observations)
