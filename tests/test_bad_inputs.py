"""Bad inputs of the command line and the import service (issue 10, items 5, 11, 12 and 13).

Every refused input exits 2 and names the file, row, column and reason in Chinese and English;
nothing of a refused file is written (no import batch, no audit entry); no input ends in a
traceback. The web side is ``test_upload_limits.py``.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, create_engine, func, select, text
from typer.testing import CliRunner

from demonitor.cli import app
from demonitor.core import periods
from demonitor.core.credit_code import check_character
from demonitor.core.errors import BilingualError
from demonitor.core.periods import Period, PeriodError
from demonitor.core.values import parse_number, to_number
from demonitor.ingest.specs import SPECS
from demonitor.store.db import make_engine, session_scope
from demonitor.store.models import (
    AuditEntry,
    Financial,
    ImportBatch,
    Observation,
    ValueAddedRate,
)

runner = CliRunner()

SOFTWARE = "91321202MA1A00001" + check_character("91321202MA1A00001")
HEADERS = {
    "financials": "统一社会信用代码,期别,营业收入（万元）,增加值（万元）,从业人员",
    "varates": "行业代码,年份,增加值率（%）,来源",
    "recognitions": "名单,统一社会信用代码,认定年份,级别,备注",
    "observations": "指标代码,行政区划代码,期别,数值,备注",
    "gdp": "行政区划代码,期别,地区生产总值（亿元）,是否累计",
    "core_deflator": "行政区划代码,期别,核心产业大类,价格指数,是否累计",
    "register": "统一社会信用代码,单位名称,行政区划代码,行业代码,经营范围",
}
GOOD_ROWS = {
    "financials": f"{SOFTWARE},2024,100,40,50",
    "varates": "6513,2024,40,测试",
    "recognitions": f"高新技术企业,{SOFTWARE},2024,国家,",
    "observations": "DE05,321202,2024,70,",
    "gdp": "321200,2024,7000,否",
    "core_deflator": "321200,2024,01,101,否",
    "register": f"{SOFTWARE},泰州软件有限公司,321202,6513,一般项目：软件开发",
}
TEMPLATE_KINDS = ("financials", "varates", "recognitions", "observations", "gdp", "core_deflator")


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A seeded SQLite database holding one enterprise (for financials and recognitions)."""
    url = f"sqlite:///{tmp_path / 'demonitor.db'}"
    return _seeded(url, tmp_path)


@pytest.fixture
def both(engine: Engine, tmp_path: Path) -> str:
    """The same on SQLite and PostgreSQL, for what only PostgreSQL refuses (lengths, ranges)."""
    return _seeded(url_of(engine), tmp_path)


