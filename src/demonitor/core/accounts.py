"""Value-added accounting: shares of GDP, composition, 贡献率 and 拉动 (METHODS.md §3).

贡献率_i (%) = ΔVA_i / ΔGDP × 100, both increments at comparable (constant) prices;
拉动_i (pp) = GDP growth (%) × 贡献率_i / 100 = ΔVA_i / GDP_{t−1} × 100.
With previous-year prices, ΔVA_i = VA_{i,t−1} (current prices) × (I_{i,t} / 100 − 1), where I
is the volume index with the previous year = 100. Never deflate this year's nominal level by
each industry's own growth: that mixes price structures and does not add up to 100 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


def value_added_share(value_added: float, gdp: float) -> float:
    """Share of GDP in percent."""
    if gdp <= 0:
        raise ValueError("地区生产总值须为正 / GDP must be positive")
    return value_added / gdp * 100.0


def composition(values: Mapping[str, float]) -> dict[str, float]:
    """Each part's share of the total, in percent (e.g. the four core categories)."""
    total = sum(values.values())
    if total == 0:
        raise ValueError("合计为0，无法计算构成 / the total is zero")
    return {key: value / total * 100.0 for key, value in values.items()}


def estimated_value_added(revenue: float, value_added_rate: float) -> float:
    """增加值 estimated as 营业收入 × 增加值率 (the rate as a fraction, e.g. 0.25)."""
    if not 0 <= value_added_rate <= 1:
        raise ValueError(
            f"增加值率应在0到1之间 / value-added rate must be in [0, 1]: {value_added_rate}"
        )
    return revenue * value_added_rate


def constant_price_increment(previous_value: float, volume_index: float) -> float:
    """ΔVA at previous-year prices: VA_{t−1} × (I_t / 100 − 1), I with the previous year = 100."""
    return previous_value * (volume_index / 100.0 - 1.0)


@dataclass(frozen=True)
class Contribution:
    """The contribution of one industry to GDP growth, with the inputs that produced it."""

    industry_increment: float  # ΔVA_i at comparable prices
    gdp_increment: float  # ΔGDP at comparable prices
    gdp_previous: float  # GDP_{t−1}
    contribution_rate: float  # 贡献率, %
    pull: float  # 拉动, percentage points
    gdp_growth: float  # %


def contribution(
    industry_increment: float, gdp_increment: float, gdp_previous: float
) -> Contribution:
    """贡献率 and 拉动 from constant-price increments."""
    if gdp_increment == 0:
        raise ZeroDivisionError(
            "GDP增量为0，贡献率无定义 / contribution is undefined for zero ΔGDP"
        )
    if gdp_previous <= 0:
        raise ValueError("上年地区生产总值须为正 / previous GDP must be positive")
    rate = industry_increment / gdp_increment * 100.0
    growth = gdp_increment / gdp_previous * 100.0
    return Contribution(
        industry_increment=industry_increment,
        gdp_increment=gdp_increment,
        gdp_previous=gdp_previous,
        contribution_rate=rate,
        pull=growth * rate / 100.0,
        gdp_growth=growth,
    )


def contributions_at_previous_year_prices(
    previous_values: Mapping[str, float],
    volume_indices: Mapping[str, float],
    gdp_previous: float,
    gdp_volume_index: float,
) -> dict[str, Contribution]:
    """Contributions of several industries, each from its previous-year level and volume index.

    ΔGDP is taken from the GDP volume index; when the industries split GDP exhaustively, the
    contribution rates add to 100 and the pulls to the growth rate.
    """
    gdp_increment = constant_price_increment(gdp_previous, gdp_volume_index)
    return {
        key: contribution(
            constant_price_increment(previous_values[key], volume_indices[key]),
            gdp_increment,
            gdp_previous,
        )
        for key in previous_values
    }
