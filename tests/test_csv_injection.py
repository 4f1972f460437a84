"""CSV and formula injection (issue 10, item 10): no text a user typed becomes a live formula in
a CSV or an XLSX the platform writes.

The rule (OWASP): a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written with a leading ``'`` in CSV; in XLSX every string is a string cell (type
``s``, never a formula) and keeps its text, marked ``quotePrefix`` when it begins like a
formula. Numbers stay numbers, negative ones too. Each writer of the platform is tested with
such text in a company name, a business scope, a reason or a note.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import WriteRegister
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from demonitor.cli import app as cli
from demonitor.core.classify import TRIM_CHARS
from demonitor.core.credit_code import check_character
from demonitor.demo.accounts import DEMO_ACCOUNTS, add_demo_accounts
from demonitor.demo.database import build_demo
from demonitor.store.db import make_engine, session_scope, upgrade
from demonitor.store.models import Classification, Region
from demonitor.web.app import create_app
from demonitor.web.settings import Settings

EDITION = "nbs-de-2021-reconstructed"
PASSWORDS = {a.username: a.password for a in DEMO_ACCOUNTS}
MALICIOUS = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "=cmd|' /C calc'!A0",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
runner = CliRunner()


def credit_code(body: str) -> str:
    first17 = f"91{body}".ljust(17, "0")
    return first17 + check_character(first17)


def neutralised(text: str) -> str:
    """What the CSV of a malicious text must hold."""
    return "'" + text


def assert_no_formula_in_workbook(content: bytes | Path) -> Any:
    """No cell of any sheet is a formula; every string cell is a string; returns the book."""
    source = io.BytesIO(content) if isinstance(content, bytes) else content
    book = load_workbook(source)  # not data_only: a formula would show as one
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert cell.data_type in ("s", "inlineStr"), cell.coordinate
    return book


def xml_text(text: str) -> str:
    """A text as an XLSX reads back: XML turns a carriage return into a line feed."""
    return text.replace("\r", "\n")


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def assert_no_formula_in_csv(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            if cell[:1] in FORMULA_STARTS:
                assert re.fullmatch(r"[+-]?[0-9.]+(e[+-]?[0-9]+)?", cell, re.I), repr(cell)


# The rule itself ---------------------------------------------------------------------------------


def test_the_rule_prefixes_text_that_begins_like_a_formula() -> None:
    from demonitor.core.cells import neutralise

    for text in MALICIOUS:
        assert neutralise(text) == "'" + text
    for safe in ("泰州华信软件", "a=b", "", "'=1", " =1", "3-2", "—"):
        assert neutralise(safe) == safe
    # Numbers stay numbers, as numbers or as the text of a plain number.
    for number in (-3.5, -1, 0, 2.5, True, None):
        assert neutralise(number) == number
    for text in ("-3.5", "+7", "-1e-3", "-.5"):
        assert neutralise(text) == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("=+-@\t\r0123456789.eE'a 中"), max_size=8))
def test_the_rule_in_sql_is_the_rule_in_python(text: str) -> None:
    """The DuckDB expression the classification CSV is written with agrees with the function."""
    from demonitor.core.cells import neutralise
    from demonitor.engine.safe_tables import sql_neutralised

    con = duckdb.connect()
    try:
        query = f"WITH t(x) AS (SELECT ?::VARCHAR) SELECT {sql_neutralised('x')} FROM t"
        (found,) = con.execute(query, [text]).fetchone() or (None,)
    finally:
        con.close()
    assert found == neutralise(text)
    assert found[:1] not in FORMULA_STARTS or found == text  # only a plain number stays


def test_the_xlsx_writer_keeps_strings_strings_and_numbers_numbers(tmp_path: Path) -> None:
    from demonitor.engine.safe_tables import append_row, set_cell

    for write_only in (False, True):
        book = Workbook(write_only=write_only)
        sheet = book.create_sheet("t") if write_only else book.active
        assert sheet is not None
        append_row(sheet, [*MALICIOUS, -3.5, 7, "#N/A", "bell\x07"])
        if not write_only:
            set_cell(sheet, 2, 1, "=1+1")
        path = tmp_path / f"t{write_only}.xlsx"
        book.save(path)
        found = assert_no_formula_in_workbook(path)["t" if write_only else "Sheet"]
        values = [c.value for c in found[1]][: len(MALICIOUS)]
        assert values == [xml_text(t) for t in MALICIOUS]  # the text itself, no quote added
        assert all(c.quotePrefix for c in found[1][: len(MALICIOUS)])
        number, seven, error, bell = found[1][len(MALICIOUS) :]
        assert (number.value, number.data_type, seven.value) == (-3.5, "n", 7)
        assert (error.value, error.data_type) == ("#N/A", "s")  # not an error value
        assert bell.value == "bell\ufffd"  # a worksheet cannot hold control characters
        if not write_only:
            assert (found.cell(2, 1).value, found.cell(2, 1).data_type) == ("=1+1", "s")


# The web: an indicator's data.csv and data.xlsx, the overrides export, the template --------------


@dataclass
class Platform:
    app: Any
    unit: str


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    from demonitor.services.identification import decide_case
    from demonitor.store.observations import ObservationStore, SeriesKey

    url = f"sqlite:///{tmp_path_factory.mktemp('injection') / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        build_demo(session, rows=200, seed=5)
        add_demo_accounts(session)
        # Vintages of DE05 (内部) for the city with malicious notes and reasons, and a
        # negative value, in years the dashboard's progress does not rest on.
        for number, text in enumerate(MALICIOUS):
            store = ObservationStore(session, text)  # recorded_by
            store.record(
                SeriesKey("DE05", "321200", str(2000 + number)),
                -3.5 - number,
                note=text,
                reason=text,
            )
        unit = session.scalars(select(Classification.credit_code).limit(1)).one()
        decide_case(session, EDITION, unit, False, None, MALICIOUS[0], "statistics")
        region = session.get(Region, "321202")
        assert region is not None
        region.name_zh = '=HYPERLINK("http://x","海陵")'
    engine.dispose()
    return Platform(create_app(Settings(database_url=url, secret_key="test")), unit)


def signed_in(platform: Platform, username: str) -> TestClient:
    client = TestClient(platform.app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORDS[username], "csrf_token": token[1]},
    )
    assert answer.status_code == 200, answer.text
    return client


@pytest.mark.slow  # the demo database of the module
def test_the_indicator_csv_prefixes_malicious_text_and_keeps_numbers(platform: Platform) -> None:
    answer = signed_in(platform, "office").get("/indicators/DE05/data.csv")
    assert answer.status_code == 200
    rows = csv_rows(answer.text)
    assert_no_formula_in_csv(rows)
    notes = {row[2]: row for row in rows[1:] if row[2].startswith("20") and row[2] < "2010"}
    assert len(notes) == len(MALICIOUS)
    for number, text in enumerate(MALICIOUS):
        row = notes[str(2000 + number)]
        assert row[9] == neutralised(text) and row[8] == neutralised(text)  # note, reason
        assert float(row[4]) == -3.5 - number and row[4].startswith("-")  # a number, raw
        assert row[7] == neutralised(text)  # recorded_by


@pytest.mark.slow  # the demo database of the module
def test_the_indicator_xlsx_has_no_formula(platform: Platform) -> None:
    answer = signed_in(platform, "office").get("/indicators/DE05/data.xlsx")
    assert answer.status_code == 200
    sheet = assert_no_formula_in_workbook(answer.content).active
    rows = {r[2].value: r for r in sheet.iter_rows(min_row=2) if str(r[2].value) < "2010"}
    for number, text in enumerate(MALICIOUS):
        row = rows[str(2000 + number)]
        assert (row[9].value, row[9].data_type) == (xml_text(text), "s")
        assert (row[4].value, row[4].data_type) == (-3.5 - number, "n")


@pytest.mark.slow  # the demo database of the module
def test_the_overrides_export_prefixes_a_malicious_reason(platform: Platform) -> None:
    answer = signed_in(platform, "statistics").get("/identification/overrides.csv")
    assert answer.status_code == 200
    rows = csv_rows(answer.text)
    assert_no_formula_in_csv(rows)
    assert [platform.unit, "", neutralised(MALICIOUS[0])] in rows


@pytest.mark.slow  # the demo database of the module
def test_the_submission_template_keeps_a_malicious_region_name_text(platform: Platform) -> None:
    answer = signed_in(platform, "office").get("/submissions/template.xlsx")
    assert answer.status_code == 200
    book = assert_no_formula_in_workbook(answer.content)
    names = [c.value for row in book["代码表"].iter_rows() for c in row]
    assert '=HYPERLINK("http://x","海陵")' in names


# The command line: classify -o .csv/.xlsx, --format csv, the import's errors file -----------------


@pytest.fixture
def malicious_register(write_register: WriteRegister) -> Path:
    rows = [
        [credit_code(f"321202MA1B000{i}"), text, "321202", "I6513", text]
        for i, text in enumerate(MALICIOUS)
    ]
    rows.append([credit_code("321202MA1B0009"), "泰州华信软件", "321202", "I6513", "-软件开发"])
    return write_register(rows)


def test_classify_to_csv_prefixes_malicious_names_and_scopes(
    malicious_register: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out.csv"
    result = runner.invoke(cli, ["classify", str(malicious_register), "-o", str(output)])
    assert result.exit_code in (0, 3), result.output
    rows = csv_rows(output.read_text(encoding="utf-8"))
    assert_no_formula_in_csv(rows)
    names = [row[1] for row in rows[1:]]
    trimmed = [text.strip(TRIM_CHARS) for text in MALICIOUS]  # the classifier trims names
    assert names == [*(neutralised(t) for t in trimmed), "泰州华信软件"]  # the last: as it was
    source_rows = [row[-1] for row in rows[1:]]
    assert all(r.isdigit() for r in source_rows)  # numbers stay numbers


def test_classify_to_xlsx_writes_no_formula(malicious_register: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.xlsx"
    result = runner.invoke(cli, ["classify", str(malicious_register), "-o", str(output)])
    assert result.exit_code in (0, 3), result.output
    sheet = assert_no_formula_in_workbook(output).active
    names = [r[1].value for r in sheet.iter_rows(min_row=2)]
    assert '=HYPERLINK("http://x","y")' in names and "@SUM(1)" in names
    assert all(isinstance(r[-1].value, int) for r in sheet.iter_rows(min_row=2))


def test_machine_readable_csv_of_the_cli_prefixes_text(capsys: pytest.CaptureFixture[str]) -> None:
    from demonitor.cli.common import emit

    emit("csv", [{"name": "=1+1", "value": -3.5, "note": "@SUM(1)"}], None)
    rows = csv_rows(capsys.readouterr().out)
    assert rows == [["name", "value", "note"], ["'=1+1", "-3.5", "'@SUM(1)"]]


def test_the_errors_file_of_an_import_prefixes_text(tmp_path: Path) -> None:
    from demonitor.core.values import CellError
    from demonitor.ingest.importer import write_errors

    path = write_errors(tmp_path / "x.csv", [CellError("=x.csv", 3, "-v", "=1", "+1+1")])
    rows = csv_rows(path.read_text(encoding="utf-8-sig"))
    assert rows[1] == ["'=x.csv", "3", "'-v", "'=1", "'+1+1"]


def test_the_template_written_by_the_cli_keeps_user_text_text(tmp_path: Path) -> None:
    from demonitor.ingest.templates import write_template
    from demonitor.store.catalogue import seed_reference
    from demonitor.store.models import Indicator

    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        seed_reference(session, "test")
        indicator = session.get(Indicator, "DE05")
        region = session.get(Region, "321203")
        assert indicator is not None and region is not None
        indicator.name_zh = "@SUM(1)"
        region.name_zh = "=SUM(1,2)"
        session.flush()
        path = write_template("observations", tmp_path / "t.xlsx", session)
    engine.dispose()
    book = assert_no_formula_in_workbook(path)
    assert "=SUM(1,2)" in [c.value for row in book["代码表"].iter_rows() for c in row]


def _register_cells(rows: int) -> Iterator[object]:
    from demonitor.demo.register import iter_register_batches

    for batch in iter_register_batches(rows, 1):
        for column in batch.columns:
            yield from column.to_pylist()


def test_the_synthetic_register_never_begins_a_cell_like_a_formula() -> None:
    """The demo register writes its CSV with pyarrow, not through the safe writer: it may,
    because none of its synthetic values begins like a formula (docs/ARCHITECTURE.md)."""
    bad = [v for v in _register_cells(5000) if isinstance(v, str) and v[:1] in FORMULA_STARTS]
    assert bad == []
