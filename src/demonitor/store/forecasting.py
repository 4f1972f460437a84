"""Anticipated values of quarterly series from stored cumulative (累计) observations.

Chinese releases are cumulative; they are turned into single quarters (METHODS.md §4.5) before
ETS or ARIMA. Forecasts are for display as anticipated values only: targets are judged by the
annual rules of demonitor.core.progress.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.forecast import Forecast, arima_111_with_drift, ets_estimated
from demonitor.core.periods import Period, cumulative_to_single
from demonitor.store.models import Observation
from demonitor.store.observations import ObservationStore, SeriesKey

MINIMUM_QUARTERS = 8  # two full seasonal cycles


class NotEnoughData(ValueError):
    pass


@dataclass(frozen=True)
class SeriesForecast:
    history: dict[Period, float]  # single-quarter values used
    periods: tuple[Period, ...]  # the quarters forecast
    forecast: Forecast


def single_quarters(session: Session, series: str, region: str) -> dict[Period, float]:
    """Latest-vintage cumulative quarterly values, as single quarters, for the longest
    unbroken run of quarters that ends with the latest one."""
    codes = set(
        session.scalars(
            select(Observation.period).where(
                Observation.series == series,
                Observation.region_code == region,
                Observation.cumulative.is_(True),
            )
        )
    )
    store = ObservationStore(session, "reader")
    cumulative: dict[Period, float] = {}
    for code in codes:
        period = Period.parse(code)
        if period.frequency != "Q":
            continue
        latest = store.latest(SeriesKey(series, region, code, cumulative=True))
        if latest is not None and latest.value is not None:
            cumulative[period] = latest.value
    if not cumulative:
        return {}
    run = [max(cumulative)]
    while run[-1].previous() in cumulative:
        run.append(run[-1].previous())
    while run and run[-1].index != 1:  # start at a Q1 so that 累计 can be differenced
        run.pop()
    return cumulative_to_single({p: cumulative[p] for p in run})


def forecast_quarters(
    session: Session, series: str, region: str, horizon: int, method: str = "ets"
) -> SeriesForecast:
    history = single_quarters(session, series, region)
    if len(history) < MINIMUM_QUARTERS:
        raise NotEnoughData(
            f"{series}/{region}: 连续季度数据只有{len(history)}个，至少需要{MINIMUM_QUARTERS}个 / "
            f"only {len(history)} consecutive quarters; at least {MINIMUM_QUARTERS} are needed"
        )
    ordered = sorted(history)
    values = [history[p] for p in ordered]
    if method == "arima":
        result = arima_111_with_drift(values, horizon).forecast
    else:
        result = ets_estimated(values, period=4, horizon=horizon)
    periods = tuple(ordered[-1].shift(h) for h in range(1, horizon + 1))
    return SeriesForecast(history=history, periods=periods, forecast=result)