def _seeded(url: str, folder: Path) -> str:
    assert runner.invoke(app, ["init", "--database-url", url]).exit_code == 0
    register = folder / "seed-register.csv"
    register.write_text(f"{HEADERS['register']}\n{GOOD_ROWS['register']}\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "register", str(register), "--database-url", url])
    assert result.exit_code == 0, result.output
    return url


def write(folder: Path, name: str, kind: str, *rows: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_text("\n".join([HEADERS[kind], *rows]) + "\n", encoding=encoding)
    return path


class Outcome:
    def __init__(self, path: Path, result: Any) -> None:
        self.code: int = result.exit_code
        self.output: str = result.output
        self.exception = result.exception
        report = path.with_name(path.name + ".errors.csv")
        self.errors: list[dict[str, str]] = []
        if report.exists():
            with report.open(encoding="utf-8-sig") as handle:
                self.errors = list(csv.DictReader(handle))

    def refused(self, row: str, column: str, zh: str, en: str = "") -> bool:
        """Exit 2, and an error naming that row and column, with both languages."""
        return self.code == 2 and any(
            e["row"] == row
            and e["column"] == column
            and zh in e["原因"]
            and en.lower() in e["reason"].lower()
            and e["reason"]
            and e["file"]
            for e in self.errors
        )

    def __repr__(self) -> str:
        return f"exit {self.code}: {self.output}\n{self.errors}\n{self.exception!r}"


def run_import(url: str, kind: str, path: Path, *extra: str) -> Outcome:
    result = runner.invoke(app, ["import", kind, str(path), "--database-url", url, *extra])
    # No traceback: the only exception a run may end with is the exit itself.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return Outcome(path, result)


def count(url: str, model: type[Any]) -> int:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def nothing_written(url: str, batches: int = 1, audit: int | None = None) -> bool:
    """Only the seed register's batch; the audit log as it was."""
    return count(url, ImportBatch) == batches and (audit is None or count(url, AuditEntry) == audit)


# Numbers and periods (core) ---------------------------------------------------------------------


def test_underscores_in_numbers_are_refused() -> None:
    assert float("1_0") == 10  # what Python alone would read
    with pytest.raises(ValueError):
        to_number("1_0")
    found: list[tuple[int, str, str, str]] = []
    assert parse_number("1_000", "revenue", 4, lambda *e: found.append(e)) is None
    assert found and found[0][:2] == (4, "revenue") and "1_000" in found[0][2]
    assert to_number("1,234.5") == 1234.5  # thousands separators are still fine


def test_a_percent_sign_only_where_the_column_is_in_percent() -> None:
    found: list[tuple[int, str, str, str]] = []
    assert parse_number("55%", "value", 3, lambda *e: found.append(e)) is None
    assert "百分号" in found[0][2] and "percent" in found[0][3]
    assert parse_number("55%", "rate", 3, lambda *e: found.append(e), percent=True) == 55
    assert len(found) == 1


def test_periods_are_plausible_years_only() -> None:
    first, last = periods.YEAR_RANGE
    assert (first, last) == (1949, 2100)
    for code in ("0000", "9999", "1948", "2101", "1800Q1", "2200M01"):
        with pytest.raises(PeriodError) as refused:
            Period.parse(code)
        assert "1949" in str(refused.value) and "2100" in str(refused.value)
    assert Period.parse("1949") == Period(1949) and Period.parse("2100Q4") == Period(2100, "Q", 4)
    # Arithmetic near the edges stays possible: only what people type is checked.
    assert Period(1949).previous() == Period(1948)
    # A refused period is a refusal in both languages (a 400 on the web, exit 2 on the CLI).
    with pytest.raises(BilingualError) as bilingual:
        Period.parse("0000")
    assert bilingual.value.zh and bilingual.value.en


# Unreadable files -------------------------------------------------------------------------------


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _good_xlsx(kind: str) -> bytes:
    return xlsx_bytes([HEADERS[kind].split(","), GOOD_ROWS[kind].split(",")])


DAMAGED: dict[str, Any] = {
    "empty": lambda kind: b"",
    "not a zip": lambda kind: b"PK\x03\x04 this is not really a workbook",
    "text": lambda kind: "这不是Excel文件".encode(),
    "truncated": lambda kind: _good_xlsx(kind)[: len(_good_xlsx(kind)) // 2],
    "a zip without a sheet": lambda kind: _zip({"hello.txt": b"hi"}),
}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
@pytest.mark.parametrize("damage", list(DAMAGED))
def test_a_damaged_workbook_is_refused_with_a_reason(
    database: str, tmp_path: Path, kind: str, damage: str
) -> None:
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(DAMAGED[damage](kind))
    outcome = run_import(database, kind, path)
    assert outcome.code == 2, outcome
    assert outcome.errors and all(e["file"] == path.name for e in outcome.errors), outcome
    reason = outcome.errors[0]
    assert reason["row"] == "0" and reason["原因"] and reason["reason"]
    assert any(word in reason["原因"] for word in ("Excel", "文件为空")), outcome
    assert nothing_written(database)


@pytest.mark.parametrize("kind", ["financials", "varates", "recognitions", "observations"])
def test_a_gbk_csv_is_read_like_a_utf8_one(database: str, tmp_path: Path, kind: str) -> None:
    """Excel on a Chinese Windows saves CSV as GBK: such files import (the register did)."""
    path = write(tmp_path, f"{kind}.csv", kind, GOOD_ROWS[kind], encoding="gbk")
    outcome = run_import(database, kind, path)
    assert outcome.code == 0, outcome


def test_a_file_in_no_known_encoding_is_refused(database: str, tmp_path: Path) -> None:
    path = tmp_path / "financials.csv"
    path.write_bytes(HEADERS["financials"].encode() + b"\n\xff\xfe\xff\xfe,2024,1,1,1\n")
    outcome = run_import(database, "financials", path)
    assert outcome.code == 2 and "UTF-8" in outcome.errors[0]["原因"], outcome


@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
def test_a_cell_over_the_limit_names_its_row_and_column(
    database: str, tmp_path: Path, kind: str
) -> None:
    """A cell of 140,000 characters (beyond Python's CSV field limit and Excel's 32,767)."""
    cells = GOOD_ROWS[kind].split(",")
    cells[1] = "x" * 140_000
    path = write(tmp_path, f"{kind}.csv", kind, GOOD_ROWS[kind], ",".join(cells))
    outcome = run_import(database, kind, path)
    assert outcome.code == 2, outcome
    column = SPECS[kind].columns[1].name
    assert outcome.refused("3", column, "32,767", "32,767"), outcome
    assert nothing_written(database)


# Header only, duplicates, wrong values (item 12) ------------------------------------------------


@pytest.mark.parametrize("kind", list(HEADERS))
def test_a_header_only_file_is_refused_and_not_recorded(
    database: str, tmp_path: Path, kind: str
) -> None:
    path = write(tmp_path, f"{kind}.csv", kind)
    audit_before = count(database, AuditEntry)
    outcome = run_import(database, kind, path)
    assert outcome.code == 2, outcome
    assert any(
        "文件没有数据行" in e["原因"] and "no data rows" in e["reason"] for e in outcome.errors
    ), outcome
    assert nothing_written(database, audit=audit_before)


def test_a_header_and_explanation_only_template_is_refused(database: str, tmp_path: Path) -> None:
    template = tmp_path / "varates.xlsx"
    made = runner.invoke(
        app, ["template", "varates", "-o", str(template), "--database-url", database]
    )
    assert made.exit_code == 0
    outcome = run_import(database, "varates", template)
    assert outcome.code == 2 and "文件没有数据行" in outcome.errors[0]["原因"], outcome


def test_a_duplicate_rate_is_refused_naming_both_rows(database: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rates.csv",
        "varates",
        "6513,2023,40,投入产出表",
        "65,2023,30,x",
        "6513,2023,45,y",
    )
    outcome = run_import(database, "varates", path)
    assert outcome.refused("4", "industry_code", "与第2行重复", "duplicates row 2"), outcome
    assert count(database, ValueAddedRate) == 0


def test_value_added_above_revenue_is_refused(database: str, tmp_path: Path) -> None:
    path = write(tmp_path, "financials.csv", "financials", f"{SOFTWARE},2024,100,400,5")
    outcome = run_import(database, "financials", path)
    assert outcome.refused("2", "value_added", "超过营业收入", "revenue"), outcome
    assert count(database, Financial) == 0


def test_negative_value_added_is_imported_with_a_warning(database: str, tmp_path: Path) -> None:
    """A loss-making unit can, rarely, have negative value added: kept, and said so."""
    path = write(tmp_path, "financials.csv", "financials", f"{SOFTWARE},2024,100,-40,5")
    outcome = run_import(database, "financials", path)
    assert outcome.code == 0, outcome
    assert "增加值为负" in outcome.output and "negative value added" in outcome.output
    assert "第2行" in outcome.output and "row 2" in outcome.output
    assert count(database, Financial) == 1


def test_the_template_explains_the_value_added_rules() -> None:
    explanation = SPECS["financials"].column("value_added").explanation_zh
    assert "不得超过营业收入" in explanation and "为负" in explanation


def test_underscored_numbers_are_refused_in_a_file(database: str, tmp_path: Path) -> None:
    path = write(tmp_path, "financials.csv", "financials", f"{SOFTWARE},2024,1_0,4,5")
    outcome = run_import(database, "financials", path)
    assert outcome.refused("2", "revenue", "1_0"), outcome


@pytest.mark.parametrize(
    ("kind", "row", "column"),
    [
        ("observations", "DE05,321202,2024,55%,", "value"),
        ("gdp", "321200,2024,7000%,否", "gdp"),
        ("financials", f"{SOFTWARE},2024,100,40,50%", "employees"),
    ],
)
def test_a_percent_sign_the_template_forbids_is_refused(
    database: str, tmp_path: Path, kind: str, row: str, column: str
) -> None:
    outcome = run_import(database, kind, write(tmp_path, f"{kind}.csv", kind, row))
    assert outcome.refused("2", column, "百分号", "percent"), outcome


def test_a_percent_sign_in_a_percent_column_is_read(database: str, tmp_path: Path) -> None:
    path = write(tmp_path, "rates.csv", "varates", "6513,2024,40%,测试")
    assert run_import(database, "varates", path).code == 0
    with session_scope(make_engine(database)) as session:
        assert session.scalars(select(ValueAddedRate.rate)).one() == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("kind", "row", "column"),
    [
        ("observations", "DE05,321202,0000,70,", "period"),
        ("observations", "DE05,321202,9999,70,", "period"),
        ("observations", "DE05,321202,1800,70,", "period"),
        ("gdp", "321200,0000,7000,否", "period"),
        ("gdp", "321200,2101Q1,7000,是", "period"),
        ("core_deflator", "321200,1900,01,101,否", "period"),
        ("financials", f"{SOFTWARE},0000,100,40,50", "period"),
        ("financials", f"{SOFTWARE},9999,100,40,50", "period"),
        ("varates", "6513,0000,40,x", "year"),
        ("varates", "6513,9999,40,x", "year"),
        ("recognitions", f"高新技术企业,{SOFTWARE},2101,国家,", "year"),
        ("recognitions", f"高新技术企业,{SOFTWARE},0000,国家,", "year"),
    ],
)
def test_periods_beyond_plausible_years_are_refused(
    database: str, tmp_path: Path, kind: str, row: str, column: str
) -> None:
    outcome = run_import(database, kind, write(tmp_path, f"{kind}.csv", kind, row))
    assert outcome.refused("2", column, "1949", "1949"), outcome
    assert nothing_written(database)


# What only the database would refuse (run on SQLite and PostgreSQL) ----------------------------


@pytest.mark.parametrize(
    ("kind", "row", "column", "reason"),
    [
        ("financials", f"{SOFTWARE},2024,100,40,1e30", "employees", "从业人员"),
        ("financials", f"{SOFTWARE},2024,100,40,10000000000", "employees", "从业人员"),
        ("financials", f"{SOFTWARE},2024,1e305,40,5", "revenue", "营业收入"),
        ("recognitions", f"{'高' * 100},{SOFTWARE},2024,国家,", "list_name", "64"),
        ("register", f"{SOFTWARE},{'名' * 300},321202,6513,软件开发", "name", "256"),
    ],
)
def test_values_beyond_a_column_are_refused_on_every_database(
    both: str, tmp_path: Path, kind: str, row: str, column: str, reason: str
) -> None:
    audit_before = count(both, AuditEntry)
    outcome = run_import(both, kind, write(tmp_path, f"{kind}.csv", kind, row))
    assert outcome.refused("2", column, reason), outcome
    assert nothing_written(both, audit=audit_before)


def test_an_actor_name_too_long_is_refused(both: str, tmp_path: Path) -> None:
    path = write(tmp_path, "observations.csv", "observations", GOOD_ROWS["observations"])
    result = runner.invoke(
        app, ["import", "observations", str(path), "--database-url", both, "--actor", "a" * 100]
    )
    assert result.exit_code == 2, result.output
    assert "64" in result.output and "actor" in result.output
    assert count(both, Observation) == 0


# Floods (item 5) --------------------------------------------------------------------------------


def flood_xlsx(path: Path, header: list[str], rows: int, *, dimension: bool = True) -> Path:
    """A small workbook holding ``rows`` data rows of one cell: the kind of file that once held
    the database for a minute (415 KB, 500,000 rows)."""
    sheet_rows = [
        '<row r="1">'
        + "".join(
            f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
            for i, name in enumerate(header)
        )
        + "</row>"
    ]
    sheet_rows.extend(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(2, rows + 2))
    last = f"{chr(64 + len(header))}{rows + 1}"
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="A1:{last}"/>' if dimension else "")
        + "<sheetData>"
        + "".join(sheet_rows)
        + "</sheetData></worksheet>"
    )
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([["x"]]))) as template:
        members = {name: template.read(name) for name in template.namelist()}
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    path.write_bytes(_zip(members))
    return path


