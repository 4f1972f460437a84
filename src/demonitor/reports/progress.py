"""Progress of every indicator against its target, and the alerts: what ``demonitor progress``
prints and every card of the dashboard shows.

Where an indicator's values come from is the catalogue's ``source``: ``accounts`` (the core share
of GDP, computed from the value-added accounts), ``recognitions:<list>`` (counted from a
recognition list once one has been imported) or ``observations`` (approved values, the latest
vintage or the newest one recorded by a vintage date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.monitoring import Alert, IndicatorProgress, TargetSpec, alerts, judge
from demonitor.core.periods import Period
from demonitor.core.progress import ESCAP, RATE_METHODS
from demonitor.reference.city import load_city, recognition_source
from demonitor.reports.accounts import region_accounts
from demonitor.reports.common import city_code, has_demo_data
from demonitor.store.account_cells import latest_classifications
from demonitor.store.models import Indicator, Recognition, Target
from demonitor.store.observations import ObservationStore, SeriesKey

FROM_ACCOUNTS = "accounts"

Series = dict[float, float]


@dataclass(frozen=True)
class ProgressTable:
    as_of: str
    region: str
    edition: str
    rows: list[IndicatorProgress]
    series: dict[str, Series]  # code → values on the time axis the rows were judged on
    alerts: list[Alert]
    demo: bool
    method: str = ESCAP  # how the rates were judged (core.progress.RATE_METHODS)
    known_at: dt.datetime | None = None  # the vintage date, when not the latest data


def assemble_series(
    value_of: Callable[[Period], float | None], years: range, as_of: Period
) -> Series:
    """Values on the time axis of ``Period.end_time`` known for periods that end by ``as_of``.

    Every full year from ``years.start`` to the last full year by then (a year without an annual
    value takes its Q4 year-to-date value, which ends at the same time), then — as of a quarter
    or month — the newest value of that year up to it (quarterly before monthly at the same end).
    """
    values: Series = {}
    # A year is complete as of its Q4 or December too (they end when it does).
    last_full = as_of.year if as_of.year_fraction == 1 else as_of.year - 1
    for year in range(years.start, min(years.stop - 1, last_full) + 1):
        value = value_of(Period(year))
        if value is None:
            value = value_of(Period(year, "Q", 4))
        if value is not None:
            values[float(year)] = value
    for period in as_of.within_year_up_to():
        value = value_of(period)
        if value is not None:
            values[period.end_time] = value
            break
    return values


def recognition_counter(
    session: Session,
    list_name: str,
    digital_only: bool,
    edition: str,
    base_year: int,
    known_at: dt.datetime | None = None,
) -> Callable[[Period], float] | None:
    """The count of units recognised after the base year and by the end of a period, or None
    when the list has not been imported (by ``known_at``).

    A recognition counts from its 认定日期, or from the end of its year when the list gave none:
    as of June a December recognition is not yet there.
    """
    query = select(Recognition.credit_code, Recognition.year, Recognition.recognised_on).where(
        Recognition.list_name == list_name
    )
    if known_at is not None:
        query = query.where(Recognition.recorded_at <= known_at)
    rows = list(session.execute(query))
    if not rows:
        return None
    digital = set(latest_classifications(session, edition, known_at)) if digital_only else set()
    dated = [
        (credit_code, recognised_on or dt.date(year, 12, 31))
        for credit_code, year, recognised_on in rows
        if not digital_only or credit_code in digital
    ]
    after = dt.date(base_year, 12, 31)

    def count(period: Period) -> float:
        end = period.end_date
        return float(len({code for code, day in dated if after < day <= end}))

    return count


def recognition_counts(
    session: Session, list_name: str, digital_only: bool, edition: str, base_year: int, years: range
) -> Series | None:
    """Cumulative counts since the base year at the end of each year, or None without a list."""
    counter = recognition_counter(session, list_name, digital_only, edition, base_year)
    if counter is None:
        return None
    return {float(year): counter(Period(year)) for year in years}


def indicator_series(
    session: Session,
    indicator: Indicator,
    region: str,
    edition: str,
    years: range,
    as_of: Period,
    known_at: dt.datetime | None = None,
) -> Series:
    """An indicator's values known by ``known_at`` (default: the latest vintages) for the periods
    that end by ``as_of``: annual values of the full years, and the newest quarterly or
    cumulative value of the as-of year (``assemble_series``)."""
    code = indicator.code
    if indicator.source == FROM_ACCOUNTS:

        def share(period: Period) -> float | None:
            account = region_accounts(session, edition, period, [region], known_at=known_at)[0]
            if account.reported + account.estimated == 0:
                return None  # no unit has figures for the period: no share, not a share of 0
            return account.share

        return assemble_series(share, years, as_of)
    recognised = recognition_source(indicator.source)
    if recognised is not None and region == city_code(session):
        counter = recognition_counter(
            session,
            recognised.list_name,
            recognised.digital_only,
            edition,
            years.start,
            known_at,
        )
        if counter is not None:
            return assemble_series(counter, years, as_of)
    store = ObservationStore(session, "reader")

    def observed(period: Period) -> float | None:
        for cumulative in (False, True):
            found = store.latest(SeriesKey(code, region, str(period), cumulative), as_of=known_at)
            if found is not None and found.value is not None:
                return found.value
        return None

    return assemble_series(observed, years, as_of)


def target_spec(indicator: Indicator, target: Target, method: str = ESCAP) -> TargetSpec:
    return TargetSpec(
        code=indicator.code,
        name_zh=indicator.name_zh,
        unit=indicator.unit,
        kind=indicator.kind,
        comparator=target.comparator,
        target=target.target,
        target_year=target.target_year,
        base_year=target.base_year,
        tolerance=target.tolerance,
        alarm_threshold=target.alarm_threshold,
        natural_limit=indicator.natural_limit,
        direction=1 if indicator.direction >= 0 else -1,
        measure=indicator.measure,
        missing_base=indicator.missing_base,
        method=method,
    )


def as_of_time(as_of: Period) -> float:
    """The end of the as-of period on the time axis (2024 → 2024.0, 2025Q2 → 2024.5)."""
    return as_of.end_time


def progress_table(
    session: Session,
    edition: str,
    as_of: Period,
    region: str | None = None,
    known_at: dt.datetime | None = None,
    method: str | None = None,
) -> ProgressTable:
    """Progress as of the data period ``as_of`` — only values of periods that end by then, and
    序时进度 of that period — from the vintages recorded by ``known_at`` (default: the latest),
    for the city unless a region is given. ``method`` (escap | statcan) overrides the city
    profile's ``progress_method`` for rates."""
    region = region or city_code(session)
    method = method or load_city().progress_method
    if method not in RATE_METHODS:
        raise ValueError(
            f"进度方法应为{'或'.join(RATE_METHODS)} / the method must be one of "
            f"{', '.join(RATE_METHODS)}: {method!r}"
        )
    indicators = {i.code: i for i in session.scalars(select(Indicator))}
    targets = session.scalars(select(Target).where(Target.region_code == region)).all()
    rows = []
    series = {}
    for target in sorted(targets, key=lambda t: t.indicator_code):
        indicator = indicators[target.indicator_code]
        years = range(target.base_year, as_of.year + 1)
        values = indicator_series(session, indicator, region, edition, years, as_of, known_at)
        series[indicator.code] = values
        rows.append(judge(target_spec(indicator, target, method), values, as_of_time(as_of)))
    return ProgressTable(
        as_of=str(as_of),
        region=region,
        edition=edition,
        rows=rows,
        series=series,
        alerts=alerts(rows),
        demo=has_demo_data(session),
        method=method,
        known_at=known_at,
    )
