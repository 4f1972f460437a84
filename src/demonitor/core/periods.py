"""Period algebra: annual, quarterly and monthly periods, 累计 ↔ 当期, 同比 and 环比.

Periods are written as the platform's codes: ``2024`` (year), ``2024Q3`` (quarter), ``2024M09``
(month). A cumulative (累计, year-to-date) value is always marked as such by the caller; this
module never guesses.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import total_ordering

from demonitor.core.errors import BilingualError

_PATTERN = re.compile(r"^(\d{4})(?:(Q)([1-4])|(M)(0[1-9]|1[0-2]))?$")
PER_YEAR = {"A": 1, "Q": 4, "M": 12}
# The years a statistic of the platform can be about: what people type (a period, a year of a
# file, a date of the audit filter) outside this range is a typo, refused before it is used.
# Arithmetic on periods (a previous year, a base year) may step outside; only input is checked.
YEAR_RANGE = (1949, 2100)


class PeriodError(BilingualError):
    """A period that cannot be read or is out of range. Built from one message written
    "中文 / English" (or from the two parts), so that it is a bilingual refusal (400, exit 2)."""

    def __init__(self, message: str, en: str | None = None) -> None:
        if en is None:
            zh, _, en = message.partition(" / ")
            en = en or message
        else:
            zh = message
        super().__init__(zh, en)


def year_problem(year: int, typed: str | None = None) -> tuple[str, str] | None:
    """Why a year typed by someone (``typed``, as written) is not one of the platform's
    (zh, en), or None."""
    first, last = YEAR_RANGE
    if first <= year <= last:
        return None
    shown = typed if typed is not None else str(year)
    return (
        f"年份{shown}超出{first}～{last}的范围",
        f"the year {shown} is outside {first}–{last}",
    )


@total_ordering
@dataclass(frozen=True)
class Period:
    """A period of a given frequency: ``A`` (year), ``Q`` (quarter) or ``M`` (month)."""

    year: int
    frequency: str = "A"
    index: int = 1  # quarter 1–4 or month 1–12; 1 for a year

    def __post_init__(self) -> None:
        if self.frequency not in PER_YEAR or not 1 <= self.index <= PER_YEAR[self.frequency]:
            raise PeriodError(
                f"无效期别 / invalid period: {self.year} {self.frequency}{self.index}"
            )

    @classmethod
    def parse(cls, code: str) -> Period:
        match = _PATTERN.match(code.strip().upper())
        if not match:
            raise PeriodError(
                f"期别「{code}」应写作2024、2024Q3或2024M09 / period must look like "
                "2024, 2024Q3 or 2024M09"
            )
        year = int(match.group(1))
        problem = year_problem(year, match.group(1))
        if problem is not None:
            raise PeriodError(f"期别「{code}」：{problem[0]}", f"period {code!r}: {problem[1]}")
        if match.group(2):
            return cls(year, "Q", int(match.group(3)))
        if match.group(4):
            return cls(year, "M", int(match.group(5)))
        return cls(year)

    def __str__(self) -> str:
        if self.frequency == "Q":
            return f"{self.year}Q{self.index}"
        if self.frequency == "M":
            return f"{self.year}M{self.index:02d}"
        return str(self.year)

    @property
    def ordinal(self) -> int:
        """Consecutive numbering within the frequency (for ordering and arithmetic)."""
        return self.year * PER_YEAR[self.frequency] + self.index - 1

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        if other.frequency != self.frequency:
            raise PeriodError(f"不能比较{self}与{other} / cannot compare different frequencies")
        return self.ordinal < other.ordinal

    def shift(self, steps: int) -> Period:
        """The period ``steps`` periods later (earlier when negative)."""
        per_year = PER_YEAR[self.frequency]
        ordinal = self.ordinal + steps
        return Period(ordinal // per_year, self.frequency, ordinal % per_year + 1)

    def previous(self) -> Period:
        """The base of 环比 (period-on-period)."""
        return self.shift(-1)

    def same_period_last_year(self) -> Period:
        """The base of 同比 (year-on-year)."""
        return Period(self.year - 1, self.frequency, self.index)

    def first_of_year(self) -> Period:
        return Period(self.year, self.frequency, 1)

    @property
    def end_time(self) -> float:
        """The end of the period on a continuous time axis where year Y ends at Y
        (2024 → 2024.0, 2024Q2 → 2023.5, 2024M09 → 2023.75): 序时进度 uses it."""
        return self.year - 1 + self.year_fraction

    @property
    def end_date(self) -> dt.date:
        """The last day of the period (2024Q2 → 2024-06-30)."""
        month = self.index * 12 // PER_YEAR[self.frequency]
        following = dt.date(self.year + month // 12, month % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    def within_year_up_to(self) -> list[Period]:
        """The quarters and months of this period's year that end by its end, newest first
        (2024M08 → 2024M08, 2024M07, 2024Q2, 2024M06, …); a year has none."""
        if self.frequency == "A":
            return []
        found = [
            Period(self.year, frequency, index)
            for frequency in ("Q", "M")
            for index in range(1, PER_YEAR[frequency] + 1)
            if Period(self.year, frequency, index).end_time <= self.end_time
        ]
        return sorted(found, key=lambda p: (p.end_time, p.frequency == "Q"), reverse=True)

    @property
    def year_fraction(self) -> float:
        """Share of the year elapsed at the end of this period (Q3 → 0.75, M06 → 0.5)."""
        return self.index / PER_YEAR[self.frequency]

    def quarter(self) -> Period:
        """The quarter a month falls in (a quarter is its own quarter)."""
        if self.frequency == "Q":
            return self
        if self.frequency == "M":
            return Period(self.year, "Q", (self.index - 1) // 3 + 1)
        raise PeriodError(f"{self} 是年度，没有季度 / a year has no single quarter")


def vintage_moment(text: str) -> dt.datetime:
    """The end (UTC) of a vintage date written 2024-06-30: what was recorded by then counts."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(
            f"数据版本日期「{text}」应写作YYYY-MM-DD，如2024-06-30 / the vintage date must be "
            "YYYY-MM-DD, e.g. 2024-06-30"
        ) from None
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


