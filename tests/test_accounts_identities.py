"""Identities of the accounts (issue 9, item 12): with a full 三次产业 breakdown, Σ拉动 = GDP
growth and Σ贡献率 = 100, and the parts add up to GDP. A table that breaks them is flagged in
every accounts output, never hidden or corrected."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from demonitor.cli import app
from demonitor.core.accounts import (
    contributions_at_previous_year_prices,
    identity_discrepancies,
    sum_discrepancy,
)
from demonitor.reports.accounts import accounts_table
from demonitor.services.imports import import_data
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import make_engine, session_scope
from demonitor.store.models import Observation
from demonitor.store.observations import ObservationStore, SeriesKey

EDITION = "nbs-de-2021-reconstructed"
runner = CliRunner()

# A hand table: three industries of 100 / 200 / 300 last year with volume indices 105, 102, 110:
# ΔVA = 5 + 4 + 30 = 39 = 600 × 6.5 %.
PREVIOUS = {"primary": 100.0, "secondary": 200.0, "tertiary": 300.0}
INDICES = {"primary": 105.0, "secondary": 102.0, "tertiary": 110.0}


def test_a_table_that_holds_has_no_discrepancy() -> None:
    contributions = contributions_at_previous_year_prices(PREVIOUS, INDICES, 600, 106.5)
    assert identity_discrepancies(contributions, 6.5) == []
    # A published growth of 6.55 or 6.45 is 6.5 within the rounding of indices and growth
    # (half a unit of the first decimal each: 0.1 percentage point).
    assert (
        identity_discrepancies(
            contributions_at_previous_year_prices(PREVIOUS, INDICES, 600, 106.55), 6.55
        )
        == []
    )


def test_a_table_that_breaks_is_flagged_with_its_sums() -> None:
    # Published GDP growth 6.8 %, but the industries add to 39 / 600 = 6.5 points:
    # Σ贡献率 = 39 / 40.8 × 100 = 95.588 %, Σ拉动 = 6.5 ≠ 6.8.
    contributions = contributions_at_previous_year_prices(PREVIOUS, INDICES, 600, 106.8)
    found = {d.identity: d for d in identity_discrepancies(contributions, 6.8)}
    assert set(found) == {"sum_contribution_rates", "sum_pulls"}
    rates = found["sum_contribution_rates"]
    assert rates.actual == pytest.approx(39 / 40.8 * 100)
    assert rates.expected == 100
    assert rates.zh.startswith("恒等式不成立：Σ贡献率=95.6% ≠ 100")
    assert rates.en.startswith("identity broken: Σ contribution rates = 95.6 % ≠ 100")
    pulls = found["sum_pulls"]
    assert pulls.actual == pytest.approx(6.5) and pulls.expected == 6.8
    assert "Σ拉动=6.50" in pulls.zh and "6.8" in pulls.zh
    # 0.15 points off is beyond the rounding of one-decimal figures.
    assert identity_discrepancies(
        contributions_at_previous_year_prices(PREVIOUS, INDICES, 600, 106.65), 6.65
    )


def test_parts_that_do_not_add_up_to_the_total_are_flagged() -> None:
    # 泰州 2022 (published-figures.csv): 334.41 + 3158.01 + 2909.35 = 6401.77 亿元 exactly.
    parts = [3_344_100.0, 31_580_100.0, 29_093_500.0]
    assert sum_discrepancy("sum_levels", "三次产业增加值", "industries", parts, 64_017_700) is None
    broken = sum_discrepancy("sum_levels", "三次产业增加值", "industries", parts, 65_017_700)
    assert broken is not None
    assert broken.actual == pytest.approx(64_017_700) and broken.expected == 65_017_700
    assert "恒等式不成立：Σ三次产业增加值=6401.77亿元 ≠ 6501.77亿元" in broken.zh
    assert "identity broken" in broken.en


# The breakdown imported with the GDP template and checked in every accounts output -------------

HEADER = [
    "行政区划代码",
    "期别",
    "地区生产总值（亿元）",
    "可比价增速（%）",
    "价格指数（上年=100）",
    "是否累计",
    "产业",
    "可比价指数（上年=100）",
]
# 2022 levels as published for 泰州 (published-figures.csv); the 2021 levels and the 2022 indices
# are made up for the test (2021 is published only as "over 6000").
BREAKDOWN = [
    ["321200", "2021", "6020.00", "", "", "否", "", ""],
    ["321200", "2021", "320.00", "", "", "否", "第一产业", ""],
    ["321200", "2021", "2950.00", "", "", "否", "第二产业", ""],
    ["321200", "2021", "2750.00", "", "", "否", "第三产业", ""],
    ["321200", "2022", "6401.77", "4.4", "", "否", "", ""],
    ["321200", "2022", "334.41", "", "", "否", "第一产业", "103.0"],
    ["321200", "2022", "3158.01", "4.4", "", "否", "第二产业", "104.4"],
    ["321200", "2022", "2909.35", "", "", "否", "第三产业", "104.6"],
]


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def test_an_industry_breakdown_imports_and_its_contributions_hold(
    engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "t")
    result = import_data(engine, "gdp", write(tmp_path / "gdp.csv", BREAKDOWN), "市统计局")
    assert not result.errors, result.errors
    with session_scope(engine) as session:
        store = ObservationStore(session, "t")
        primary = store.latest(SeriesKey("GDP_primary", "321200", "2022"))
        assert primary is not None and primary.value == pytest.approx(3_344_100)
        growth = store.latest(SeriesKey("GDP_tertiary_growth", "321200", "2022"))
        assert growth is not None and growth.value == pytest.approx(4.6)
        table = accounts_table(session, EDITION, 2022)
    city = table.rows[0]
    rows = {i.industry: i for i in city.industries}
    assert set(rows) == {"primary", "secondary", "tertiary"}
    # By hand (亿元): ΔVA = 320 × 3.0 % = 9.6, 2950 × 4.4 % = 129.8, 2750 × 4.6 % = 126.5;
    # ΔGDP = 6020 × 4.4 % = 264.88; 贡献率 9.6 / 264.88 = 3.624 %; 拉动 9.6 / 6020 = 0.159 pp.
    primary_row = rows["primary"]
    assert primary_row.previous == pytest.approx(3_200_000)
    assert primary_row.current == pytest.approx(3_344_100)
    assert primary_row.volume_index == pytest.approx(103.0)
    assert primary_row.contribution.contribution_rate == pytest.approx(9.6 / 264.88 * 100)
    assert primary_row.contribution.pull == pytest.approx(9.6 / 6020 * 100)
    assert rows["tertiary"].contribution.contribution_rate == pytest.approx(126.5 / 264.88 * 100)
    # Σ贡献率 = 265.9 / 264.88 = 100.39 %, Σ拉动 4.417 against 4.4: within rounding.
    assert sum(r.contribution.pull for r in rows.values()) == pytest.approx(265.9 / 6020 * 100)
    assert city.warnings == []
    assert table.warnings == []


def test_a_breakdown_that_breaks_the_identities_is_flagged_in_every_output(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'identities.db'}"
    assert runner.invoke(app, ["init", "--database-url", url]).exit_code == 0
    broken = [list(r) for r in BREAKDOWN]
    broken[-1][-1] = "108.0"  # tertiary ΔVA 2750 × 8 % = 220
    broken[-1][2] = "2900.00"  # and the parts no longer add up to 6401.77
    imported = runner.invoke(
        app, ["import", "gdp", str(write(tmp_path / "gdp.csv", broken)), "--database-url", url]
    )
    assert imported.exit_code == 0, imported.output
    table = runner.invoke(app, ["account", "--period", "2022", "--database-url", url])
    assert table.exit_code == 0, table.output
    # Σ贡献率 = (9.6 + 129.8 + 220) / 264.88 = 135.68 %; Σ拉动 = 359.4 / 6020 = 5.97 ≠ 4.4;
    # Σ levels 334.41 + 3158.01 + 2900.00 = 6392.42 ≠ 6401.77.
    assert "恒等式不成立：Σ贡献率=135.7% ≠ 100" in table.output
    assert "identity broken: Σ contribution rates = 135.7 % ≠ 100" in table.output
    assert "Σ拉动=5.97" in table.output
    assert "6392.42亿元 ≠ 6401.77亿元" in table.output
    assert "第三产业" in table.output  # the breakdown itself is shown
    document = json.loads(
        runner.invoke(
            app, ["account", "--period", "2022", "--format", "json", "--database-url", url]
        ).output
    )
    city = document["accounts"][0]
    assert any(w.startswith("恒等式不成立：Σ贡献率=135.7%") for w in city["warnings"])
    industries = {i["industry"]: i for i in city["industries"]}
    assert industries["tertiary"]["contribution_rate_pct"] == pytest.approx(220 / 264.88 * 100)
    assert len(document["warnings"]) == 3


BAD_GDP_ROWS = [
    (["321200", "2022", "100", "", "", "否", "第四产业", ""], "industry", "第一产业"),
    (["321200", "2022", "100", "4.4", "", "否", "第一产业", "105.0"], "volume_index", "不一致"),
    (["321200", "2022", "100", "", "", "否", "第一产业", "20"], "volume_index", "50～200"),
    (["321200", "2022", "100", "", "0", "否", "", ""], "deflator", "50～200"),
]


@pytest.mark.parametrize(
    ("row", "column", "reason"), BAD_GDP_ROWS, ids=[b[1] for b in BAD_GDP_ROWS]
)
def test_a_bad_breakdown_row_imports_nothing(
    tmp_path: Path, row: list[str], column: str, reason: str
) -> None:
    url = f"sqlite:///{tmp_path / 'identities.db'}"
    assert runner.invoke(app, ["init", "--database-url", url]).exit_code == 0
    path = write(tmp_path / "gdp.csv", [BREAKDOWN[0], row])
    result = runner.invoke(app, ["import", "gdp", str(path), "--database-url", url])
    assert result.exit_code == 2, result.output
    with (tmp_path / "gdp.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        errors = list(csv.DictReader(handle))
    assert any(
        e["row"] == "3" and e["column"] == column and reason in e["原因"] and e["reason"]
        for e in errors
    ), errors
    with session_scope(make_engine(url)) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 0
