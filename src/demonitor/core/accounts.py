"""Value-added accounting: shares of GDP, composition, 贡献率 and 拉动 (METHODS.md §3).

贡献率_i (%) = ΔVA_i / ΔGDP × 100, both increments at comparable (constant) prices;
拉动_i (pp) = GDP growth (%) × 贡献率_i / 100 = ΔVA_i / GDP_{t−1} × 100.
With previous-year prices, ΔVA_i = VA_{i,t−1} (current prices) × (I_{i,t} / 100 − 1), where I
is the volume index with the previous year = 100. Never deflate this year's nominal level by
each industry's own growth: that mixes price structures and does not add up to 100 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


# Value added of units, and the accounts of a region ---------------------------------------------

CORE_CATEGORIES = ("01", "02", "03", "04")


@dataclass
class Cell:
    """Value added of one region × DE class (or group, category) × period, with its sources."""

    value_added: float = 0.0  # 万元
    units: int = 0
    reported: int = 0
    estimated: int = 0
    missing: int = 0

    def add(self, other: Cell) -> None:
        self.value_added += other.value_added
        self.units += other.units
        self.reported += other.reported
        self.estimated += other.estimated
        self.missing += other.missing


CellKey = tuple[str, str]  # (county-level region, DE code)


def rate_of(industry: str, rates: Mapping[str, float]) -> float | None:
    """The 增加值率 of a GB/T class, else of its division."""
    return rates.get(industry, rates.get(industry[:2]))


def value_added_cells(
    units: Iterable[tuple[str, str, str, str]],
    figures: Mapping[str, tuple[float | None, float | None]],
    rates: Mapping[str, float],
) -> dict[CellKey, Cell]:
    """Value added by (region, DE class) of classified units.

    ``units`` are (credit code, county-level region, DE class, GB/T industry); ``figures`` maps a
    credit code to its (营业收入, 增加值) of the period. A unit's value added is its reported
    增加值, else 营业收入 × the rate of its industry; a unit with neither is counted as missing,
    never dropped silently.
    """
    cells: dict[CellKey, Cell] = {}
    for credit_code, region, de_code, industry in units:
        cell = cells.get((region, de_code))
        if cell is None:
            cell = cells[(region, de_code)] = Cell()
        cell.units += 1
        revenue, reported = figures.get(credit_code, (None, None))
        if reported is not None:
            cell.value_added += reported
            cell.reported += 1
            continue
        rate = rate_of(industry, rates)
        if revenue is not None and rate is not None:
            cell.value_added += revenue * rate
            cell.estimated += 1
        else:
            cell.missing += 1
    return cells


def roll_up(cells: Mapping[CellKey, Cell], width: int) -> dict[CellKey, Cell]:
    """Cells of DE classes summed to the first ``width`` digits (2 category, 4 group, 6 class)."""
    rolled: dict[CellKey, Cell] = {}
    for (region, code), cell in cells.items():
        rolled.setdefault((region, code[:width]), Cell()).add(cell)
    return rolled


def core_total(cells: Mapping[CellKey, Cell], regions: Iterable[str]) -> Cell:
    """The core industries (categories 01–04) of some regions, as one cell."""
    wanted = set(regions)
    total = Cell()
    for (region, code), cell in cells.items():
        if region in wanted and code[:2] in CORE_CATEGORIES:
            total.add(cell)
    return total


@dataclass(frozen=True)
class GrowthFigures:
    """Growth of the core industries against GDP for one region and period."""

    share: float | None  # % of GDP
    nominal_growth: float | None  # %
    real_growth: float | None  # %
    deflator_source: str
    contribution: Contribution | None


def core_growth(
    core: float,
    core_before: float,
    gdp: float | None,
    gdp_before: float | None,
    gdp_real_growth: float | None,
    core_price_index: float | None = None,
) -> GrowthFigures:
    """Share of GDP, nominal and real growth, 贡献率 and 拉动 of the core industries.

    Prices: the implicit GDP deflator (previous year = 100) unless a price index of the core
    industries is given (``core_price_index``, previous year = 100).
    """
    share = value_added_share(core, gdp) if gdp else None
    nominal = (core / core_before - 1) * 100 if core_before else None
    real: float | None = None
    source = ""
    result: Contribution | None = None
    if gdp and gdp_before and gdp_real_growth is not None:
        price_index = (gdp / gdp_before) / (1 + gdp_real_growth / 100) * 100
        source = "GDP implicit deflator"
        if core_price_index:
            price_index, source = core_price_index, "DE_core_deflator"
        if core_before:
            volume_index = (core / core_before) / (price_index / 100) * 100
            real = volume_index - 100
            result = contribution(
                constant_price_increment(core_before, volume_index),
                constant_price_increment(gdp_before, 100 + gdp_real_growth),
                gdp_before,
            )
    return GrowthFigures(share, nominal, real, source, result)
