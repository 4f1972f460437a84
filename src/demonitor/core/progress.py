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


def target_met(
    value: float, target: float, comparator: str, tolerance: float = 0.0, direction: int = 1
) -> bool:
    """Whether a value meets a target.

    ``approx`` (左右): within the tolerance on the wrong side — at least target − tolerance when
    higher is better, at most target + tolerance when lower is better; ``ge`` (达到), ``gt``
    (超过, strictly), ``le`` (不超过), ``lt`` (低于, strictly); ``eq`` (a milestone).
    """
    if comparator == "approx":
        return value >= target - tolerance if direction > 0 else value <= target + tolerance
    if comparator == "ge":
        return value >= target
    if comparator == "gt":
        return value > target
    if comparator == "le":
        return value <= target
    if comparator == "lt":
        return value < target
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


def bounded(value: float, natural_limit: float | None, direction: int = 1) -> float:
    """A projection kept on the feasible side of a natural limit: a cap when higher is better
    (a coverage rate stops at 100), a floor when lower is better (a rate stops at 0)."""
    if natural_limit is None:
        return value
    return min(value, natural_limit) if direction > 0 else max(value, natural_limit)


# The ways a status is reached (METHODS.md §1); a scheme names one for its rates.
ESCAP = "escap"  # category from the OLS trend projected to the target year (ESCAP 1.3a)
STATCAN = "statcan"  # category from the pace ratio R of compound rates (Statistics Canada)
LINEAR = "linear"  # R = CS / 序时进度: counts, and rates whose compound rate is undefined
RATE_METHODS = (ESCAP, STATCAN)
METHOD_ZH = {
    ESCAP: "亚太经社会趋势外推法",
    STATCAN: "加拿大统计局比率法",
    LINEAR: "线性序时比率法",
}
METHOD_EN = {
    ESCAP: "ESCAP anticipated progress (OLS trend to the target year)",
    STATCAN: "Statistics Canada pace ratio R (compound rates)",
    LINEAR: "linear pace ratio R = CS / time elapsed",
}


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
    time_elapsed: float  # 序时进度 at the time of the current value
    ahead_of_schedule: bool  # CS ≥ 序时进度
    achieved_cagr: float | None
    required_cagr: float | None
    ratio: float | None  # pace ratio R (StatCan, or linear where named)
    projected_linear: float
    projected_cagr: float | None
    category: str
    method: str = STATCAN  # escap | statcan | linear: what decided the category
    projection: float | None = None  # the target-year value the category was based on
    gap: float | None = None  # ESCAP anticipated gap (TV − Î_T) / (TV − I₀)
    slope: float | None = None  # of the OLS line, per year

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
    method: str = STATCAN,
) -> Assessment:
    """The status of a rate from its base and current values (and history) against a target.

    ``statcan``: R = sign(I₀)·d·CAGR_achieved / |CAGR_required| and its thresholds; where a
    compound rate is undefined (a value of zero) the linear ratio CS / 序时进度 stands in.
    ``escap``: the OLS line through ``history`` (all points from the base on; the base and
    current values when none is given) projected to the target year: on track when the
    projection meets the target, acceleration needed when the trend goes the desired way but
    falls short, deterioration when it runs counter, limited when it is flat. Either way a rate
    bounded by a ``natural_limit`` is never projected past it.
    """
    if method not in RATE_METHODS:
        raise ValueError(f"未知进度方法 / unknown progress method: {method}")
    achieved = target_met(current_value, target, comparator, tolerance, direction)
    achieved_cagr = required_cagr = ratio = projected_cagr = None
    if base_value > 0 and current_value > 0 and target > 0 and current_year > base_year:
        achieved_cagr = cagr(base_value, current_value, current_year - base_year)
        required_cagr = cagr(base_value, target, target_year - base_year)
        projected_cagr = current_value * (1 + achieved_cagr) ** (target_year - current_year)
        if required_cagr != 0:
            ratio = math.copysign(1, base_value) * direction * achieved_cagr / abs(required_cagr)
    points = list(history) or [(base_year, base_value), (current_year, current_value)]
    intercept, slope = ols_line(points)
    projected_linear = bounded(intercept + slope * target_year, natural_limit, direction)
    status = current_status(base_value, current_value, target) if target != base_value else 1.0
    elapsed = time_elapsed(base_year, current_year, target_year)
    gap = (target - projected_linear) / (target - base_value) if target != base_value else None
    used = method
    projection: float | None
    if method == ESCAP:
        projection = projected_linear
        if achieved:
            category = "achieved"
        elif target_met(projection, target, comparator, tolerance, direction):
            category = "on_track"
        elif abs(slope) < 1e-12:
            category = "limited"
        elif direction * slope > 0:
            category = "acceleration_needed"
        else:
            category = "deterioration"
    else:
        projection = _limited(projected_cagr, natural_limit, direction)
        if ratio is None and elapsed > 0:
            # From a zero value no compound rate exists; the linear pace keeps it assessable.
            ratio, used, projection = status / elapsed, LINEAR, projected_linear
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
        projected_linear=projected_linear,
        projected_cagr=_limited(projected_cagr, natural_limit, direction),
        category=category,
        method=used,
        projection=projection,
        gap=gap,
        slope=slope,
    )


def _limited(value: float | None, limit: float | None, direction: int = 1) -> float | None:
    return None if value is None else bounded(value, limit, direction)


def assess_count(
    base_year: float,
    current_year: float,
    count_so_far: float,
    target_year: float,
    target: float,
    base_value: float = 0.0,
) -> Assessment:
    """A count against its target, on the linear pace: R = CS / 序时进度.

    For a count since the base year (示范工厂 recognised since 2022) ``base_value`` is 0 and CS is
    count / target; for a stock (brands established in all) CS = (I_c − I₀) / (TV − I₀). A
    compound rate is undefined from zero, so the pace is linear, with the StatCan thresholds.
    """
    elapsed = time_elapsed(base_year, current_year, target_year)
    status = (count_so_far - base_value) / (target - base_value)
    ratio = status / elapsed if elapsed > 0 else None
    projected = base_value + (count_so_far - base_value) / elapsed if elapsed > 0 else count_so_far
    # A count cannot fall: no progress at all is "limited", not "deterioration".
    category = pace_category(ratio, count_so_far >= target, floor_at_limited=True)
    return Assessment(
        base_year=base_year,
        base_value=base_value,
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
        projected_linear=projected,
        projected_cagr=None,
        category=category,
        method=LINEAR,
        projection=projected,
    )


def expected_count(
    target: float, base_year: float, current_year: float, target_year: float
) -> float:
    """The count expected by now if progress were even: target × 序时进度."""
    return target * time_elapsed(base_year, current_year, target_year)
