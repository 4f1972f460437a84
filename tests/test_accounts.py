"""Value-added shares and contributions against published figures and hand calculations."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from demonitor.core.accounts import (
    composition,
    constant_price_increment,
    contribution,
    contributions_at_previous_year_prices,
    estimated_value_added,
    value_added_share,
)


def published(fixtures: Path) -> dict[str, float]:
    path = fixtures / "policy" / "published-figures.csv"
    with path.open(encoding="utf-8") as handle:
        return {
            f"{r['indicator']}@{r['period']}": float(r["value"])
            for r in csv.DictReader(handle)
            if r["region_code"] == "100000"
        }


def test_nbs_2023_core_composition_reproduces_the_published_shares(fixtures: Path) -> None:
    figures = published(fixtures)
    categories = {c: figures[f"DE_core_VA_{c}@2023"] for c in ("01", "02", "03", "04")}
    assert sum(categories.values()) == figures["DE_core_VA@2023"] == 127555
    shares = composition(categories)
    assert {c: round(s, 1) for c, s in shares.items()} == {
        "01": 33.8,
        "02": 3.2,
        "03": 43.6,
        "04": 19.4,
    }


def test_nbs_2023_core_share_of_gdp_is_9_9_percent(fixtures: Path) -> None:
    figures = published(fixtures)
    # 2023 GDP as revised after the 5th economic census: 1,294,272 亿元 (NBS, 2024-12).
    share = value_added_share(figures["DE_core_VA@2023"], 1_294_272)
    assert round(share, 1) == figures["DE_core_share@2023"] == 9.9


def test_contributions_by_hand_add_up() -> None:
    # Three industries split GDP 100 / 200 / 300 (亿元) last year; volume indices 105, 102, 110.
    # ΔVA = 5, 4, 30; ΔGDP = 39 (index 106.5); growth 6.5 %; 贡献率 5/39 = 12.82 %,
    # 4/39 = 10.26 %, 30/39 = 76.92 %; 拉动 0.8333, 0.6667, 5.0 pp.
    result = contributions_at_previous_year_prices(
        {"primary": 100, "secondary": 200, "tertiary": 300},
        {"primary": 105, "secondary": 102, "tertiary": 110},
        gdp_previous=600,
        gdp_volume_index=106.5,
    )
    assert result["primary"].contribution_rate == pytest.approx(500 / 39)
    assert result["tertiary"].contribution_rate == pytest.approx(3000 / 39)
    assert result["secondary"].pull == pytest.approx(4 / 6)
    assert sum(c.contribution_rate for c in result.values()) == pytest.approx(100)
    assert sum(c.pull for c in result.values()) == pytest.approx(6.5)


def test_contribution_can_be_negative_or_exceed_100() -> None:
    shrinking = contribution(industry_increment=-3, gdp_increment=10, gdp_previous=200)
    assert shrinking.contribution_rate == pytest.approx(-30)
    assert shrinking.pull == pytest.approx(-1.5)
    leading = contribution(industry_increment=21.69, gdp_increment=10, gdp_previous=100)
    assert leading.contribution_rate == pytest.approx(216.9)


def test_estimates_and_increments() -> None:
    assert estimated_value_added(1000, 0.25) == 250
    with pytest.raises(ValueError):
        estimated_value_added(1000, 1.5)
    assert constant_price_increment(200, 104.4) == pytest.approx(8.8)
    with pytest.raises(ZeroDivisionError):
        contribution(1, 0, 100)


def test_the_deflator_is_named_in_words_not_series_codes() -> None:
    from demonitor.core.accounts import deflator_names

    assert deflator_names("GDP implicit deflator") == (
        "GDP隐含平减指数",
        "the implicit GDP deflator",
    )
    zh, en = deflator_names("DE_core_deflator_01 (01); DE_core_deflator (02, 03)")
    assert zh == "核心产业01大类价格指数 (01); 核心产业价格指数 (02, 03)"
    assert "the price index of core category 01 (01)" in en
    assert deflator_names("") == ("—", "—")