def cumulative_to_single(cumulative: Mapping[Period, float]) -> dict[Period, float]:
    """当期 values from 累计 (year-to-date) ones: Q_k = cum_k − cum_{k−1}; the first is itself.

    Every period needs its predecessor within the year; a gap is an error, never a guess.
    """
    single: dict[Period, float] = {}
    for period, value in cumulative.items():
        if period.index == 1:
            single[period] = value
            continue
        before = period.previous()
        if before not in cumulative:
            raise PeriodError(
                f"缺少{before}的累计值，无法求{period}当期值 / "
                f"the cumulative value of {before} is needed for {period}"
            )
        single[period] = value - cumulative[before]
    return single


def single_to_cumulative(single: Mapping[Period, float]) -> dict[Period, float]:
    """累计 values from 当期 ones, summing from the first period of each year."""
    cumulative: dict[Period, float] = {}
    for period in sorted(single, key=lambda p: (p.frequency, p.ordinal)):
        if period.index == 1:
            cumulative[period] = single[period]
            continue
        before = period.previous()
        if before not in cumulative:
            raise PeriodError(
                f"缺少{before}的当期值，无法累计{period} / "
                f"{before} is needed to accumulate {period}"
            )
        cumulative[period] = cumulative[before] + single[period]
    return cumulative


def growth_rate(current: float, base: float) -> float:
    """Growth in percent: (current / base − 1) × 100."""
    if base == 0:
        raise ZeroDivisionError("基期值为0，增速无定义 / growth from a zero base is undefined")
    return (current / base - 1.0) * 100.0


def year_on_year(values: Mapping[Period, float], period: Period) -> float:
    """同比增速 (%) of ``period`` against the same period a year earlier."""
    return growth_rate(values[period], values[period.same_period_last_year()])


def period_on_period(values: Mapping[Period, float], period: Period) -> float:
    """环比增速 (%) of ``period`` against the period before it."""
    return growth_rate(values[period], values[period.previous()])
