"""Which progress method an indicator gets, its status, and the alerts (pure).

The reports layer gathers an indicator's values on the continuous time axis of
``Period.end_time`` (2024.0 is the end of 2024, 2024.5 the end of 2025Q2) and its target; this
module decides how to judge them and says why, for the reader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from demonitor.core.progress import Assessment, assess, assess_count, target_met

LAGGING = ("acceleration_needed", "limited", "deterioration")


def time_label(time: float) -> str:
    """2024.0 → '2024', 2024.5 → '2025Q2'."""
    if float(time).is_integer():
        return str(int(time))
    year = int(time) + 1
    return f"{year}Q{round((time - int(time)) * 4)}"


@dataclass(frozen=True)
class TargetSpec:
    """What an indicator is judged against (a target row with its indicator's kind and unit)."""

    code: str
    name_zh: str
    unit: str
    kind: str  # ratio | count_cumulative | milestone
    comparator: str
    target: float
    target_year: int
    base_year: int
    tolerance: float = 0.0
    alarm_threshold: float | None = None
    natural_limit: float | None = None


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
        return self.category in LAGGING


def judge(spec: TargetSpec, values: Mapping[float, float]) -> IndicatorProgress:
    """The status of an indicator from its values (time → value) against its target."""
    base = values.get(float(spec.base_year))
    current_year = max(values) if values else None
    current = values.get(current_year) if current_year is not None else None
    assessment: Assessment | None = None
    if current is None or current_year is None:
        category, method = "no_data", "无数据 / no data"
    elif spec.kind == "milestone":
        met = target_met(current, spec.target, "eq")
        category = (
            "achieved"
            if met
            else ("limited" if current_year < spec.target_year else "deterioration")
        )
        method = "里程碑：是否达成 / milestone reached or not"
    elif spec.kind == "count_cumulative":
        assessment = assess_count(
            spec.base_year, current_year, current, spec.target_year, spec.target
        )
        category = assessment.category
        method = "累计数对序时进度（线性）/ cumulative count against the schedule"
    elif base is None or current_year == spec.base_year:
        met = target_met(current, spec.target, spec.comparator, spec.tolerance)
        category = "achieved" if met else "no_data"
        method = "仅一期数据 / one data point only"
    else:
        assessment = assess(
            spec.base_year,
            base,
            current_year,
            current,
            spec.target_year,
            spec.target,
            comparator=spec.comparator,
            tolerance=spec.tolerance,
            history=sorted((t, v) for t, v in values.items() if t >= spec.base_year),
            natural_limit=spec.natural_limit,
        )
        category = assessment.category
        method = "加拿大统计局比率法 / Statistics Canada ratio R"
    return IndicatorProgress(
        code=spec.code,
        name_zh=spec.name_zh,
        unit=spec.unit,
        kind=spec.kind,
        comparator=spec.comparator,
        target=spec.target,
        target_year=spec.target_year,
        base_year=spec.base_year,
        base_value=base,
        current_year=current_year,
        current_value=current,
        assessment=assessment,
        category=category,
        method=method,
        alarm_threshold=spec.alarm_threshold,
    )


@dataclass(frozen=True)
class Alert:
    code: str
    name_zh: str
    reasons_zh: tuple[str, ...]
    reasons_en: tuple[str, ...]


def alerts(report: Sequence[IndicatorProgress]) -> list[Alert]:
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


def trend(values: Mapping[float, float]) -> str | None:
    """up | down | flat from the previous value, or None with fewer than two values."""
    if len(values) < 2:
        return None
    times = sorted(values)
    last, previous = values[times[-1]], values[times[-2]]
    if abs(last - previous) < 1e-9:
        return "flat"
    return "up" if last > previous else "down"
