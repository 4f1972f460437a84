"""Progress of every indicator of the policy against its target, from stored data.

DE01 (core share of GDP) is computed from the value-added accounts; the other indicators come
from their approved observations (latest vintage).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.periods import Period
from demonitor.core.progress import Assessment, assess, assess_count, target_met
from demonitor.store.accounts import region_accounts
from demonitor.store.models import Indicator, Recognition, Region, Target
from demonitor.store.observations import ObservationStore, SeriesKey

COMPUTED_FROM_ACCOUNTS = "DE01"
# Counts made from recognition lists when a list has been imported: list name, and whether only
# digital-economy units count (DE02 counts 高新技术企业 in a digital-economy class).
COUNTED_FROM_RECOGNITIONS = {
    "DE02": ("高新技术企业", True),
    "DE07": ("国家智能制造示范项目", False),
    "DE08": ("省级工业互联网标杆工厂", False),
    "DE09": ("智能制造示范工厂", False),
    "DE10": ("智能制造示范车间", False),
}


def recognition_counts(
    session: Session, code: str, edition: str, base_year: int, years: range
) -> dict[float, float] | None:
    """Cumulative counts since the base year from a recognition list, or None without a list."""
    list_name, digital_only = COUNTED_FROM_RECOGNITIONS[code]
    rows = list(
        session.execute(
            select(Recognition.credit_code, Recognition.year).where(
                Recognition.list_name == list_name
            )
        )
    )
    if not rows:
        return None
    digital: set[str] = set()
    if digital_only:
        from demonitor.store.accounts import latest_classifications

        digital = set(latest_classifications(session, edition))
    counts = {}
    for year in years:
        units = {
            credit_code
            for credit_code, recognised in rows
            if base_year < recognised <= year and (not digital_only or credit_code in digital)
        }
        counts[float(year)] = float(len(units))
    return counts


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
    current_year: float | None  # end of the latest period on the time axis (2024.5 = 2025Q2)
    current_value: float | None
    assessment: Assessment | None
    category: str  # achieved | on_track | … | no_data
    method: str  # how the status was reached, for the reader
    alarm_threshold: float | None = None

    @property
    def current_period(self) -> str:
        return "—" if self.current_year is None else time_label(self.current_year)

    @property
    def lagging(self) -> bool:
        return self.category in ("acceleration_needed", "limited", "deterioration")


def indicator_series(
    session: Session,
    code: str,
    region: str,
    edition: str,
    years: range,
    as_of: Period,
    known_at: dt.datetime | None = None,
) -> dict[float, float]:
    """Values on the continuous time axis of Period.end_time: annual values up to the as-of
    year, and for ratios the quarters of the as-of year up to the as-of quarter."""
    if code == COMPUTED_FROM_ACCOUNTS:
        values = {}
        for year in years:
            account = region_accounts(session, edition, year, [region])[0]
            if account.share is not None:
                values[float(year)] = account.share
        return values
    if code in COUNTED_FROM_RECOGNITIONS and region == city_code(session):
        counted = recognition_counts(session, code, edition, years.start, years)
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


def city_code(session: Session) -> str:
    return session.scalars(select(Region.code).where(Region.level == "city")).one()


def time_label(time: float) -> str:
    """2024.0 → '2024', 2024.5 → '2025Q2'."""
    if float(time).is_integer():
        return str(int(time))
    year = int(time) + 1
    return f"{year}Q{round((time - int(time)) * 4)}"


def progress_report(
    session: Session,
    edition: str,
    as_of: Period,
    region: str = "321200",
    known_at: dt.datetime | None = None,
) -> list[IndicatorProgress]:
    """Progress up to the data period ``as_of``, from the vintages recorded by ``known_at``
    (default: the latest ones)."""
    report = []
    targets = session.scalars(select(Target).where(Target.region_code == region))
    indicators = {i.code: i for i in session.scalars(select(Indicator))}
    for target in sorted(targets, key=lambda t: t.indicator_code):
        indicator = indicators[target.indicator_code]
        years = range(target.base_year, as_of.year + 1)
        values = indicator_series(session, indicator.code, region, edition, years, as_of, known_at)
        base = values.get(float(target.base_year))
        current_time = max(values) if values else None
        current = values.get(current_time) if current_time is not None else None
        current_year = current_time
        assessment: Assessment | None = None
        if current is None or current_year is None:
            category, method = "no_data", "无数据 / no data"
        elif indicator.kind == "milestone":
            met = target_met(current, target.target, "eq")
            category = (
                "achieved"
                if met
                else ("limited" if current_year < target.target_year else "deterioration")
            )
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
                history=sorted((t, v) for t, v in values.items() if t >= target.base_year),
                natural_limit=100.0 if indicator.unit == "%" and indicator.code != "DE01" else None,
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
                alarm_threshold=target.alarm_threshold,
            )
        )
    return report


@dataclass(frozen=True)
class Alert:
    code: str
    name_zh: str
    reasons_zh: tuple[str, ...]
    reasons_en: tuple[str, ...]


def alerts(report: list[IndicatorProgress]) -> list[Alert]:
    """Indicators whose status is worse than on track, or beyond their alarm threshold, and why."""
    found = []
    for p in report:
        zh: list[str] = []
        en: list[str] = []
        a = p.assessment
        if p.lagging:
            if a is not None and a.ratio is not None:
                zh.append(
                    f"进度比率R={a.ratio:.2f}（正常需≥0.95），完成度{a.current_status:.0%}，"
                    f"序时进度{a.time_elapsed:.0%}"
                )
                en.append(
                    f"pace ratio R={a.ratio:.2f} (on track needs ≥0.95), progress "
                    f"{a.current_status:.0%} against {a.time_elapsed:.0%} of the time"
                )
            else:
                zh.append(f"{p.target_year}年目标尚未达成")
                en.append(f"the {p.target_year} target is not yet reached")
        if (
            p.alarm_threshold is not None
            and p.current_value is not None
            and p.current_value < p.alarm_threshold
        ):
            zh.append(f"当前值{p.current_value:g}低于触警阈值{p.alarm_threshold:g}")
            en.append(
                f"value {p.current_value:g} is below the alarm threshold {p.alarm_threshold:g}"
            )
        if p.category == "no_data":
            zh.append("缺少数据")
            en.append("no data")
        if zh:
            found.append(Alert(p.code, p.name_zh, tuple(zh), tuple(en)))
    return found
