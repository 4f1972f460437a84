"""Value-added accounting: shares of GDP, composition, 贡献率 and 拉动 (METHODS.md §3).

贡献率_i (%) = ΔVA_i / ΔGDP × 100, both increments at comparable (constant) prices;
拉动_i (pp) = GDP growth (%) × 贡献率_i / 100 = ΔVA_i / GDP_{t−1} × 100.
With previous-year prices, ΔVA_i = VA_{i,t−1} (current prices) × (I_{i,t} / 100 − 1), where I
is the volume index with the previous year = 100. Never deflate this year's nominal level by
each industry's own growth: that mixes price structures and does not add up to 100 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


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


# Prices: which index turns nominal into real figures ---------------------------------------------

GDP_IMPLICIT_DEFLATOR = "GDP implicit deflator"  # (GDP_t / GDP_{t−1}) / (1 + real growth)
GDP_PRICE_INDEX = "GDP_deflator"  # the GDP price index (previous period = 100), as published
CORE_PRICE_INDEX = "DE_core_deflator"  # the core industries' price index; _01 … _04 by category
# Published growth rates and indices carry one decimal: half a unit of it.
GROWTH_ROUNDING = 0.05
# A GDP price index is flagged when it lies this many index points beyond what the nominal ratio
# and the (rounded) real growth allow.
PRICE_INDEX_TOLERANCE = 0.1


def core_price_series(category: str | None = None) -> str:
    """The series of a core price index: the whole core, or one category (01–04)."""
    return f"{CORE_PRICE_INDEX}_{category}" if category else CORE_PRICE_INDEX


@dataclass(frozen=True)
class Notice:
    """Something a reader of the accounts must see beside the figures: a warning, not an error.

    ``kind``: ``price_index`` (a price index disagrees with the growth rate), ``identity`` (a
    sum that should hold does not), ``breakdown`` (an industry breakdown is incomplete)."""

    kind: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


def price_index_gap(
    nominal_ratio: float, real_growth: float, price_index: float, rounding: float = GROWTH_ROUNDING
) -> float:
    """Index points by which a published price index lies outside the range the nominal ratio
    (value_t / value_{t−1}) and a real growth rate rounded to one decimal allow; 0 inside it.

    Growth g published as 5.0 is anything in [4.95, 5.05], so the implied index is anywhere in
    [ratio / (1 + (g + 0.05) %), ratio / (1 + (g − 0.05) %)] × 100."""
    low = nominal_ratio / (1 + (real_growth + rounding) / 100) * 100
    high = nominal_ratio / (1 + (real_growth - rounding) / 100) * 100
    return max(low - price_index, price_index - high, 0.0)


@dataclass(frozen=True)
class GdpPrices:
    """Real GDP growth and the GDP deflator of a period, with where they come from."""

    real_growth: float | None  # %, published, or derived from the price index
    price_index: float | None  # previous period = 100
    source: str  # GDP_PRICE_INDEX | GDP_IMPLICIT_DEFLATOR | "" (none)
    growth_derived: bool
    warnings: tuple[Notice, ...]


def gdp_prices(
    gdp: float | None,
    gdp_before: float | None,
    real_growth: float | None,
    price_index: float | None,
) -> GdpPrices:
    """The GDP deflator: the published price index when there is one, else the implicit one
    (nominal ratio / (1 + real growth)). Without a published growth rate, real growth is derived
    from the nominal ratio and the price index. When both are published and disagree beyond the
    rounding of one-decimal figures (``price_index_gap`` > ``PRICE_INDEX_TOLERANCE``), a warning
    says so; the published index is still the one used."""
    ratio = gdp / gdp_before if gdp and gdp_before else None
    if price_index:
        if real_growth is None:
            if ratio is None:
                return GdpPrices(None, price_index, GDP_PRICE_INDEX, False, ())
            derived = (ratio / (price_index / 100) - 1) * 100
            return GdpPrices(derived, price_index, GDP_PRICE_INDEX, True, ())
        warnings: tuple[Notice, ...] = ()
        if ratio is not None:
            gap = price_index_gap(ratio, real_growth, price_index)
            if gap > PRICE_INDEX_TOLERANCE:
                low = ratio / (1 + (real_growth + GROWTH_ROUNDING) / 100) * 100
                high = ratio / (1 + (real_growth - GROWTH_ROUNDING) / 100) * 100
                warnings = (
                    Notice(
                        "price_index",
                        f"GDP价格指数{price_index:.1f}与现价增长和可比价增速{real_growth:.1f}%不符："
                        f"二者推算的指数为{low:.2f}～{high:.2f}，相差{gap:.2f}点"
                        "（已计增速一位小数的修约）",
                        f"the GDP price index {price_index:.1f} disagrees with nominal growth and "
                        f"the comparable growth of {real_growth:.1f} %: together they imply "
                        f"{low:.2f}–{high:.2f}, {gap:.2f} points apart (allowing for one-decimal "
                        "rounding of the growth)",
                    ),
                )
        return GdpPrices(real_growth, price_index, GDP_PRICE_INDEX, False, warnings)
    if real_growth is not None and ratio is not None:
        implicit = ratio / (1 + real_growth / 100) * 100
        return GdpPrices(real_growth, implicit, GDP_IMPLICIT_DEFLATOR, False, ())
    return GdpPrices(real_growth, None, "", False, ())


@dataclass(frozen=True)
class GrowthFigures:
    """Growth of the core industries against GDP for one region and period."""

    share: float | None  # % of GDP
    nominal_growth: float | None  # %
    real_growth: float | None  # %
    deflator_source: str
    contribution: Contribution | None
    gdp_real_growth: float | None = None  # %, published or derived from the GDP price index
    gdp_price_index: float | None = None  # the GDP deflator used, previous period = 100
    # category → the price index it was deflated with ('' when the core was deflated whole)
    deflators: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Notice, ...] = ()


DEFLATOR_NAMES = {
    GDP_IMPLICIT_DEFLATOR: ("GDP隐含平减指数", "the implicit GDP deflator"),
    GDP_PRICE_INDEX: ("GDP价格指数", "the GDP price index"),
    **{
        core_price_series(c): (f"核心产业{c}大类价格指数", f"the price index of core category {c}")
        for c in CORE_CATEGORIES
    },
    CORE_PRICE_INDEX: ("核心产业价格指数", "the core industries' price index"),
}


def deflator_names(source: str) -> tuple[str, str]:
    """The Chinese and English names of a ``deflator_source`` (one index, or several with the
    categories each served): what a reader is shown instead of series codes."""
    zh, en = source, source
    # Longest first: DE_core_deflator_01 before DE_core_deflator.
    for code in sorted(DEFLATOR_NAMES, key=len, reverse=True):
        name_zh, name_en = DEFLATOR_NAMES[code]
        zh, en = zh.replace(code, name_zh), en.replace(code, name_en)
    return zh or "—", en or "—"


def _name_sources(deflators: Mapping[str, str]) -> str:
    """'DE_core_deflator' when one index served every part, else 'A (01); B (02, 03)'."""
    sources = list(dict.fromkeys(deflators.values()))
    if len(sources) <= 1:
        return sources[0] if sources else ""
    return "; ".join(
        f"{source} ({', '.join(c for c, s in deflators.items() if s == source)})"
        for source in sources
    )


def core_growth(
    core: float,
    core_before: float,
    gdp: float | None,
    gdp_before: float | None,
    gdp_real_growth: float | None,
    core_price_index: float | None = None,
    *,
    gdp_price_index: float | None = None,
    categories: Mapping[str, tuple[float, float]] | None = None,
    category_price_indices: Mapping[str, float] | None = None,
) -> GrowthFigures:
    """Share of GDP, nominal and real growth, 贡献率 and 拉动 of the core industries.

    Prices (previous period = 100), for each core category (``categories``: code → (value,
    value a year before)) or for the core as a whole: the category's own price index
    (``category_price_indices``), else the core industries' index (``core_price_index``), else
    the GDP deflator (``gdp_prices``: the GDP price index, else the implicit deflator). Each part
    is deflated separately and the constant-price increments are added up:
    ΔVA = Σ_c (VA_c,t / (P_c / 100) − VA_c,t−1) = Σ_c VA_c,t−1 × (I_c / 100 − 1).
    ΔGDP = GDP_{t−1} × real GDP growth. ``deflator_source`` names the index (or indices, with the
    categories each served) that was used.
    """
    share = value_added_share(core, gdp) if gdp else None
    nominal = (core / core_before - 1) * 100 if core_before else None
    prices = gdp_prices(gdp, gdp_before, gdp_real_growth, gdp_price_index)
    parts = categories if categories is not None else {"": (core, core_before)}
    own = category_price_indices or {}
    deflators: dict[str, str] = {}
    increment: float | None = 0.0
    for code, (value, before) in sorted(parts.items()):
        if not value and not before:
            continue
        if code and own.get(code):
            index, source = own[code], core_price_series(code)
        elif core_price_index:
            index, source = core_price_index, CORE_PRICE_INDEX
        elif prices.price_index:
            index, source = prices.price_index, prices.source
        else:
            increment = None  # a part without any price index: no real figures
            break
        deflators[code] = source
        assert increment is not None
        increment += value / (index / 100) - before
    real: float | None = None
    result: Contribution | None = None
    if increment is not None and deflators and core_before:
        real = increment / core_before * 100
        growth = prices.real_growth
        if gdp_before and growth:
            result = contribution(increment, gdp_before * growth / 100, gdp_before)
    else:
        deflators = {}
    return GrowthFigures(
        share,
        nominal,
        real,
        _name_sources(deflators),
        result,
        gdp_real_growth=prices.real_growth,
        gdp_price_index=prices.price_index,
        deflators=deflators,
        warnings=prices.warnings,
    )


# Identities of an industry breakdown, and of any total and its parts -----------------------------

# Σ拉动 may miss GDP growth by the rounding of the indices (half a unit of one decimal, which adds
# up to at most 0.05 points over an exhaustive split) and of the published growth (0.05).
PULL_TOLERANCE = 2 * GROWTH_ROUNDING
# Levels published to 0.01 亿元 add up to their total far within this relative tolerance.
LEVEL_TOLERANCE = 1e-4

INDUSTRIES: dict[str, tuple[str, str]] = {
    "primary": ("第一产业", "primary industry"),
    "secondary": ("第二产业", "secondary industry"),
    "tertiary": ("第三产业", "tertiary industry"),
}


@dataclass(frozen=True)
class Discrepancy:
    """An identity that does not hold: what was found, what it should be, and the message."""

    identity: str  # sum_contribution_rates | sum_pulls | sum_levels | sum_parts
    actual: float
    expected: float
    tolerance: float
    zh: str
    en: str

    def notice(self) -> Notice:
        return Notice("identity", self.zh, self.en)


def identity_discrepancies(
    contributions: Mapping[str, Contribution],
    gdp_growth: float,
    tolerance: float = PULL_TOLERANCE,
) -> list[Discrepancy]:
    """Σ拉动 = GDP growth and Σ贡献率 = 100 over an exhaustive split of GDP (METHODS.md §3).

    The two are one identity (Σ贡献率 − 100 = (Σ拉动 − g) / g × 100), so both are reported when
    Σ拉动 misses g by more than ``tolerance`` points; the tolerance of Σ贡献率 is the same one
    in its own units, tolerance / |g| × 100. Empty when the identities hold."""
    pulls = sum(c.pull for c in contributions.values())
    rates = sum(c.contribution_rate for c in contributions.values())
    if abs(pulls - gdp_growth) <= tolerance + 1e-9:
        return []
    found = []
    if gdp_growth:
        rate_tolerance = tolerance / abs(gdp_growth) * 100
        found.append(
            Discrepancy(
                "sum_contribution_rates",
                rates,
                100.0,
                rate_tolerance,
                f"恒等式不成立：Σ贡献率={rates:.1f}% ≠ 100（容差±{rate_tolerance:.1f}）",
                f"identity broken: Σ contribution rates = {rates:.1f} % ≠ 100 "
                f"(tolerance ±{rate_tolerance:.1f})",
            )
        )
    found.append(
        Discrepancy(
            "sum_pulls",
            pulls,
            gdp_growth,
            tolerance,
            f"恒等式不成立：Σ拉动={pulls:.2f}个百分点 ≠ GDP增速{gdp_growth:.1f}%"
            f"（容差±{tolerance:.2f}）",
            f"identity broken: Σ pulls = {pulls:.2f} points ≠ GDP growth {gdp_growth:.1f} % "
            f"(tolerance ±{tolerance:.2f})",
        )
    )
    return found


def sum_discrepancy(
    identity: str,
    label_zh: str,
    label_en: str,
    parts: Iterable[float],
    total: float,
    relative_tolerance: float = LEVEL_TOLERANCE,
) -> Discrepancy | None:
    """Parts (万元) that should add up to a total and do not, beyond ``relative_tolerance``."""
    actual = sum(parts)
    tolerance = max(abs(total) * relative_tolerance, 1e-6)
    if abs(actual - total) <= tolerance:
        return None
    return Discrepancy(
        identity,
        actual,
        total,
        tolerance,
        f"恒等式不成立：Σ{label_zh}={actual / 10_000:.2f}亿元 ≠ {total / 10_000:.2f}亿元",
        f"identity broken: Σ {label_en} = {actual / 10_000:.2f} 亿元 ≠ {total / 10_000:.2f} 亿元",
    )


@dataclass(frozen=True)
class IndustryRow:
    """One industry of a breakdown of GDP, with its contribution to GDP growth."""

    industry: str  # a key of INDUSTRIES
    previous: float  # value added a year before, current prices (万元)
    current: float | None  # value added of the period, current prices (万元)
    volume_index: float  # previous year = 100
    contribution: Contribution


def industry_breakdown(
    previous: Mapping[str, float],
    current: Mapping[str, float | None],
    volume_indices: Mapping[str, float],
    gdp_previous: float,
    gdp_growth: float | None,
    exhaustive: bool = True,
) -> tuple[list[IndustryRow], list[Discrepancy]]:
    """贡献率 and 拉动 of each industry at previous-year prices, and, when the industries split
    GDP ``exhaustive``-ly, the identities of the split (``identity_discrepancies``). ΔGDP comes
    from the GDP growth; without it, from the sum of the industries' increments (then the
    identities hold by construction and are not checked). Nothing when ΔGDP is zero:
    contributions are undefined."""
    increments = [constant_price_increment(previous[k], volume_indices[k]) for k in previous]
    growth = gdp_growth if gdp_growth is not None else sum(increments) / gdp_previous * 100
    if not growth or gdp_previous <= 0:
        return [], []
    contributions = contributions_at_previous_year_prices(
        previous, volume_indices, gdp_previous, 100 + growth
    )
    rows = [
        IndustryRow(key, previous[key], current.get(key), volume_indices[key], contributions[key])
        for key in previous
    ]
    checked = exhaustive and gdp_growth is not None
    found = identity_discrepancies(contributions, growth) if checked else []
    return rows, found
