"""Templates and imports: every cell checked, all rows or none, vintages on change."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from demonitor.cli import app
from demonitor.store.db import make_engine, session_scope
from demonitor.store.models import AuditEntry, ImportBatch, Observation
from demonitor.store.observations import ObservationStore, SeriesKey

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'demonitor.db'}"
    assert runner.invoke(app, ["init", "--database-url", url]).exit_code == 0
    return url


def fill(template: Path, rows: list[list[object]]) -> Path:
    workbook = load_workbook(template)
    sheet = workbook.worksheets[0]
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=3 + offset, column=column, value=value)
    workbook.save(template)
    return template


def run_import(database: str, kind: str, path: Path) -> tuple[int, str]:
    result = runner.invoke(
        app, ["import", kind, str(path), "--database-url", database, "--actor", "海陵区统计局"]
    )
    return result.exit_code, result.output


def count(database: str, model: type) -> int:
    with session_scope(make_engine(database)) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_template_has_chinese_headers_explanations_and_dropdowns(
    database: str, tmp_path: Path
) -> None:
    path = tmp_path / "gdp.xlsx"
    result = runner.invoke(app, ["template", "gdp", "-o", str(path), "--database-url", database])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers == [
        "行政区划代码",
        "期别",
        "地区生产总值（亿元）",
        "可比价增速（%）",
        "价格指数（上年=100）",
        "是否累计",
        "产业",  # a 三次产业 breakdown on the same template (issue 9, item 12)
        "可比价指数（上年=100）",
    ]
    assert str(sheet["A2"].value).startswith("说明")
    formulas = {v.formula1 for v in sheet.data_validations.dataValidation}
    assert any("代码表" in f for f in formulas) and len(formulas) == 4
    codes = workbook["代码表"]
    assert "321202" in [c.value for c in codes["A"]]
    assert "DE05" in [c.value for c in codes["B"]]


def test_a_filled_template_imports_with_units_converted(database: str, tmp_path: Path) -> None:
    path = tmp_path / "gdp.xlsx"
    runner.invoke(app, ["template", "gdp", "-o", str(path), "--database-url", database])
    fill(
        path,
        [
            ["321200", "2022", 6401.77, 4.4, None, "否"],
            ["321200", "2023Q2", 3208.78, 6.5, None, "是"],
        ],
    )
    code, output = run_import(database, "gdp", path)
    assert code == 0, output
    assert "新增 inserted 4" in output
    with session_scope(make_engine(database)) as session:
        store = ObservationStore(session, "reader")
        gdp = store.latest(SeriesKey("GDP", "321200", "2022"))
        # 6401.77 亿元 = 64,017,700 万元 (money is kept in 万元 inside).
        assert gdp is not None and gdp.value == pytest.approx(64_017_700) and gdp.unit == "万元"
        half = store.latest(SeriesKey("GDP", "321200", "2023Q2", cumulative=True))
        assert half is not None and half.value == pytest.approx(32_087_800)
        assert gdp.recorded_by == "海陵区统计局" and gdp.batch_id is not None


def test_reimport_is_idempotent_and_a_change_is_a_vintage(database: str, tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    rows = [
        ["指标代码", "行政区划代码", "期别", "数值", "备注"],
        ["DE05", "321202", "2024", "78.5", "工信局抽样调查"],
        ["DE13", "321202", "2024", "96", ""],
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert run_import(database, "observations", path)[0] == 0
    code, output = run_import(database, "observations", path)
    assert code == 0 and "未变 unchanged 2" in output
    assert count(database, Observation) == 2
    rows[1][3] = "79.1"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    code, output = run_import(database, "observations", path)
    assert code == 0 and "修订 revised 1" in output
    assert count(database, Observation) == 3
    with session_scope(make_engine(database)) as session:
        store = ObservationStore(session, "reader")
        versions = store.vintages(SeriesKey("DE05", "321202", "2024"))
        assert [(v.vintage, v.value) for v in versions] == [(1, 78.5), (2, 79.1)]
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions.count("import") == 3 and actions.count("revise") == 1
    assert count(database, ImportBatch) == 3


BAD_CELLS = [
    (["DE05", "999999", "2024", "78", ""], "region_code", "999999不在区划表中"),
    (["DE99", "321202", "2024", "78", ""], "indicator_code", "指标代码DE99不存在"),
    (["DE05", "321202", "2024-01", "78", ""], "period", "期别「2024-01」"),
    (["DE05", "321202", "2024", "七十八", ""], "value", "不是数值"),
    (["DE05", "321202", "2024", "", ""], "value", "为空"),
    (["DE05", "321202", "2024", "180", ""], "value", "比率应在0～100之间"),
    (["DE07", "321202", "2024", "1.5", ""], "value", "计数应为非负整数"),
    (["DE22", "321202", "2024", "2", ""], "value", "里程碑指标只能填0或1"),
]


@pytest.mark.parametrize(("row", "column", "reason"), BAD_CELLS, ids=[b[2] for b in BAD_CELLS])
def test_one_bad_cell_imports_nothing_and_names_file_row_column(
    database: str, tmp_path: Path, row: list[str], column: str, reason: str
) -> None:
    path = tmp_path / "obs.csv"
    good = ["DE13", "321203", "2024", "95", ""]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["indicator_code", "region_code", "period", "value", "note"], good, row]
        )
    code, output = run_import(database, "observations", path)
    assert code == 2
    assert count(database, Observation) == 0  # the good row was not imported either
    with (tmp_path / "obs.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        errors = list(csv.DictReader(handle))
    assert any(e["row"] == "3" and e["column"] == column and reason in e["原因"] for e in errors)
    assert all(e["file"] == "obs.csv" and e["reason"] for e in errors)
    assert "未导入任何数据" in output


def test_gdp_errors_unit_missing_and_cumulative_flag(database: str, tmp_path: Path) -> None:
    path = tmp_path / "gdp.csv"
    path.write_text(
        "行政区划代码,期别,地区生产总值,是否累计\n321200,2024,7000,否\n", encoding="utf-8"
    )
    code, output = run_import(database, "gdp", path)
    assert code == 2 and "须注明金额单位" in output
    path.write_text(
        "行政区划代码,期别,地区生产总值（亿元）,是否累计\n321200,2024Q1,1752.5,\n"
        "321200,2024Q2,1700,也许\n",
        encoding="utf-8",
    )
    code, output = run_import(database, "gdp", path)
    assert code == 2
    with (tmp_path / "gdp.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        errors = {(e["row"], e["column"]) for e in csv.DictReader(handle)}
    assert ("2", "cumulative") in errors and ("3", "cumulative") in errors
    assert count(database, Observation) == 0


def test_duplicate_rows_in_one_file_are_refused(database: str, tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    path.write_text(
        "indicator_code,region_code,period,value\nDE05,321202,2024,70\nDE05,321202,2024,71\n",
        encoding="utf-8",
    )
    code, _ = run_import(database, "observations", path)
    assert code == 2
    assert "与第2行重复" in (tmp_path / "obs.csv.errors.csv").read_text(encoding="utf-8-sig")


def test_register_then_financials_then_rates_feed_the_accounts(
    database: str, tmp_path: Path
) -> None:
    from demonitor.core.credit_code import check_character
    from demonitor.reports.accounts import region_accounts
    from demonitor.store.models import Classification, Enterprise, Financial, ValueAddedRate

    software = "91321202MA1A00001" + check_character("91321202MA1A00001")
    cables = "91321282MA1A00002" + check_character("91321282MA1A00002")
    register = tmp_path / "register.csv"
    register.write_text(
        "统一社会信用代码,单位名称,行政区划代码,行业代码,经营范围\n"
        f"{software},泰州软件有限公司,321202,6513,一般项目：软件开发\n"
        f"{cables},靖江电缆有限公司,321282,3831,一般项目：电力电缆制造\n",
        encoding="utf-8",
    )
    code, output = run_import(database, "register", register)
    assert code == 0, output
    assert count(database, Enterprise) == 2 and count(database, Classification) == 2
    assert "未变 unchanged 2" in run_import(database, "register", register)[1]

    financials = tmp_path / "financials.csv"
    financials.write_text(
        "统一社会信用代码,期别,营业收入（亿元）,增加值（万元）,从业人员\n"
        f"{software},2023,1.0,,50\n{software},2024,1.2,,60\n{cables},2024,3,,200\n",
        encoding="utf-8",
    )
    assert run_import(database, "financials", financials)[0] == 0
    assert count(database, Financial) == 3
    rates = tmp_path / "rates.csv"
    rates.write_text(
        "行业代码,年份,增加值率（%）,来源\n65,2020,40,测试用\n6513,2020,50,测试用\n",
        encoding="utf-8",
    )
    assert run_import(database, "varates", rates)[0] == 0
    assert count(database, ValueAddedRate) == 2
    with session_scope(make_engine(database)) as session:
        city = region_accounts(session, "nbs-de-2021-reconstructed", 2024, ["321200"])[0]
    # Only the software firm is digital: 1.2 亿元 = 12,000 万元 × 50 % (class rate beats division).
    assert city.core_value_added == pytest.approx(6000)
    assert (city.units, city.estimated) == (1, 1)


def test_financials_of_unknown_enterprises_are_refused(database: str, tmp_path: Path) -> None:
    path = tmp_path / "financials.csv"
    path.write_text(
        "credit_code,period,revenue（万元）\n91321202MA1A0000XX,2024,100\n"
        "91321202MA1A0000XX,2024M01,-5\n",
        encoding="utf-8",
    )
    code, _ = run_import(database, "financials", path)
    assert code == 2
    text = (tmp_path / "financials.csv.errors.csv").read_text(encoding="utf-8-sig")
    assert (
        "不在企业名录中" in text
        and "财务数据按年度或季度（累计）填报" in text
        and "营业收入不能为负" in text
    )


def test_a_register_with_a_rejected_row_imports_nothing(database: str, tmp_path: Path) -> None:
    from demonitor.store.models import Enterprise

    path = tmp_path / "register.csv"
    path.write_text(
        "credit_code,name,region_code,industry_code,business_scope\n"
        "91321202MA1A000010,坏代码公司,321202,6513,软件开发\n",
        encoding="utf-8",
    )
    code, _ = run_import(database, "register", path)
    assert code == 2
    text = (tmp_path / "register.csv.errors.csv").read_text(encoding="utf-8-sig")
    assert "credit_code" in text and "校验码错误" in text
    assert count(database, Enterprise) == 0


def test_the_register_template_round_trips_through_import(database: str, tmp_path: Path) -> None:
    from demonitor.core.credit_code import check_character
    from demonitor.store.models import Enterprise

    path = tmp_path / "register.xlsx"
    result = runner.invoke(
        app, ["template", "register", "-o", str(path), "--database-url", database]
    )
    assert result.exit_code == 0
    code = "91321202MA1A00009" + check_character("91321202MA1A00009")
    fill(path, [[code, "泰州示例软件有限公司", "321202", "6513", "一般项目：软件开发"]])
    exit_code, output = run_import(database, "register", path)
    assert exit_code == 0, output
    assert count(database, Enterprise) == 1


def test_the_shipped_illustrative_rates_import_as_a_varates_file(database: str) -> None:
    from demonitor.reference._files import data_path
    from demonitor.store.models import ValueAddedRate

    path = data_path("demo/illustrative_va_rates.csv")
    code, output = run_import(database, "varates", path)
    assert code == 0, output
    with session_scope(make_engine(database)) as session:
        sources = set(session.scalars(select(ValueAddedRate.source)))
    assert count(database, ValueAddedRate) > 20
    assert all("非官方" in s and "not an official" in s for s in sources)


def test_recognition_lists_make_the_counts(database: str, tmp_path: Path) -> None:
    from demonitor.core.credit_code import check_character
    from demonitor.core.periods import Period
    from demonitor.reports.progress import progress_table
    from demonitor.store.models import Recognition

    def code(body: str) -> str:
        return body + check_character(body)

    software, chips, chemicals = (code("91321202MA1A0001" + c) for c in "123")
    register = tmp_path / "register.csv"
    register.write_text(
        "credit_code,name,region_code,industry_code,business_scope\n"
        f"{software},软件公司,321202,6513,软件开发\n{chips},芯片公司,321203,3973,集成电路制造\n"
        f"{chemicals},化工公司,321283,2614,化工产品销售\n",
        encoding="utf-8",
    )
    assert run_import(database, "register", register)[0] == 0
    lists = tmp_path / "recognitions.csv"
    lists.write_text(
        "名单,统一社会信用代码,认定年份,级别,备注\n"
        f"高新技术企业,{software},2023,国家,\n高新技术企业,{chips},2022,国家,基期年\n"
        f"高新技术企业,{chemicals},2024,国家,非数字经济\n高新技术企业,{chips},2024,国家,复审\n",
        encoding="utf-8",
    )
    code_, output = run_import(database, "recognitions", lists)
    assert code_ == 0, output
    assert "未变 unchanged 4" in run_import(database, "recognitions", lists)[1]
    assert count(database, Recognition) == 4
    with session_scope(make_engine(database)) as session:
        table = progress_table(session, "nbs-de-2021-reconstructed", Period(2024))
        report = {p.code: p for p in table.rows}
    # Since the 2022 base: 2023 the software firm; 2024 the chip maker again (renewed). The
    # chemical firm is not a digital-economy unit and does not count: 2 by 2024.
    assert report["DE02"].current_value == 2


def test_recognitions_with_bad_cells_import_nothing(database: str, tmp_path: Path) -> None:
    from demonitor.store.models import Recognition

    path = tmp_path / "recognitions.csv"
    path.write_text(
        "list_name,credit_code,year,level\n高新技术企业,91321202MA1A0000XX,24,县\n",
        encoding="utf-8",
    )
    assert run_import(database, "recognitions", path)[0] == 2
    text = (tmp_path / "recognitions.csv.errors.csv").read_text(encoding="utf-8-sig")
    assert "不在企业名录中" in text and "年份「24」无效" in text and "级别应为" in text
    assert count(database, Recognition) == 0
