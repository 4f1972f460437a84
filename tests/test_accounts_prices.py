"""Price indices and deflators of the accounts (issue 9, item 11): the GDP price index is used as
the GDP deflator, a core-industry price index can be imported (by category or for the whole core)
and is used category by category, and a price index that disagrees with the growth rate is
flagged. Every figure is checked against a hand calculation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from accounts_data import EDITION, classify, enterprise, figures
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from demonitor.cli import app
from demonitor.core.accounts import core_growth, price_index_gap
from demonitor.reports.accounts import accounts_table, region_accounts
from demonitor.services.imports import import_data
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import make_engine, session_scope, upgrade
from demonitor.store.models import AuditEntry, Observation
from demonitor.store.observations import ObservationStore, SeriesKey

runner = CliRunner()

# Core value added: 800 → 950 (01: 280 → 300, 03: 520 → 650); GDP 100,000 → 106,000.
CATEGORIES = {"01": (300.0, 280.0), "03": (650.0, 520.0)}


# Pure: core.accounts ----------------------------------------------------------------------------


def test_the_gdp_price_index_is_the_gdp_deflator_and_gives_real_growth_when_none_is_published() -> (
    None
):
    figures_ = core_growth(950, 800, 106_000, 100_000, None, gdp_price_index=101.0)
    # Real GDP growth = (106,000 / 100,000) / 1.01 − 1 = 4.950495… %.
    assert figures_.gdp_real_growth == pytest.approx((1.06 / 1.01 - 1) * 100)
    assert figures_.gdp_price_index == pytest.approx(101.0)
    # Core deflated by the GDP index: ΔVA = 950 / 1.01 − 800 = 140.594…; real = ΔVA / 800.
    increment = 950 / 1.01 - 800
    assert figures_.real_growth == pytest.approx(increment / 800 * 100)
    assert figures_.deflator_source == "GDP_deflator"
    assert figures_.contribution is not None
    gdp_increment = 100_000 * (1.06 / 1.01 - 1)
    assert figures_.contribution.contribution_rate == pytest.approx(increment / gdp_increment * 100)
    assert figures_.contribution.pull == pytest.approx(increment / 100_000 * 100)
    assert figures_.warnings == ()


def test_with_growth_and_a_consistent_index_the_index_deflates_and_growth_gives_delta_gdp() -> None:
    figures_ = core_growth(950, 800, 106_000, 100_000, 5.0, gdp_price_index=101.0)
    # The index 101.0 lies within 106,000/100,000 / (1 + (5.0 ± 0.05) %) = [100.904, 101.0005].
    assert figures_.warnings == ()
    assert figures_.deflator_source == "GDP_deflator"
    assert figures_.real_growth == pytest.approx((950 / 1.01 - 800) / 800 * 100)
    assert figures_.contribution is not None
    assert figures_.contribution.gdp_increment == pytest.approx(5000)  # 100,000 × 5 %
    # Without the index, the implicit deflator 1.06 / 1.05 = 100.952… as before.
    implicit = core_growth(950, 800, 106_000, 100_000, 5.0)
    assert implicit.deflator_source == "GDP implicit deflator"
    assert implicit.real_growth == pytest.approx((950 / (1.06 / 1.05) - 800) / 800 * 100)


def test_each_category_is_deflated_by_its_own_index_else_the_core_index_else_gdp() -> None:
    figures_ = core_growth(
        950,
        800,
        106_000,
        100_000,
        5.0,
        102.0,
        categories=CATEGORIES,
        category_price_indices={"01": 98.0},
    )
    # 01 at its own 98.0: 300 / 0.98 − 280 = 26.122…; 03 at the core index 102.0:
    # 650 / 1.02 − 520 = 117.254…; Σ = 143.377…; real growth Σ / 800; 贡献率 Σ / 5000.
    increments = 300 / 0.98 - 280 + 650 / 1.02 - 520
    assert figures_.real_growth == pytest.approx(increments / 800 * 100)
    assert figures_.contribution is not None
    assert figures_.contribution.contribution_rate == pytest.approx(increments / 5000 * 100)
    assert figures_.deflators == {"01": "DE_core_deflator_01", "03": "DE_core_deflator"}
    assert figures_.deflator_source == "DE_core_deflator_01 (01); DE_core_deflator (03)"
    # Without the core index, 03 falls back to the GDP deflator 1.06 / 1.05.
    fallback = core_growth(
        950, 800, 106_000, 100_000, 5.0, categories=CATEGORIES, category_price_indices={"01": 98.0}
    )
    increments = 300 / 0.98 - 280 + 650 / (1.06 / 1.05) - 520
    assert fallback.real_growth == pytest.approx(increments / 800 * 100)
    assert fallback.deflator_source == "DE_core_deflator_01 (01); GDP implicit deflator (03)"
    # One index for the whole core: the same as deflating the total (Σ 950 / 1.02 − 800).
    whole = core_growth(950, 800, 106_000, 100_000, 5.0, 102.0, categories=CATEGORIES)
    assert whole.real_growth == pytest.approx((950 / 1.02 - 800) / 800 * 100)
    assert whole.deflator_source == "DE_core_deflator"


def test_a_price_index_that_disagrees_with_growth_beyond_rounding_is_flagged() -> None:
    # 1.06 / 1.0495 × 100 = 101.00048: the highest index growth 5.0 (i.e. 4.95–5.05) allows.
    assert price_index_gap(1.06, 5.0, 101.0) == 0
    assert price_index_gap(1.06, 5.0, 101.1) == pytest.approx(101.1 - 106 / 1.0495)  # 0.0995
    assert price_index_gap(1.06, 5.0, 100.8) == pytest.approx(106 / 1.0505 - 100.8)  # 0.1043
    assert core_growth(950, 800, 106_000, 100_000, 5.0, gdp_price_index=101.1).warnings == ()
    flagged = core_growth(950, 800, 106_000, 100_000, 5.0, gdp_price_index=102.0)
    (warning,) = flagged.warnings
    assert warning.kind == "price_index"
    # 102.0 − 101.0005 = 0.9995 index points beyond what the growth allows: warned, not refused;
    # the published index is still the one used.
    assert "102.0" in warning.zh and "100.90～101.00" in warning.zh and "1.00" in warning.zh
    assert "disagrees" in warning.en
    assert flagged.deflator_source == "GDP_deflator"
    assert flagged.real_growth == pytest.approx((950 / 1.02 - 800) / 800 * 100)
    # 100.8 is 0.104 below the lowest the growth allows: flagged too.
    assert core_growth(950, 800, 106_000, 100_000, 5.0, gdp_price_index=100.8).warnings


# Imports and the stored accounts ----------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


DEFLATOR_HEADER = ["行政区划代码", "期别", "核心产业大类", "价格指数（上年=100）", "是否累计"]


def populate(session: Session) -> None:
    """A (海陵, 03) reports 520 → 650, B (高港, 01) 280 → 300; city GDP 100,000 → 106,000."""
    seed_reference(session, "t")
    enterprise(session, "A", "321202", "6513")
    enterprise(session, "B", "321203", "3982")
    classify(session, "A", "030103")
    classify(session, "B", "010514")
    for code, period, va in [("A", "2023", 520), ("A", "2024", 650)]:
        figures(session, code, period, None, va)
    for code, period, va in [("B", "2023", 280), ("B", "2024", 300)]:
        figures(session, code, period, None, va)
    store = ObservationStore(session, "t")
    store.record(SeriesKey("GDP", "321200", "2023"), 100_000)
    store.record(SeriesKey("GDP", "321200", "2024"), 106_000)
    store.record(SeriesKey("GDP_growth", "321200", "2024"), 5.0)


def test_a_core_deflator_imports_and_deflates_each_category(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        populate(session)
    path = write_csv(
        tmp_path / "prices.csv",
        [
            DEFLATOR_HEADER,
            ["321200", "2024", "01", "98.0", "否"],
            ["321200", "2024", "", "102", ""],
        ],
    )
    result = import_data(engine, "core_deflator", path, "市统计局")
    assert not result.errors, result.errors
    assert (result.rows, result.inserted) == (2, 2)
    with session_scope(engine) as session:
        store = ObservationStore(session, "t")
        one = store.latest(SeriesKey("DE_core_deflator_01", "321200", "2024"))
        core = store.latest(SeriesKey("DE_core_deflator", "321200", "2024"))
        assert one is not None and one.value == 98.0 and one.recorded_by == "市统计局"
        assert core is not None and core.value == 102.0
        entities = set(session.scalars(select(AuditEntry.entity)))
        assert {"observation", "core_deflator"} <= entities  # every write is audited
        city, hailing = region_accounts(session, EDITION, 2024, ["321200", "321202"])
    increments = 300 / 0.98 - 280 + 650 / 1.02 - 520
    assert city.real_growth == pytest.approx(increments / 800 * 100)
    assert city.contribution is not None
    assert city.contribution.contribution_rate == pytest.approx(increments / 5000 * 100)
    assert city.deflator_source == "DE_core_deflator_01 (01); DE_core_deflator (03)"
    # 海陵 has no index of its own and no GDP: no real figures, nothing pretended.
    assert hailing.real_growth is None and hailing.deflator_source == ""


BAD_DEFLATOR_ROWS = [
    (["321200", "2024", "05", "101", "否"], "category", "01～04"),
    (["321200", "2024", "01", "abc", "否"], "price_index", "不是数值"),
    (["321200", "2024", "01", "0", "否"], "price_index", "50～200"),
    (["321200", "2024", "01", "", "否"], "price_index", "为空"),
    (["999999", "2024", "01", "101", "否"], "region_code", "不在区划表中"),
    (["321200", "2024Q2", "01", "101", ""], "cumulative", "是否累计"),
    (["321200", "2024", "1", "101", "否"], "category", "与第2行重复"),
]


@pytest.mark.parametrize(
    ("row", "column", "reason"), BAD_DEFLATOR_ROWS, ids=[b[2] for b in BAD_DEFLATOR_ROWS]
)
def test_a_bad_deflator_row_imports_nothing_and_names_row_column_and_reason(
    tmp_path: Path, row: list[str], column: str, reason: str
) -> None:
    url = f"sqlite:///{tmp_path / 'prices.db'}"
    assert runner.invoke(app, ["init", "--database-url", url]).exit_code == 0
    path = write_csv(
        tmp_path / "prices.csv", [DEFLATOR_HEADER, ["321200", "2024", "01", "99.5", "否"], row]
    )
    result = runner.invoke(app, ["import", "core_deflator", str(path), "--database-url", url])
    assert result.exit_code == 2, result.output
    assert "未导入任何数据" in result.output
    with (tmp_path / "prices.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        errors = list(csv.DictReader(handle))
    assert any(
        e["file"] == "prices.csv"
        and e["row"] == "3"
        and e["column"] == column
        and reason in e["原因"]
        for e in errors
    ), errors
    assert all(e["reason"] for e in errors)  # and in English
    with session_scope(make_engine(url)) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 0


def test_the_core_deflator_template_has_its_columns_and_dropdowns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prices.db'}"
    assert runner.invoke(app, ["init", "--database-url", url]).exit_code == 0
    path = tmp_path / "prices.xlsx"
    done = runner.invoke(app, ["template", "core_deflator", "-o", str(path), "--database-url", url])
    assert done.exit_code == 0, done.output
    sheet = load_workbook(path).worksheets[0]
    assert [c.value for c in sheet[1]] == DEFLATOR_HEADER
    formulas = {v.formula1 for v in sheet.data_validations.dataValidation}
    assert len(formulas) == 4  # regions, periods, categories, flag


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        populate(session)
    engine.dispose()
    return url


def test_a_gdp_price_index_imported_with_gdp_is_used_and_a_disagreement_is_printed(
    database: str, tmp_path: Path
) -> None:
    # Growth 5.0 % with a price index of 102.0: 106,000/100,000 / 1.05 = 100.95, outside
    # what growth 4.95–5.05 allows by 0.9995 points: a warning, and the index is used.
    path = write_csv(
        tmp_path / "gdp.csv",
        [
            [
                "行政区划代码",
                "期别",
                "地区生产总值（万元）",
                "可比价增速（%）",
                "价格指数（上年=100）",
                "是否累计",
            ],
            ["321200", "2024", "106000", "5.0", "102.0", "否"],
        ],
    )
    imported = runner.invoke(app, ["import", "gdp", str(path), "--database-url", database])
    assert imported.exit_code == 0, imported.output
    table = runner.invoke(app, ["account", "--period", "2024", "--database-url", database])
    assert table.exit_code == 0, table.output
    assert "价格指数" in table.output and "disagrees" in table.output
    assert "可比价按GDP价格指数平减" in table.output  # named in words, not as the series code
    document = json.loads(
        runner.invoke(
            app, ["account", "--period", "2024", "--format", "json", "--database-url", database]
        ).output
    )
    city = next(r for r in document["accounts"] if r["region_code"] == "321200")
    assert city["deflator"] == "GDP_deflator"
    assert city["real_growth_pct"] == pytest.approx((950 / 1.02 - 800) / 800 * 100)
    assert any("disagrees" in w for w in city["warnings"])
    assert any("disagrees" in w for w in document["warnings"])


def test_real_gdp_growth_from_the_price_index_when_growth_is_missing(engine: Engine) -> None:
    with session_scope(engine) as session:
        populate(session)
        store = ObservationStore(session, "t")
        store.record(SeriesKey("GDP", "321202", "2023"), 20_000)
        store.record(SeriesKey("GDP", "321202", "2024"), 21_000)
        store.record(SeriesKey("GDP_deflator", "321202", "2024"), 101.0)
        table = accounts_table(session, EDITION, 2024)
    hailing = next(r for r in table.rows if r.region == "321202")
    # (21,000 / 20,000) / 1.01 − 1 = 3.960 %; 海陵's core 520 → 650 at 1.01: 643.56 − 520.
    assert hailing.gdp_real_growth == pytest.approx((1.05 / 1.01 - 1) * 100)
    assert hailing.real_growth == pytest.approx((650 / 1.01 - 520) / 520 * 100)
    assert hailing.contribution is not None
    assert hailing.contribution.gdp_increment == pytest.approx(20_000 * (1.05 / 1.01 - 1))
    assert hailing.deflator_source == "GDP_deflator"
