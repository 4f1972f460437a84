"""Progress of every indicator of the policy against its target, from stored data.

DE01 (core share of GDP) is computed from the value-added accounts; the other indicators come
from their approved observations (latest vintage).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.periods import Period
from demonitor.core.progress import Assessment, assess, assess_count, target_met
from demonitor.store.accounts import region_accounts
from demonitor.store.models import Indicator, Target
from demonitor.store.observations import ObservationStore, SeriesKey

COMPUTED_FROM_ACCOUNTS = "DE01"


@dataclass(frozen=True)
class IndicatorProgress:
    code: str
    name_zh: str
    unit: str
    kind: str
    comparator: str
    target: float
    target_year: int
    base_year: int
    base_value: float | None
    current_year: int | None
    current_value: float | None
    assessment: Assessment | None
    category: str  # achieved | on_track | … | no_data
    method: str  # how the status was reached, for the reader

    @property
    def lagging(self) -> bool:
        return self.category in ("acceleration_needed", "limited", "deterioration")


def _series(
    session: Session, code: str, region: str, edition: str, years: range
) -> dict[int, float]:
    if code == COMPUTED_FROM_ACCOUNTS:
        values = {}
        for year in years:
            account = region_accounts(session, edition, year, [region])[0]
            if account.share is not None:
                values[year] = account.share
        return values
    store = ObservationStore(session, "reader")
    values = {}
    for year in years:
        observation = store.latest(SeriesKey(code, region, str(year)))
        if observation is not None and observation.value is not None:
            values[year] = observation.value
    return values


def progress_report(
    session: Session, edition: str, as_of: Period, region: str = "321200"
) -> list[IndicatorProgress]:
    report = []
    targets = session.scalars(select(Target).where(Target.region_code == region))
    indicators = {i.code: i for i in session.scalars(select(Indicator))}
    for target in sorted(targets, key=lambda t: t.indicator_code):
        indicator = indicators[target.indicator_code]
        years = range(target.base_year, as_of.year + 1)
        values = _series(session, indicator.code, region, edition, years)
        base = values.get(target.base_year)
        current_year = max(values) if values else None
        current = values.get(current_year) if current_year is not None else None
        assessment: Assessment | None = None
        if current is None or current_year is None:
            category, method = "no_data", "无数据 / no data"
        elif indicator.kind == "milestone":
            met = target_met(current, target.target, "eq")
            category = "achieved" if met else ("limited" if current_year < target.target_year
                                               else "deterioration")  # fmt: skip
            method = "里程碑：是否达成 / milestone reached or not"
        elif indicator.kind == "count_cumulative":
            assessment = assess_count(
                target.base_year, current_year, current, target.target_year, target.target
            )
            category = assessment.category
            method = "累计数对序时进度（线性）/ cumulative count against the schedule"
        elif base is None or current_year == target.base_year:
            met = target_met(current, target.target, target.comparator, target.tolerance)
            category = "achieved" if met else "no_data"
            method = "仅一期数据 / one data point only"
        else:
            assessment = assess(
                target.base_year,
                base,
                current_year,
                current,
                target.target_year,
                target.target,
                comparator=target.comparator,
                tolerance=target.tolerance,
            )
            category = assessment.category
            method = "加拿大统计局比率法 / Statistics Canada ratio R"
        report.append(
            IndicatorProgress(
                code=indicator.code,
                name_zh=indicator.name_zh,
                unit=indicator.unit,
                kind=indicator.kind,
                comparator=target.comparator,
                target=target.target,
                target_year=target.target_year,
                base_year=target.base_year,
                base_value=base,
                current_year=current_year,
                current_value=current,
                assessment=assessment,
                category=category,
                method=method,
            )
        )
    return report
