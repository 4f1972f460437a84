"""Progress against targets, checked against the published and derived CAGR examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from demonitor.core.progress import (
    assess,
    cagr,
    current_status,
    ols_line,
    target_met,
    time_elapsed,
    times_growth,
)


def cases(fixtures: Path) -> dict[str, Any]:
    path = fixtures / "forecasting" / "cagr_target_tracking_examples.json"
    return {c["id"]: c for c in json.loads(path.read_text(encoding="utf-8"))["cases"]}


def test_digital_economy_index_growth_as_published(fixtures: Path) -> None:
    case = cases(fixtures)["ceprei_dei_2013_2021"]
    rate = cagr(case["v_start"], case["v_end"], case["t_end"] - case["t_start"])
    assert round(rate * 100, 2) == case["expected_cagr_pct"]  # 24.06 %
    assert round(times_growth(case["v_start"], case["v_end"]), 2) == case["expected_times_growth"]
    # Sub-index levels from 1000 reproduce the published 增长了X倍 texts.
    levels = case["sub_indices_published_levels_2021"]
    assert round(times_growth(1000, levels["数字产业化"]), 2) == 2.91
    assert round(times_growth(1000, levels["数字基础设施"]), 2) == 10.60


def test_simple_cagr_as_published(fixtures: Path) -> None:
    case = cases(fixtures)["htuse_simple"]
    assert round(cagr(case["v_start"], case["v_end"], case["years"]) * 100, 1) == 26.0


def test_national_core_share_against_the_14th_plan_target(fixtures: Path) -> None:
    case = cases(fixtures)["cn_14th_fyp_digital_core_share"]
    result = assess(
        base_year=case["base_year"],
        base_value=case["base_value"],
        current_year=case["current_year"],
        current_value=case["current_value"],
        target_year=case["target_year"],
        target=case["target_value"],
    )
    assert result.required_cagr == pytest.approx(case["derived_required_cagr_from_base"])
    assert result.achieved_cagr == pytest.approx(case["derived_actual_cagr"])
    assert result.ratio == pytest.approx(case["derived_ratio_actual_to_required"])
    assert result.current_status == pytest.approx(case["derived_share_of_required_progress_done"])
    assert result.time_elapsed == pytest.approx(case["derived_time_elapsed_share_序时进度"])
    assert result.projected_cagr == pytest.approx(case["derived_cagr_extrapolated_2025"])
    assert result.projected_linear == pytest.approx(case["derived_linear_extrapolated_2025"])
    assert result.ahead_of_schedule and result.category == "on_track"


def test_categories_follow_the_statcan_thresholds() -> None:
    # Required CAGR from 10 to 20 over 5 years = 14.87 %. Hand-picked current values give
    # R ≈ 1.0 (on track), ≈ 0.7, ≈ 0.3, and a fall (deterioration).
    def category(current: float) -> str:
        return assess(2020, 10, 2023, current, 2025, 20).category

    assert category(10 * 1.1487**3) == "on_track"
    assert category(10 * (1 + 0.7 * 0.1487) ** 3) == "acceleration_needed"
    assert category(10 * (1 + 0.3 * 0.1487) ** 3) == "limited"
    assert category(9) == "deterioration"
    assert category(21) == "achieved"
    assert assess(2020, 10, 2023, 21, 2025, 20).category_zh == "已达标"


def test_comparators_of_the_policy_wording() -> None:
    assert target_met(13.3, 13.5, "approx", tolerance=0.3)  # 左右
    assert not target_met(13.1, 13.5, "approx", tolerance=0.3)
    assert target_met(65, 65, "ge") and not target_met(80, 80, "gt")  # 达 vs 超过
    assert target_met(1, 1, "eq")


def test_schedule_and_line_by_hand() -> None:
    assert time_elapsed(2022, 2024, 2025) == pytest.approx(2 / 3)
    assert current_status(10, 12, 14) == pytest.approx(0.5)
    intercept, slope = ols_line([(2020, 1.0), (2021, 3.0), (2022, 2.0), (2023, 4.0)])
    # t̄ = 2021.5, ȳ = 2.5; Sxy = 2.25 − 0.25 − 0.25 + 2.25 = 4; Sxx = 5; slope = 0.8.
    assert slope == pytest.approx(0.8)
    assert intercept + slope * 2025 == pytest.approx(2.5 + 0.8 * 3.5)


def test_counts_use_the_linear_pace_against_the_schedule() -> None:
    from demonitor.core.progress import assess_count, expected_count

    # 40 high-tech enterprises by 2025 from 2022: by 2024 two thirds of the time is gone, so
    # 26.67 are expected; 25 gives R = (25/40) / (2/3) = 0.9375 → acceleration needed.
    assert expected_count(40, 2022, 2024, 2025) == pytest.approx(80 / 3)
    result = assess_count(2022, 2024, 25, 2025, 40)
    assert result.ratio == pytest.approx(0.9375)
    assert result.category == "acceleration_needed"
    assert assess_count(2022, 2024, 27, 2025, 40).category == "on_track"
    assert assess_count(2022, 2024, 40, 2025, 40).category == "achieved"
    assert assess_count(2022, 2024, 5, 2025, 40).category == "limited"


def test_the_linear_projection_uses_every_point() -> None:
    # 2022: 10, 2023: 13, 2024: 14 → OLS slope 2, intercept at 2023 = 12.333…; 2025: 16.333….
    result = assess(2022, 10, 2024, 14, 2025, 20, history=[(2022, 10), (2023, 13), (2024, 14)])
    assert result.projected_linear == pytest.approx(37 / 3 + 2 * 2)
    two_points = assess(2022, 10, 2024, 14, 2025, 20)
    assert two_points.projected_linear == pytest.approx(16.0)


def test_rates_are_not_projected_past_their_natural_limit() -> None:
    # 85 → 100 in two years would extrapolate to 107.5 % by 2025; a coverage rate stops at 100.
    free = assess(2022, 85, 2024, 100, 2025, 100)
    limited = assess(2022, 85, 2024, 100, 2025, 100, natural_limit=100)
    assert free.projected_linear == pytest.approx(107.5)
    assert limited.projected_linear == 100
    assert limited.projected_cagr is not None and limited.projected_cagr <= 100
