"""Unit identification: every rule, every rejection reason, every input format, exit codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import REGISTER_HEADER, WriteRegister
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from demonitor.cli import app
from demonitor.core.classify import OUTPUT_COLUMNS, ClassificationRules, classify_register
from demonitor.core.credit_code import check_character

runner = CliRunner()


def code(body: str) -> str:
    """A valid credit code: 91 + region + 9-character body + check character."""
    first17 = f"91{body}".ljust(17, "0")
    return first17 + check_character(first17)


SOFTWARE = code("321202MA1A0001")
POWER_CABLE = code("321282MA1A0002")
DATA_CABLE = code("321282MA1A0003")
CHEMICAL = code("321283MA1A0004")
CONSULTING = code("321203MA1A0005")
SMART_FACTORY = code("321204MA1A0006")
PLAIN_CABLE = code("321282MA1A0007")


def run(path: Path, output: Path, *extra: str) -> tuple[int, list[dict[str, str]], str]:
    result = runner.invoke(app, ["classify", str(path), "-o", str(output), *extra])
    rows: list[dict[str, str]] = []
    if output.exists():
        with output.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    return result.exit_code, rows, result.output


GOOD_ROWS = [
    [
        SOFTWARE,
        "泰州华信软件科技有限公司",
        "321202",
        "I6513",
        "一般项目：软件开发；信息技术咨询服务",
    ],
    [
        POWER_CABLE,
        "靖江远东电力电缆有限公司",
        "321282",
        "3831",
        "一般项目：电力电缆制造；电线、电缆经营",
    ],
    [
        DATA_CABLE,
        "靖江亨通通信电缆有限公司",
        "321282",
        "C3831",
        "一般项目：电力电缆制造；通信电缆制造；光缆销售",
    ],
    [
        CHEMICAL,
        "泰兴瑞丰化工有限公司",
        "321283",
        "2614",
        "许可项目：危险化学品生产。一般项目：化工产品销售",
    ],
    [CONSULTING, "泰州数联咨询有限公司", "321203", "7239", "一般项目：软件开发；企业管理咨询"],
    [
        SMART_FACTORY,
        "姜堰精工机械有限公司",
        "321204",
        "3311",
        "一般项目：金属结构制造；智能制造装备销售；工业互联网数据服务",
    ],
    [PLAIN_CABLE, "靖江普通电缆有限公司", "321282", "3831", "一般项目：电线、电缆经营"],
]


def by_code(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["credit_code"]: r for r in rows}


def test_each_rule_decides_as_specified(write_register: WriteRegister, tmp_path: Path) -> None:
    exit_code, rows, output = run(write_register(GOOD_ROWS), tmp_path / "out.csv")
    assert exit_code == 0, output
    result = by_code(rows)
    # Rule 1: a whole class.
    assert result[SOFTWARE]["de_code"] == "030103"
    assert result[SOFTWARE]["method"] == "industry_code"
    assert result[SOFTWARE]["core"] == "true" and result[SOFTWARE]["de_category"] == "03"
    assert "6513" in result[SOFTWARE]["evidence"]
    # Rule 2: 3831 with 通信电缆 counts as 010606; 电力电缆 is masked and does not.
    assert result[DATA_CABLE]["de_code"] == "010606"
    assert result[DATA_CABLE]["method"] == "business_scope"
    assert "通信电缆" in result[DATA_CABLE]["evidence"]
    assert result[POWER_CABLE]["status"] == "not_digital"
    assert result[POWER_CABLE]["method"] == "business_scope"
    assert "仅部分属于010606/050203" in result[POWER_CABLE]["reason"]
    assert result[PLAIN_CABLE]["status"] == "not_digital"
    # Rule 2 for a 05 class: 工业互联网 in a metal-structure maker's scope.
    assert result[SMART_FACTORY]["de_code"] == "050204"
    assert result[SMART_FACTORY]["core"] == "false"
    # Outside the classification entirely (2614 only partly 05, no digital term): not digital.
    assert result[CHEMICAL]["status"] == "not_digital"
    # Rule 3: first scope item is software development but the code is business consulting.
    assert result[CONSULTING]["status"] == "candidate"
    assert result[CONSULTING]["de_code"] == ""
    assert result[CONSULTING]["method"] == "first_scope_item"
    assert (
        "软件开发" in result[CONSULTING]["evidence"] and "030103" in result[CONSULTING]["evidence"]
    )
    for row in rows:
        assert row["edition"] == "nbs-de-2021-reconstructed"
    assert list(rows[0]) == list(OUTPUT_COLUMNS)
    assert "重构版" in output  # results name the reconstruction


def test_an_industry_code_outside_the_classification(
    write_register: WriteRegister, tmp_path: Path
) -> None:
    intl = code("321202MA1A0099")
    exit_code, rows, _ = run(
        write_register([[intl, "国际组织驻泰代表处", "321202", "9700", "联络"]]), tmp_path / "o.csv"
    )
    assert exit_code == 0
    assert rows[0]["status"] == "not_digital" and rows[0]["method"] == "industry_code"
    assert "不属于数字经济及其核心产业分类" in rows[0]["reason"]


def test_manual_overrides_win_over_rules(write_register: WriteRegister, tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(
        "统一社会信用代码,数字经济分类代码,理由\n"
        f"{CONSULTING},030103,主营软件开发，2024年复核确认\n"
        f"{SOFTWARE},,实为软件代理销售，非开发\n"
        f"{code('321202MA1A9999')},030103,不在名录中\n",
        encoding="utf-8",
    )
    exit_code, rows, output = run(
        write_register(GOOD_ROWS), tmp_path / "out.csv", "--overrides", str(overrides)
    )
    assert exit_code == 0, output
    result = by_code(rows)
    assert result[CONSULTING]["status"] == "classified"
    assert result[CONSULTING]["method"] == "manual"
    assert result[CONSULTING]["de_code"] == "030103"
    assert "2024年复核确认" in result[CONSULTING]["evidence"]
    assert result[SOFTWARE]["status"] == "not_digital" and result[SOFTWARE]["method"] == "manual"
    assert f"not in the register: {code('321202MA1A9999')}" in output


def test_a_bad_override_file_stops_the_run(write_register: WriteRegister, tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(
        f"credit_code,de_code,note\n{SOFTWARE},999999,x\n{CONSULTING},030103,\n", encoding="utf-8"
    )
    exit_code, _, output = run(
        write_register(GOOD_ROWS), tmp_path / "out.csv", "--overrides", str(overrides)
    )
    assert exit_code == 2
    assert "999999" in output and "row 2" in output and "row 3" in output
    assert not (tmp_path / "out.csv").exists()


REJECTIONS = [
    (["", "无代码公司", "321202", "6513", "软件开发"], "统一社会信用代码为空"),
    (["91321202MA1A00", "短码公司", "321202", "6513", "软件开发"], "应为18位"),
    (
        [
            SOFTWARE[:-1] + ("0" if SOFTWARE[-1] != "0" else "1"),
            "错码公司",
            "321202",
            "6513",
            "软件开发",
        ],
        f"校验码错误（应为{SOFTWARE[-1]}）",
    ),
    ([code("321202MA1A0010"), "", "321202", "6513", "软件开发"], "单位名称为空"),
    ([code("321202MA1A0011"), "无区划公司", "", "6513", "软件开发"], "行政区划代码为空"),
    ([code("321202MA1A0012"), "外地公司", "320100", "6513", "软件开发"], "320100不在区划表中"),
    ([code("321202MA1A0013"), "无行业公司", "321202", "", "软件开发"], "行业代码为空"),
    (
        [code("321202MA1A0014"), "错行业公司", "321202", "3999", "软件开发"],
        "「3999」不是GB/T 4754-2017的小类",
    ),
    (
        [code("321202MA1A0015"), "大类公司", "321202", "65", "软件开发"],
        "「65」不是GB/T 4754-2017的小类",
    ),
    (
        [code("321202MA1A0016"), "门类错公司", "321202", "C6513", "软件开发"],
        "门类字母C与行业代码6513（门类I）不符",
    ),
]


@pytest.mark.parametrize(("row", "reason"), REJECTIONS, ids=[r for _, r in REJECTIONS])
def test_every_rejection_reason_names_its_column(
    write_register: WriteRegister, tmp_path: Path, row: list[str], reason: str
) -> None:
    exit_code, rows, _ = run(write_register([row]), tmp_path / "out.csv")
    assert exit_code == 3
    assert len(rows) == 1
    assert rows[0]["status"] == "rejected" and rows[0]["method"] == "validation"
    assert reason in rows[0]["reason"]
    column = reason and rows[0]["reason"].split("]")[0].lstrip("[")
    assert column in REGISTER_HEADER
    assert " / " in rows[0]["reason"]  # Chinese, then English


def test_duplicates_are_rejected_after_the_first(
    write_register: WriteRegister, tmp_path: Path
) -> None:
    rows_in = [GOOD_ROWS[0], GOOD_ROWS[1], [SOFTWARE.lower(), "重复公司", "321202", "6513", ""]]
    exit_code, rows, _ = run(write_register(rows_in), tmp_path / "out.csv")
    assert exit_code == 3
    assert [r["status"] for r in rows] == ["classified", "not_digital", "rejected"]
    assert "与第2行重复" in rows[2]["reason"] and "duplicate of row 2" in rows[2]["reason"]


def test_several_problems_are_all_reported(write_register: WriteRegister, tmp_path: Path) -> None:
    _, rows, _ = run(write_register([["X", "", "999999", "ABC", ""]]), tmp_path / "out.csv")
    reason = rows[0]["reason"]
    for column in ("[credit_code]", "[name]", "[region_code]", "[industry_code]"):
        assert column in reason


def test_chinese_headers_are_accepted(write_register: WriteRegister, tmp_path: Path) -> None:
    header = ["统一社会信用代码", "企业名称", "行政区划代码", "行业代码", "经营范围"]
    exit_code, rows, _ = run(write_register(GOOD_ROWS, header=header), tmp_path / "out.csv")
    assert exit_code == 0
    assert by_code(rows)[SOFTWARE]["de_code"] == "030103"
    header[1] = "单位名称"
    exit_code, rows, _ = run(write_register(GOOD_ROWS, header=header), tmp_path / "out2.csv")
    assert exit_code == 0 and len(rows) == len(GOOD_ROWS)


def test_a_gbk_encoded_csv_is_read(write_register: WriteRegister, tmp_path: Path) -> None:
    path = write_register(
        GOOD_ROWS,
        header=["统一社会信用代码", "单位名称", "行政区划代码", "行业代码", "经营范围"],
        encoding="gbk",
    )
    exit_code, rows, _ = run(path, tmp_path / "out.csv")
    assert exit_code == 0
    assert by_code(rows)[DATA_CABLE]["name"] == "靖江亨通通信电缆有限公司"


def test_missing_columns_stop_with_exit_2(write_register: WriteRegister, tmp_path: Path) -> None:
    path = write_register([r[:4] for r in GOOD_ROWS], header=REGISTER_HEADER[:4])
    exit_code, _, output = run(path, tmp_path / "out.csv")
    assert exit_code == 2
    assert "business_scope" in output and "经营范围" in output
    assert not (tmp_path / "out.csv").exists()


def test_an_unreadable_file_stops_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "register.xlsx"
    bad.write_bytes(b"this is not a workbook")
    exit_code, _, output = run(bad, tmp_path / "out.csv")
    assert exit_code == 2 and "register.xlsx" in output
    exit_code, _, output = run(tmp_path / "absent.csv", tmp_path / "out.csv")
    assert exit_code == 2 and "文件不存在" in output


def test_xlsx_input_and_output(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["统一社会信用代码", "单位名称", "行政区划代码", "行业代码", "经营范围"])
    for row in GOOD_ROWS:
        sheet.append([*row[:3], int(row[3]) if row[3].isdigit() else row[3], row[4]])
    source = tmp_path / "register.xlsx"
    workbook.save(source)
    output = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["classify", str(source), "-o", str(output)])
    assert result.exit_code == 0, result.output
    sheet_out = load_workbook(output, read_only=True).worksheets[0]
    values = list(sheet_out.iter_rows(values_only=True))
    assert list(values[0]) == list(OUTPUT_COLUMNS)
    assert len(values) == len(GOOD_ROWS) + 1
    assert {r[0]: r[4] for r in values[1:]}[SOFTWARE] == "030103"


def test_parquet_input_and_output(tmp_path: Path) -> None:
    columns = list(zip(*GOOD_ROWS, strict=True))
    table = pa.table({name: list(col) for name, col in zip(REGISTER_HEADER, columns, strict=True)})
    source = tmp_path / "register.parquet"
    pq.write_table(table, source)
    output = tmp_path / "out.parquet"
    result = runner.invoke(app, ["classify", str(source), "-o", str(output)])
    assert result.exit_code == 0, result.output
    out = pq.read_table(output)
    assert out.num_rows == len(GOOD_ROWS)
    assert out.column_names == list(OUTPUT_COLUMNS)
    assert out.column("source_row").to_pylist() == list(range(2, len(GOOD_ROWS) + 2))


def test_output_row_count_equals_input_row_count_in_input_order(
    write_register: WriteRegister, tmp_path: Path
) -> None:
    rows_in = [r for _ in range(30) for r in GOOD_ROWS] + [r for r, _ in REJECTIONS]
    exit_code, rows, _ = run(write_register(rows_in), tmp_path / "out.csv")
    assert exit_code == 3
    assert len(rows) == len(rows_in)
    assert [int(r["source_row"]) for r in rows] == list(range(2, len(rows_in) + 2))
    assert [r["name"] for r in rows] == [r[1] for r in rows_in]


def test_summary_counts_statuses_categories_and_regions(
    write_register: WriteRegister, tmp_path: Path
) -> None:
    exit_code, _, output = run(write_register(GOOD_ROWS), tmp_path / "out.csv")
    assert exit_code == 0
    assert "按状态 / by status" in output and "按区划 / by region" in output
    assert "靖江市" in output and "核心产业" in output and "01–04" in output


def test_engine_agrees_with_the_reference_implementation(
    rules: ClassificationRules, write_register: WriteRegister, tmp_path: Path
) -> None:
    rows_in = GOOD_ROWS + [r for r, _ in REJECTIONS] + [GOOD_ROWS[0]]
    _, rows, _ = run(write_register(rows_in), tmp_path / "out.csv")
    expected = classify_register(
        [dict(zip(REGISTER_HEADER, r, strict=True)) for r in rows_in], rules
    )
    for got, want in zip(rows, expected, strict=True):
        assert got == {
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in want.items()
        }


def test_output_is_never_half_written(write_register: WriteRegister, tmp_path: Path) -> None:
    output = tmp_path / "out.csv"
    output.write_text("previous result\n", encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_text(
        'credit_code,name,region_code,industry_code,business_scope\n"a,"b\n', encoding="utf-8"
    )
    exit_code, _, _ = run(broken, output)
    assert exit_code == 2
    assert output.read_text(encoding="utf-8") == "previous result\n"
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())


def test_engine_agrees_with_the_reference_on_the_demo_register(
    rules: ClassificationRules, tmp_path: Path
) -> None:
    """The vectorised plan and the per-row reference classify 20,000 demo rows identically."""
    from demonitor.demo.register import write_demo_register
    from demonitor.engine.duckdb_backend import classify_to_table

    source = tmp_path / "demo.parquet"
    write_demo_register(source, 20_000, seed=7)
    engine = classify_to_table(source, rules).to_pylist()
    register = pq.read_table(source).to_pylist()
    expected = classify_register(register, rules)
    assert len(engine) == len(expected) == 20_000
    mismatches = [(got, want) for got, want in zip(engine, expected, strict=True) if got != want]
    assert not mismatches, mismatches[:3]
    statuses = {row["status"] for row in engine}
    methods = {row["method"] for row in engine}
    assert statuses == {"classified", "not_digital", "candidate", "rejected"}
    assert methods == {"industry_code", "business_scope", "first_scope_item", "validation"}
