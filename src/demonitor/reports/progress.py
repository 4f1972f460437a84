"""Progress of every indicator against its target, and the alerts: what ``demonitor progress``
prints and every card of the dashboard shows.

Where an indicator's values come from is the catalogue's ``source``: ``accounts`` (the core share
of GDP, computed from the value-added accounts), ``recognitions:<list>`` (counted from a
recognition list once one has been imported) or ``observations`` (approved values, the latest
vintage or the newest one recorded by a vintage date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.monitoring import Alert, IndicatorProgress, TargetSpec, alerts, judge
from demonitor.core.periods import Period
from demonitor.reference.city import recognition_source
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


def recognition_counts(
    session: Session, list_name: str, digital_only: bool, edition: str, base_year: int, years: range
) -> Series | None:
    """Cumulative counts since the base year from a recognition list, or None without a list."""
    rows = list(
        session.execute(
            select(Recognition.credit_code, Recognition.year).where(
                Recognition.list_name == list_name
            )
        )
    )
    if not rows:
        return None
    digital = set(latest_classifications(session, edition)) if digital_only else set()
    counts = {}
    for year in years:
        units = {
            credit_code
            for credit_code, recognised in rows
            if base_year < recognised <= year and (not digital_only or credit_code in digital)
        }
        counts[float(year)] = float(len(units))
    return counts


def indicator_series(
    session: Session,
    indicator: Indicator,
    region: str,
    edition: str,
    years: range,
    as_of: Period,
    known_at: dt.datetime | None = None,
) -> Series:
    """Values on the continuous time axis of Period.end_time: annual values up to the as-of
    year, and the quarters of the as-of year up to the as-of quarter."""
    code = indicator.code
    if indicator.source == FROM_ACCOUNTS:
        values = {}
        for year in years:
            account = region_accounts(session, edition, year, [region])[0]
            if account.share is not None:
                values[float(year)] = account.share
        return values
    recognised = recognition_source(indicator.source)
    if recognised is not None and region == city_code(session):
        counted = recognition_counts(
            session, recognised.list_name, recognised.digital_only, edition, years.start, years
        )
        if counted is not None:
            return counted
    store = ObservationStore(session, "reader")
    values = {}
    for year in years:
        observation = store.latest(SeriesKey(code, region, str(year)), as_of=known_at)
        if observation is not None and observation.value is not None:
            values[Period(year).end_time] = observation.value
    if as_of.frequency == "Q":
        for index in range(1, as_of.index + 1):
            quarter = Period(as_of.year, "Q", index)
            observation = store.latest(SeriesKey(code, region, str(quarter)), as_of=known_at)
            if observation is not None and observation.value is not None:
                values[quarter.end_time] = observation.value
    return values


def target_spec(indicator: Indicator, target: Target) -> TargetSpec:
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
    )


def progress_table(
    session: Session,
    edition: str,
    as_of: Period,
    region: str | None = None,
    known_at: dt.datetime | None = None,
) -> ProgressTable:
    """Progress up to the data period ``as_of``, from the vintages recorded by ``known_at``
    (default: the latest ones), for the city unless a region is given."""
    region = region or city_code(session)
    indicators = {i.code: i for i in session.scalars(select(Indicator))}
    targets = session.scalars(select(Target).where(Target.region_code == region)).all()
    rows = []
    series = {}
    for target in sorted(targets, key=lambda t: t.indicator_code):
        indicator = indicators[target.indicator_code]
        years = range(target.base_year, as_of.year + 1)
        values = indicator_series(session, indicator, region, edition, years, as_of, known_at)
        series[indicator.code] = values
        rows.append(judge(target_spec(indicator, target), values))
    return ProgressTable(
        as_of=str(as_of),
        region=region,
        edition=edition,
        rows=rows,
        series=series,
        alerts=alerts(rows),
        demo=has_demo_data(session),
    )
