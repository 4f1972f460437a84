"""How an indicator is judged (issue 9: direction, edge cases, counts, base year, one model per
status), from hand-worked numbers on the pure functions."""

from __future__ import annotations

import math

import pytest

from demonitor.core.monitoring import TargetSpec, alerts, improving, judge
from demonitor.core.progress import assess, target_met


def spec(**changes: object) -> TargetSpec:
    base = {
        "code": "X1",
        "name_zh": "测试指标",
        "unit": "%",
        "kind": "ratio",
        "comparator": "ge",
        "target": 100.0,
        "target_year": 2025,
        "base_year": 2022,
        "missing_base": "first_value",
    }
    base.update(changes)
    return TargetSpec(**base)  # type: ignore[arg-type]


# 5. Direction -------------------------------------------------------------------------------


def test_a_lower_is_better_indicator_moving_away_is_a_deterioration() -> None:
    # 10 → 12 against "about 5" (左右, ±0.3): before, the direction was dropped and 12 ≥ 5 - 0.3
    # read as 已达标.
    lower = spec(direction=-1, comparator="approx", tolerance=0.3, target=5.0)
    away = judge(lower, {2022.0: 10.0, 2024.0: 12.0})
    assert away.category == "deterioration"
    assert judge(lower, {2022.0: 10.0, 2024.0: 12.0}).direction == -1
    assert judge(replace_method(lower, "statcan"), {2022.0: 10.0, 2024.0: 12.0}).category == (
        "deterioration"
    )


def replace_method(target: TargetSpec, method: str) -> TargetSpec:
    from dataclasses import replace

    return replace(target, method=method)


def test_a_lower_is_better_indicator_approaching_its_target_by_hand() -> None:
    lower = spec(direction=-1, comparator="approx", tolerance=0.3, target=5.0)
    values = {2022.0: 10.0, 2024.0: 7.0}
    # ESCAP: the line through (2022, 10) and (2024, 7) falls 1.5 a year: 5.5 in 2025, which is
    # not within 5 + 0.3, but the trend goes the desired way: acceleration needed.
    escap = judge(lower, values)
    assert escap.projection == pytest.approx(5.5)
    assert escap.category == "acceleration_needed"
    # StatCan: CAGR achieved (0.7)^(1/2) − 1 = −16.33 %, required (0.5)^(1/3) − 1 = −20.63 %;
    # R = sign(I₀)·d·CAGR_a / |CAGR_r| = (−1)(−0.16334) / 0.20630 = 0.792.
    statcan = judge(replace_method(lower, "statcan"), values)
    assert statcan.assessment is not None
    assert statcan.assessment.ratio == pytest.approx(
        (1 - math.sqrt(0.7)) / (1 - 0.5 ** (1 / 3)), rel=1e-9
    )
    assert statcan.category == "acceleration_needed"
    # Reached: 5.2 is within 5 + 0.3.
    assert judge(lower, {2022.0: 10.0, 2024.0: 5.2}).category == "achieved"


def test_comparators_for_lower_is_better() -> None:
    assert target_met(5.3, 5, "approx", tolerance=0.3, direction=-1)
    assert not target_met(5.4, 5, "approx", tolerance=0.3, direction=-1)
    assert target_met(4.7, 5, "approx", tolerance=0.3, direction=1)
    assert target_met(5, 5, "le") and not target_met(5, 5, "lt") and target_met(4.9, 5, "lt")


def test_a_natural_limit_is_a_floor_when_lower_is_better_and_zero_is_a_limit() -> None:
    # 10 → 2 in two years: the line reaches −2 in 2025; a rate cannot fall below its limit 0.
    # Before, ``natural_limit or inf`` read the limit 0 as none and the cap was always min().
    result = assess(2022, 10, 2024, 2, 2025, 1, direction=-1, comparator="le", natural_limit=0)
    assert result.projected_linear == 0
    higher = assess(2022, 85, 2024, 100, 2025, 100, natural_limit=100)
    assert higher.projected_linear == 100


def test_alarm_thresholds_follow_the_direction() -> None:
    lower = spec(direction=-1, comparator="le", target=5.0, alarm_threshold=11.0)
    found = alerts([judge(lower, {2022.0: 10.0, 2024.0: 12.0})])
    assert any("高于触警阈值11" in r for r in found[0].reasons_zh)
    higher = spec(target=100.0, alarm_threshold=60.0)
    found = alerts([judge(higher, {2022.0: 40.0, 2024.0: 48.0})])
    assert any("低于触警阈值60" in r for r in found[0].reasons_zh)


def test_arrows_say_better_or_worse_by_direction() -> None:
    falling = {2023.0: 12.0, 2024.0: 9.0}
    assert improving(falling, -1) is True
    assert improving(falling, 1) is False
    assert improving({2023.0: 9.0, 2024.0: 9.0}, 1) is None