def test_a_sheet_of_half_a_million_rows_is_refused_at_once(database: str, tmp_path: Path) -> None:
    path = flood_xlsx(tmp_path / "observations.xlsx", HEADERS["observations"].split(","), 500_000)
    assert path.stat().st_size < 5_000_000  # less than the web takes in one file
    started = time.perf_counter()
    outcome = run_import(database, "observations", path)
    assert time.perf_counter() - started < 5
    assert outcome.code == 2, outcome
    assert "500,001" in outcome.errors[0]["原因"] and "500,001" in outcome.errors[0]["reason"]
    assert nothing_written(database)


def test_a_sheet_without_its_size_stops_at_the_row_limit(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMONITOR_MAX_IMPORT_ROWS", "1000")
    path = flood_xlsx(
        tmp_path / "observations.xlsx", HEADERS["observations"].split(","), 5_000, dimension=False
    )
    outcome = run_import(database, "observations", path)
    assert outcome.code == 2, outcome
    assert "1,000" in outcome.errors[0]["原因"], outcome


def test_the_row_limit_is_a_setting(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [f"DE05,321202,{year},70," for year in range(2015, 2025)]
    path = write(tmp_path, "observations.csv", "observations", *rows)
    monkeypatch.setenv("DEMONITOR_MAX_IMPORT_ROWS", "5")
    outcome = run_import(database, "observations", path)
    assert outcome.code == 2 and "5" in outcome.errors[0]["原因"], outcome
    monkeypatch.setenv("DEMONITOR_MAX_IMPORT_ROWS", "many")
    result = runner.invoke(app, ["import", "observations", str(path), "--database-url", database])
    assert result.exit_code == 2 and "DEMONITOR_MAX_IMPORT_ROWS" in result.output
    monkeypatch.delenv("DEMONITOR_MAX_IMPORT_ROWS")
    assert run_import(database, "observations", path).code == 0


def test_a_zip_bomb_is_refused_before_it_is_inflated(database: str, tmp_path: Path) -> None:
    """A member declaring 300 MiB uncompressed is refused on what it declares (the web test
    inflates a real one)."""
    path = tmp_path / "observations.xlsx"
    path.write_bytes(_good_xlsx("observations"))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/media/blank.bin", b" " * 1024)
        archive.getinfo("xl/media/blank.bin").file_size = 300 * 1024 * 1024
    outcome = run_import(database, "observations", path)
    assert outcome.code == 2 and "MB" in outcome.errors[0]["原因"], outcome
    assert "300" in outcome.errors[0]["原因"] and "MB" in outcome.errors[0]["reason"], outcome


def test_a_file_is_read_before_the_write_transaction_opens(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a file is read and checked, others can still write (the database is not held)."""
    import demonitor.services.imports as imports

    path = write(tmp_path, "observations.csv", "observations", GOOD_ROWS["observations"])
    database_file = database.removeprefix("sqlite:///")
    free: list[bool] = []
    real = imports.read_rows

    def reading(*args: Any, **kwargs: Any) -> Any:
        other = create_engine(f"sqlite:///{database_file}", connect_args={"timeout": 0})
        with other.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # fails at once if a writer holds it
            connection.exec_driver_sql("ROLLBACK")
            free.append(True)
        other.dispose()
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "read_rows", reading)
    assert run_import(database, "observations", path).code == 0
    assert free == [True]


# Classification outputs (item 13) ---------------------------------------------------------------


def _register(tmp_path: Path) -> Path:
    path = tmp_path / "register.csv"
    path.write_text(f"{HEADERS['register']}\n{GOOD_ROWS['register']}\n", encoding="utf-8")
    return path


def test_classify_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    register = _register(tmp_path)
    before = register.read_bytes()
    (tmp_path / "sub").mkdir()
    for output in (register, tmp_path / "sub" / ".." / "register.csv"):
        result = runner.invoke(app, ["classify", str(register), "-o", str(output)])
        assert result.exit_code == 2, result.output
        assert "输入" in result.output and "input" in result.output
    assert register.read_bytes() == before


def test_classify_refuses_to_write_over_its_overrides(tmp_path: Path) -> None:
    register = _register(tmp_path)
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(f"credit_code,de_code,note\n{SOFTWARE},,人工认定\n", encoding="utf-8")
    before = overrides.read_bytes()
    result = runner.invoke(
        app, ["classify", str(register), "-o", str(overrides), "--overrides", str(overrides)]
    )
    assert result.exit_code == 2, result.output
    assert overrides.read_bytes() == before


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_killed_classify_leaves_nothing_behind_after_the_next_run(tmp_path: Path) -> None:
    """A run killed mid-way leaves its partial output; the next run removes it (and keeps the
    partial output of a run still going)."""
    register = _register(tmp_path)
    output = tmp_path / "classified.csv"
    stale = tmp_path / f".classified.csv.{_dead_pid()}.partial"
    legacy = tmp_path / ".classified.csv.partial"  # the name of earlier versions
    running = tmp_path / f".classified.csv.{os.getppid()}.partial"
    # The UTF-8 copy of a GBK register, in the temporary folder.
    copy = Path(tempfile.gettempdir()) / f"demonitor-utf8-{_dead_pid()}-test.csv"
    for path in (stale, legacy, running, copy):
        path.write_text("half written")
    result = runner.invoke(app, ["classify", str(register), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.is_file()
    assert not stale.exists() and not legacy.exists() and not copy.exists()
    assert running.exists()


def test_a_database_refusal_is_never_a_traceback(database: str, tmp_path: Path) -> None:
    """A value the checks let through but the database refuses: exit 2, nothing written."""
    path = write(tmp_path, "observations.csv", "observations", GOOD_ROWS["observations"])
    engine = make_engine(database)
    with engine.begin() as connection:  # a trigger stands in for a check the code lacks
        connection.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON observations "
                "BEGIN SELECT RAISE(ABORT, 'value too long for type character varying(16)'); END"
            )
        )
    engine.dispose()
    result = runner.invoke(app, ["import", "observations", str(path), "--database-url", database])
    assert result.exit_code == 2, result.output
    assert "数据库" in result.output and "database" in result.output
    assert nothing_written(database)
