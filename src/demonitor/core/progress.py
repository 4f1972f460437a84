"""Progress against targets (METHODS.md §1 and §4): current status against 序时进度, the
Statistics Canada ratio and its categories, and extrapolation to the target year.

Every result keeps the inputs that produced it, so a bulletin can show how a status was reached.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Statistics Canada / Open SDG thresholds on R = CAGR achieved / CAGR required.
ON_TRACK = 0.95
ACCELERATION_NEEDED = 0.60
CATEGORIES = (
    "achieved",
    "on_track",
    "acceleration_needed",
    "limited",
    "deterioration",
    "no_data",
)
CATEGORY_ZH = {
    "achieved": "已达标",
    "on_track": "进度正常",
    "acceleration_needed": "需加快",
    "limited": "进展有限",
    "deterioration": "退步",
    "no_data": "无数据",
}
CATEGORY_EN = {
    "achieved": "achieved",
    "on_track": "on track",
    "acceleration_needed": "acceleration needed",
    "limited": "limited progress",
    "deterioration": "deterioration",
    "no_data": "no data",
}
DEFAULT_APPROX_TOLERANCE = 0.3  # "左右": met within ±0.3 percentage points


def cagr(start: float, end: float, years: float) -> float:
    """Compound annual growth rate as a fraction: (end / start)^(1 / years) − 1."""
    if start <= 0 or end <= 0 or years <= 0:
        raise ValueError("CAGR要求正的起止值和年数 / CAGR needs positive values and years")
    return float((end / start) ** (1.0 / years) - 1.0)


def times_growth(start: float, end: float) -> float:
    """增长了X倍: end / start − 1 ("增长了4.61倍" means ×5.61)."""
    return end / start - 1.0


def time_elapsed(base_year: float, current: float, target_year: float) -> float:
    """序时进度: the share of the plan period elapsed, (t_c − t₀) / (T − t₀)."""
    return (current - base_year) / (target_year - base_year)


def current_status(base_value: float, current_value: float, target: float) -> float:
    """CS: the share of the required progress already made, (I_c − I₀) / (TV − I₀)."""
    if target == base_value:
        raise ZeroDivisionError("目标值等于基期值 / the target equals the base value")
    return (current_value - base_value) / (target - base_value)


def target_met(value: float, target: float, comparator: str, tolerance: float = 0.0) -> bool:
    """Whether a value meets a target: ``approx`` (左右, within ±tolerance), ``ge`` (达到),
    ``gt`` (超过, strictly), ``eq`` (a milestone)."""
    if comparator == "approx":
        return value >= target - tolerance
    if comparator == "ge":
        return value >= target
    if comparator == "gt":
        return value > target
    if comparator == "eq":
        return math.isclose(value, target)
    raise ValueError(f"未知比较方式 / unknown comparator: {comparator}")


def pace_category(ratio: float | None, achieved: bool, floor_at_limited: bool = False) -> str:
    """The Statistics Canada category of a pace ratio R."""
    if achieved:
        return "achieved"
    if ratio is None:
        return "no_data"
    if ratio >= ON_TRACK:
        return "on_track"
    if ratio >= ACCELERATION_NEEDED:
        return "acceleration_needed"
    if ratio >= 0 or floor_at_limited:
        return "limited"
    return "deterioration"


def ols_line(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Intercept and slope of the least-squares line through (t, y)."""
    if len(points) < 2:
        raise ValueError("至少需要两个点 / at least two points are needed")
    n = len(points)
    t_mean = sum(t for t, _ in points) / n
    y_mean = sum(y for _, y in points) / n
    sxx = sum((t - t_mean) ** 2 for t, _ in points)
    if sxx == 0:
        raise ValueError("时间点相同 / all points are at the same time")
    slope = sum((t - t_mean) * (y - y_mean) for t, y in points) / sxx
    return y_mean - slope * t_mean, slope


