"""Which progress method an indicator gets, its status, and the alerts (pure).

The reports layer gathers an indicator's values on the continuous time axis of
``Period.end_time`` (2024.0 is the end of 2024, 2024.5 the end of 2025Q2) and its target; this
module decides how to judge them and says why, for the reader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from demonitor.core.progress import (
    ESCAP,
    LINEAR,
    METHOD_EN,
    METHOD_ZH,
    Assessment,
    assess,
    assess_count,
    target_met,
    time_elapsed,
)

LAGGING = ("acceleration_needed", "limited", "deterioration")


def time_label(time: float) -> str:
    """2024.0 → '2024', 2024.5 → '2025Q2'."""
    if float(time).is_integer():
        return str(int(time))
    year = int(time) + 1
    return f"{year}Q{round((time - int(time)) * 4)}"


@dataclass(frozen=True)
class TargetSpec:
    """What an indicator is judged against (a target row with its indicator's catalogue entry)."""

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
    direction: int = 1  # +1 higher is better, −1 lower is better
    measure: str = "stock"  # stock | count_since_base
    missing_base: str = "no_assessment"  # no_assessment | first_value | zero
    method: str = ESCAP  # for rates: escap | statcan (the scheme's choice)


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
    method: str  # how the status was reached, for the reader (names the method)
    alarm_threshold: float | None = None
    direction: int = 1
    as_of: float | None = None  # the end of the period the report is as of
    schedule: float | None = None  # 序时进度 at ``as_of``
    base_time: float | None = None  # the time of the value used as base (the base year or later)
    method_code: str = ""  # escap | statcan | linear | milestone | baseline | one_point | …
    projection: float | None = None  # the target-year value the category was based on

    @property
    def current_period(self) -> str:
        return "—" if self.current_year is None else time_label(self.current_year)

    @property
    def lagging(self) -> bool:
        return self.category in LAGGING

    @property
    def behind_as_of(self) -> bool:
        """The newest value is of an earlier period than the report is as of."""
        return (
            self.current_year is not None
            and self.as_of is not None
            and self.current_year < self.as_of - 1e-9
        )


def _base(
    spec: TargetSpec, values: Mapping[float, float], current_year: float
) -> tuple[float | None, float | None, str]:
    """The base value, its time, and a note when something stands in for a missing one."""
    base_year = float(spec.base_year)
    recorded = values.get(base_year)
    if spec.kind == "count_cumulative" and spec.measure == "count_since_base":
        note = ""
        if recorded:
            note = (
                f"自基期起累计，基期值{recorded:g}不计入 / counted since the base year; "
                f"the base-year value {recorded:g} is not part of the count"
            )
        return 0.0, base_year, note
    if recorded is not None:
        return recorded, base_year, ""
    if spec.missing_base == "zero":
        note = f"基期{spec.base_year}年无数据，按0计 / no base-year value, taken as 0"
        return 0.0, base_year, note
    if spec.missing_base == "first_value":
        later = sorted(t for t in values if base_year < t < current_year)
        if later:
            label = time_label(later[0])
            return (
                values[later[0]],
                later[0],
                f"基期{spec.base_year}年无数据，以{label}值为基期 / no value for the base year "
                f"{spec.base_year}; the first value after it ({label}) is the base",
            )
    return None, None, ""


def _method_text(code: str) -> str:
    return f"{METHOD_ZH[code]} / {METHOD_EN[code]}"


def judge(
    spec: TargetSpec, values: Mapping[float, float], as_of: float | None = None
) -> IndicatorProgress:
    """The status of an indicator as of a time from its values (time → value): only values of
    periods that end by ``as_of`` count, and 序时进度 is that of ``as_of``."""
    if as_of is not None:
        values = {t: v for t, v in values.items() if t <= as_of + 1e-9}
    current_year = max(values) if values else None
    current = values.get(current_year) if current_year is not None else None
    base, base_time, base_note = (
        _base(spec, values, current_year) if current_year is not None else (None, None, "")
    )
    assessment: Assessment | None = None
    method_code = ""
    notes = [base_note] if base_note else []
    if current is None or current_year is None:
        category, method_code, method = "no_data", "no_data", "无数据 / no data"
    elif spec.kind == "milestone":
        met = target_met(current, spec.target, "eq")
        category = (
            "achieved"
            if met
            else ("limited" if current_year < spec.target_year else "deterioration")
        )
        method_code, method = "milestone", "里程碑：是否达成 / milestone reached or not"
    elif base is None or base_time is None or current_year <= base_time:
        met = target_met(current, spec.target, spec.comparator, spec.tolerance, spec.direction)
        category = "achieved" if met else "no_data"
        method_code, method = "one_point", "仅一期数据 / one data point only"
    elif target_met(base, spec.target, spec.comparator, spec.tolerance, spec.direction):
        # Beyond the target at the base: achieved at baseline and left out of any ratio
        # (METHODS §1.2); falling back behind the target is a deterioration.
        met = target_met(current, spec.target, spec.comparator, spec.tolerance, spec.direction)
        category = "achieved" if met else "deterioration"
        method_code = "baseline"
        method = (
            "基期已达到目标"
            + ("" if met else "，现已回落")
            + " / the target was met at the base"
            + ("" if met else "; the value has since fallen back")
        )
    elif spec.kind == "count_cumulative":
        assessment = assess_count(
            base_time, current_year, current, spec.target_year, spec.target, base_value=base
        )
        category = assessment.category
        method_code = LINEAR
        measure = "自基期起累计数" if spec.measure == "count_since_base" else "存量（扣除基期值）"
        method = f"{measure}，{_method_text(LINEAR)}"
    else:
        assessment = assess(
            base_time,
            base,
            current_year,
            current,
            spec.target_year,
            spec.target,
            direction=spec.direction,
            comparator=spec.comparator,
            tolerance=spec.tolerance,
            history=sorted((t, v) for t, v in values.items() if t >= base_time),
            natural_limit=spec.natural_limit,
            method=spec.method,
        )
        category = assessment.category
        method_code = assessment.method
        points = sum(1 for t in values if t >= base_time)
        method = f"{_method_text(assessment.method)}，{points}期数据 / {points} data points"
    if as_of is not None and current_year is not None and current_year < as_of - 1e-9:
        notes.append(
            f"截至{time_label(as_of)}最新数据为{time_label(current_year)} / the newest value "
            f"by {time_label(as_of)} is of {time_label(current_year)}"
        )
    if notes:
        method = "；".join([method, *notes])
    start = base_time if base_time is not None else float(spec.base_year)
    when = as_of if as_of is not None else current_year
    schedule = (
        min(max(time_elapsed(start, when, spec.target_year), 0.0), 1.0)
        if when is not None and spec.target_year > start
        else None
    )
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
        direction=spec.direction,
        as_of=as_of,
        schedule=schedule,
        base_time=base_time,
        method_code=method_code,
        projection=assessment.projection if assessment else None,
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
            if a is not None and a.method == ESCAP and a.projection is not None:
                gap = "" if a.gap is None else f"（差距{a.gap:.0%}）"
                gap_en = "" if a.gap is None else f" (gap {a.gap:.0%} of the way)"
                zh.append(
                    f"按现有趋势{p.target_year}年约{a.projection:.4g}，未达目标{p.target:g}{gap}"
                )
                en.append(
                    f"on the present trend about {a.projection:.4g} in {p.target_year}, short "
                    f"of the target {p.target:g}{gap_en}"
                )
            elif a is not None and a.ratio is not None:
                zh.append(
                    f"进度比率R={a.ratio:.2f}（正常需≥0.95），完成度{a.current_status:.0%}，"
                    f"序时进度{a.time_elapsed:.0%}"
                )
                en.append(
                    f"pace ratio R={a.ratio:.2f} (on track needs ≥0.95), progress "
                    f"{a.current_status:.0%} against {a.time_elapsed:.0%} of the time"
                )
            elif p.method_code == "baseline":
                zh.append("基期已达标，现已回落至目标以外")
                en.append("the target was met at the base but is no longer")
            else:
                zh.append(f"{p.target_year}年目标尚未达成")
                en.append(f"the {p.target_year} target is not yet reached")
        if p.alarm_threshold is not None and p.current_value is not None:
            if p.direction > 0 and p.current_value < p.alarm_threshold:
                zh.append(f"当前值{p.current_value:g}低于触警阈值{p.alarm_threshold:g}")
                en.append(
                    f"value {p.current_value:g} is below the alarm threshold {p.alarm_threshold:g}"
                )
            elif p.direction < 0 and p.current_value > p.alarm_threshold:
                zh.append(f"当前值{p.current_value:g}高于触警阈值{p.alarm_threshold:g}")
                en.append(
                    f"value {p.current_value:g} is above the alarm threshold {p.alarm_threshold:g}"
                )
        if p.category == "no_data":
            zh.append("缺少数据")
            en.append("no data")
        if zh:
            found.append(Alert(p.code, p.name_zh, tuple(zh), tuple(en)))
    return found


def improving(values: Mapping[float, float], direction: int) -> bool | None:
    """Whether the latest move is for the better given the direction (None when flat or unknown)."""
    moved = trend(values)
    if moved is None or moved == "flat":
        return None
    return (moved == "up") == (direction > 0)


def trend(values: Mapping[float, float]) -> str | None:
    """up | down | flat from the previous value, or None with fewer than two values."""
    if len(values) < 2:
        return None
    times = sorted(values)
    last, previous = values[times[-1]], values[times[-2]]
    if abs(last - previous) < 1e-9:
        return "flat"
    return "up" if last > previous else "down"