# 6. Edge cases ------------------------------------------------------------------------------


def test_a_base_already_beyond_the_target_is_achieved_at_baseline() -> None:
    # 14 in 2022 against 13.5 左右: before, CS = (14.2 − 14) / (13.5 − 14) = −0.4 …
    share = spec(comparator="approx", tolerance=0.3, target=13.5, unit="%")
    kept = judge(share, {2022.0: 14.0, 2024.0: 14.2})
    assert kept.category == "achieved" and kept.method_code == "baseline"
    assert kept.assessment is None  # excluded from every ratio (METHODS §1.2)
    fallen = judge(share, {2022.0: 14.0, 2024.0: 12.0})
    assert fallen.category == "deterioration"
    assert any("回落" in r for r in alerts([fallen])[0].reasons_zh)


def test_a_rate_starting_at_zero_falls_back_to_the_linear_ratio() -> None:
    # 0 → 40 of 100 by 2024: no compound rate from 0, so R = CS / 序时进度 = 0.4 / (2/3) = 0.6.
    result = judge(replace_method(spec(), "statcan"), {2022.0: 0.0, 2024.0: 40.0})
    assert result.assessment is not None
    assert result.method_code == "linear"
    assert result.assessment.ratio == pytest.approx(0.6)
    assert result.category == "acceleration_needed"
    assert "线性序时比率法" in result.method


# 7. Stocks and counts since the base ---------------------------------------------------------


def test_a_stock_count_is_measured_from_its_base_value() -> None:
    # DE23: one brand in 2022, three in 2024, four by 2025. As a stock CS = (3 − 1) / (4 − 1)
    # = 0.667 and R = 0.667 / 0.667 = 1.0; before it was 3 / 4 = 0.75 and R = 1.125.
    brands = spec(kind="count_cumulative", measure="stock", target=4.0, unit="个")
    result = judge(brands, {2022.0: 1.0, 2023.0: 2.0, 2024.0: 3.0})
    assert result.assessment is not None
    assert result.assessment.current_status == pytest.approx(2 / 3)
    assert result.assessment.ratio == pytest.approx(1.0)
    assert result.category == "on_track"
    since = spec(kind="count_cumulative", measure="count_since_base", target=4.0, unit="个")
    counted = judge(since, {2022.0: 1.0, 2024.0: 3.0})
    assert counted.assessment is not None
    assert counted.assessment.current_status == pytest.approx(0.75)
    assert "基期值1不计入" in counted.method


# 8. Base year -------------------------------------------------------------------------------


def test_a_missing_base_year_value_is_replaced_by_the_first_value_after_it() -> None:
    # Base 2020, values from 2022: the 2022 value is the base, and the method text says so.
    rate = spec(base_year=2020, target=90.0)
    result = judge(rate, {2022.0: 60.0, 2023.0: 70.0, 2024.0: 80.0}, as_of=2024.0)
    assert result.category != "no_data"
    assert result.base_value == 60.0 and result.base_time == 2022.0
    assert "以2022值为基期" in result.method
    # 序时进度 runs from the value used as base: (2024 − 2022) / (2025 − 2022).
    assert result.schedule == pytest.approx(2 / 3)
    assert judge(spec(base_year=2020, missing_base="no_assessment"), {2022.0: 60.0}).category == (
        "no_data"
    )


# 9. One model per status --------------------------------------------------------------------


def test_the_category_and_the_printed_projection_come_from_one_model() -> None:
    # DE17: 60, 75, 82 (2022–2024) towards "more than 95". OLS: slope 11, mean (2023, 72.33):
    # 94.33 in 2025, not above 95. ESCAP (default) asks to accelerate and prints 94.33.
    # StatCan's R = 1.02 says on track and prints the compound projection R stands for:
    # 82 × (82/60)^(1/2) = 95.86. Before, the StatCan category was printed beside 94.33.
    de17 = spec(comparator="gt", target=95.0, natural_limit=100.0)
    values = {2022.0: 60.0, 2023.0: 75.0, 2024.0: 82.0}
    escap = judge(de17, values)
    assert escap.projection == pytest.approx(72 + 1 / 3 + 2 * 11)
    assert escap.category == "acceleration_needed" and escap.method_code == "escap"
    assert escap.assessment is not None
    assert escap.assessment.gap == pytest.approx((95 - (72 + 1 / 3 + 22)) / (95 - 60))
    assert "亚太经社会" in escap.method and "3期数据" in escap.method
    statcan = judge(replace_method(de17, "statcan"), values)
    assert statcan.category == "on_track" and statcan.method_code == "statcan"
    assert statcan.projection == pytest.approx(82 * (82 / 60) ** 0.5)
    assert "加拿大统计局" in statcan.method