@dataclass(frozen=True)
class Assessment:
    """The status of one indicator, with everything that produced it."""

    base_year: float
    base_value: float
    current_year: float
    current_value: float
    target_year: float
    target: float
    direction: int  # +1 higher is better, −1 lower is better
    current_status: float  # CS
    time_elapsed: float  # 序时进度
    ahead_of_schedule: bool  # CS ≥ 序时进度
    achieved_cagr: float | None
    required_cagr: float | None
    ratio: float | None  # StatCan R
    projected_linear: float
    projected_cagr: float | None
    category: str

    @property
    def category_zh(self) -> str:
        return CATEGORY_ZH[self.category]


def assess(
    base_year: float,
    base_value: float,
    current_year: float,
    current_value: float,
    target_year: float,
    target: float,
    direction: int = 1,
    comparator: str = "ge",
    tolerance: float = 0.0,
    history: Sequence[tuple[float, float]] = (),
    natural_limit: float | None = None,
) -> Assessment:
    """Statistics Canada's ratio R = sign(I₀)·d·CAGR_achieved / |CAGR_required| and category.

    The linear projection to the target year is the OLS line through ``history`` (all points
    from the base year on), or through the base and current values when no history is given.
    A rate bounded by a ``natural_limit`` (100 % for coverage rates) is never projected past it.
    """
    achieved = (
        target_met(current_value, target, comparator, tolerance)
        if direction > 0
        else current_value <= target
    )
    achieved_cagr = required_cagr = ratio = projected_cagr = None
    if base_value > 0 and current_value > 0 and target > 0 and current_year > base_year:
        achieved_cagr = cagr(base_value, current_value, current_year - base_year)
        required_cagr = cagr(base_value, target, target_year - base_year)
        projected_cagr = current_value * (1 + achieved_cagr) ** (target_year - current_year)
        if required_cagr != 0:
            ratio = math.copysign(1, base_value) * direction * achieved_cagr / abs(required_cagr)
    points = list(history) or [(base_year, base_value), (current_year, current_value)]
    intercept, slope = ols_line(points)
    status = current_status(base_value, current_value, target) if target != base_value else 1.0
    elapsed = time_elapsed(base_year, current_year, target_year)
    category = pace_category(ratio, achieved)
    return Assessment(
        base_year=base_year,
        base_value=base_value,
        current_year=current_year,
        current_value=current_value,
        target_year=target_year,
        target=target,
        direction=direction,
        current_status=status,
        time_elapsed=elapsed,
        ahead_of_schedule=status >= elapsed,
        achieved_cagr=achieved_cagr,
        required_cagr=required_cagr,
        ratio=ratio,
        projected_linear=min(intercept + slope * target_year, natural_limit or math.inf),
        projected_cagr=_limited(projected_cagr, natural_limit),
        category=category,
    )


def _limited(value: float | None, limit: float | None) -> float | None:
    if value is None or limit is None:
        return value
    return min(value, limit)


def assess_count(
    base_year: float,
    current_year: float,
    count_so_far: float,
    target_year: float,
    target: float,
) -> Assessment:
    """A count accumulated since the base year (e.g. 示范工厂 recognised since 2022).

    A compound rate is undefined from zero, so the pace ratio is linear: R = CS / 序时进度, the
    share of the target reached over the share of the time elapsed, with the same thresholds.
    """
    elapsed = time_elapsed(base_year, current_year, target_year)
    status = count_so_far / target
    ratio = status / elapsed if elapsed > 0 else None
    # A count cannot fall: no progress at all is "limited", not "deterioration".
    category = pace_category(ratio, count_so_far >= target, floor_at_limited=True)
    return Assessment(
        base_year=base_year,
        base_value=0.0,
        current_year=current_year,
        current_value=count_so_far,
        target_year=target_year,
        target=target,
        direction=1,
        current_status=status,
        time_elapsed=elapsed,
        ahead_of_schedule=status >= elapsed,
        achieved_cagr=None,
        required_cagr=None,
        ratio=ratio,
        projected_linear=count_so_far / elapsed if elapsed > 0 else count_so_far,
        projected_cagr=None,
        category=category,
    )


def expected_count(
    target: float, base_year: float, current_year: float, target_year: float
) -> float:
    """The count expected by now if progress were even: target × 序时进度."""
    return target * time_elapsed(base_year, current_year, target_year)
