"""Period algebra: parsing, order, 累计 ↔ 当期, 同比 and 环比."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from demonitor.core.periods import (
    Period,
    PeriodError,
    cumulative_to_single,
    growth_rate,
    period_on_period,
    single_to_cumulative,
    year_on_year,
)

years = st.integers(1990, 2100)
periods = st.one_of(
    years.map(Period),
    st.builds(lambda y, q: Period(y, "Q", q), years, st.integers(1, 4)),
    st.builds(lambda y, m: Period(y, "M", m), years, st.integers(1, 12)),
)


def test_codes_parse_and_print_back() -> None:
    assert Period.parse("2024") == Period(2024)
    assert Period.parse("2024q3") == Period(2024, "Q", 3)
    assert str(Period.parse("2024M09")) == "2024M09"
    for bad in ("24", "2024Q5", "2024M13", "2024M9", "2024-09", ""):
        with pytest.raises(PeriodError):
            Period.parse(bad)


@given(periods)
def test_printing_and_parsing_are_inverse(period: Period) -> None:
    assert Period.parse(str(period)) == period


@given(periods, st.integers(-500, 500))
def test_shifting_back_and_forth_returns_the_period(period: Period, steps: int) -> None:
    assert period.shift(steps).shift(-steps) == period
    assert (period.shift(steps) > period) == (steps > 0)


@given(periods)
def test_year_on_year_base_is_the_period_shifted_a_whole_year(period: Period) -> None:
    per_year = {"A": 1, "Q": 4, "M": 12}[period.frequency]
    assert period.same_period_last_year() == period.shift(-per_year)


def test_period_on_period_crosses_the_year_boundary() -> None:
    assert Period.parse("2024Q1").previous() == Period.parse("2023Q4")
    assert Period.parse("2024M01").previous() == Period.parse("2023M12")
    assert Period.parse("2024M08").quarter() == Period.parse("2024Q3")


def test_taizhou_2023_quarterly_gdp_from_cumulative_figures() -> None:
    # Published cumulative GDP of 泰州市 in 2023 (亿元): Q1 1651, H1 3208.78, Q1–Q3 4974.
    cumulative = {
        Period.parse("2023Q1"): 1651.0,
        Period.parse("2023Q2"): 3208.78,
        Period.parse("2023Q3"): 4974.0,
    }
    single = cumulative_to_single(cumulative)
    # Hand calculation: Q2 = 3208.78 − 1651 = 1557.78; Q3 = 4974 − 3208.78 = 1765.22.
    assert single[Period.parse("2023Q1")] == pytest.approx(1651.0)
    assert single[Period.parse("2023Q2")] == pytest.approx(1557.78)
    assert single[Period.parse("2023Q3")] == pytest.approx(1765.22)


def test_a_gap_in_cumulative_figures_is_an_error_not_a_guess() -> None:
    with pytest.raises(PeriodError, match="2023Q2"):
        cumulative_to_single({Period.parse("2023Q1"): 1.0, Period.parse("2023Q3"): 3.0})


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=12), years)
def test_cumulating_and_differencing_are_inverse(values: list[float], year: int) -> None:
    single = {Period(year, "M", i + 1): v for i, v in enumerate(values)}
    back = cumulative_to_single(single_to_cumulative(single))
    for period, value in single.items():
        assert back[period] == pytest.approx(value, abs=1e-6)


def test_growth_rates_by_hand() -> None:
    # 泰州 2024Q1 1752.5 against 2023Q1 1651: (1752.5 / 1651 − 1) × 100 = 6.1478 % (nominal).
    values = {
        Period.parse("2023Q1"): 1651.0,
        Period.parse("2024Q1"): 1752.5,
        Period.parse("2023Q4"): 1700.0,
    }
    assert year_on_year(values, Period.parse("2024Q1")) == pytest.approx(6.14779, abs=1e-5)
    assert period_on_period(values, Period.parse("2024Q1")) == pytest.approx(3.088235, abs=1e-6)
    with pytest.raises(ZeroDivisionError):
        growth_rate(1.0, 0.0)


@given(periods)
def test_end_times_increase_and_a_year_ends_with_its_last_period(period: Period) -> None:
    assert period.shift(1).end_time > period.end_time
    per_year = {"A": 1, "Q": 4, "M": 12}[period.frequency]
    last = Period(period.year, period.frequency, per_year)
    assert last.end_time == Period(period.year).end_time == period.year
