"""Reading enterprise registers (CSV, XLSX, Parquet) and override files into DuckDB.

A register becomes the view ``register`` with the canonical column names of
``demonitor.core.classify.REGISTER_COLUMNS`` (Chinese headers are accepted) and ``source_row``,
the row number a spreadsheet shows (the header is row 1).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from demonitor.core.classify import REGISTER_COLUMNS, ClassificationRules, Override, clean

CSV_SUFFIXES = {".csv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
SHEET_ROW = "__sheet_row"  # the row number a spreadsheet shows, kept from XLSX files
EXPLANATION_MARK = "说明："
OVERRIDE_COLUMNS: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码", "信用代码"),
    "de_code": ("数字经济分类代码", "数字经济小类代码", "小类代码"),
    "note": ("理由", "说明", "备注", "reason"),
}


class RegisterError(Exception):
    """The register cannot be read at all (exit code 2); the message is bilingual."""


def canonical_columns(
    headers: list[str], wanted: Mapping[str, tuple[str, ...]], source: Path
) -> dict[str, str]:
    """canonical name → header in the file; RegisterError names what is missing."""
    stripped = {h.strip().lstrip("\ufeff"): h for h in headers}
    found: dict[str, str] = {}
    for canonical, aliases in wanted.items():
        for candidate in (canonical, *aliases):
            if candidate in stripped:
                found[canonical] = stripped[candidate]
                break
    missing = [c for c in wanted if c not in found]
    if missing:
        expected = "; ".join(f"{c} ({'/'.join(wanted[c])})" for c in missing)
        raise RegisterError(
            f"{source}: 缺少必需的列 / missing required columns: {expected}. "
            f"文件中的列 / columns found: {', '.join(headers) or '(none)'}"
        )
    return found


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


UTF8_COPY_PREFIX = "demonitor-utf8-"  # + the pid of the run + a random part, in the temp folder


def process_running(pid: int) -> bool:
    """Whether a process of this machine has that id (files it writes are not stale)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_copies() -> list[Path]:
    """Remove the UTF-8 copies of registers that runs killed before their end left in the
    temporary folder (their process is gone); returns them."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{UTF8_COPY_PREFIX}*-*.csv"):
        owner = path.name[len(UTF8_COPY_PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and not process_running(int(owner)):
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path)
    return removed


def _utf8_copy(path: Path) -> Path:
    """The path itself when it is UTF-8, else a UTF-8 copy of a GB18030/GBK file."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return path
    except UnicodeDecodeError:
        pass
    target = Path(tempfile.mkstemp(suffix=".csv", prefix=f"{UTF8_COPY_PREFIX}{os.getpid()}-")[1])
    try:
        with (
            path.open(encoding="gb18030", newline="") as source,
            target.open("w", encoding="utf-8", newline="") as sink,
        ):
            while text := source.read(1 << 20):
                sink.write(text)
    except UnicodeDecodeError as error:
        target.unlink(missing_ok=True)
        raise RegisterError(
            f"{path}: 编码既不是UTF-8也不是GB18030 / encoding is neither UTF-8 nor GB18030 "
            f"(byte {error.start})"
        ) from error
    return target


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: integral floats without .0, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_table(path: Path) -> pa.Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise RegisterError(
            f"{path}: 无法读取Excel文件 / cannot read the workbook: {error}"
        ) from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise RegisterError(f"{path}: 工作表为空 / the first sheet is empty")
        names = [cell_text(h) for h in header]
        columns: list[list[str]] = [[] for _ in names]
        sheet_rows: list[int] = []
        for number, row in enumerate(rows, start=2):
            # Blank rows and the explanation row of our templates (说明：…) are not data; the
            # row numbers of the others stay those the spreadsheet shows.
            if row is None or all(v is None for v in row):
                continue
            if number == 2 and cell_text(row[0]).startswith(EXPLANATION_MARK):
                continue
            sheet_rows.append(number)
            for index in range(len(names)):
                columns[index].append(cell_text(row[index]) if index < len(row) else "")
    finally:
        workbook.close()
    unique = _unique_names(names)
    table = pa.table(
        {name: pa.array(col, pa.string()) for name, col in zip(unique, columns, strict=True)}
    )
    return table.append_column(SHEET_ROW, pa.array(sheet_rows, pa.int64()))


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for index, name in enumerate(names):
        name = name or f"column_{index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        unique.append(name)
    return unique


def open_register(con: duckdb.DuckDBPyConnection, path: Path) -> list[Path]:
    """Create the view ``register`` over the file; returns temporary files to delete afterwards."""
    if not path.is_file():
        raise RegisterError(f"{path}: 文件不存在 / file not found")
    suffix = path.suffix.lower()
    temporary: list[Path] = []
    row_number = "row_number() OVER () + 1"
    try:
        if suffix in CSV_SUFFIXES:
            utf8 = _utf8_copy(path)
            if utf8 != path:
                temporary.append(utf8)
            con.execute(
                "CREATE OR REPLACE TEMP VIEW raw_register AS SELECT * FROM read_csv("
                f"{_literal(str(utf8))}, header = true, all_varchar = true, auto_detect = true)"
            )
        elif suffix in PARQUET_SUFFIXES:
            con.execute(
                "CREATE OR REPLACE TEMP VIEW raw_register AS "
                f"SELECT * FROM read_parquet({_literal(str(path))}, file_row_number = true)"
            )
            row_number = "file_row_number + 2"
        elif suffix in XLSX_SUFFIXES:
            con.register("raw_register", _xlsx_table(path))
            row_number = SHEET_ROW
        else:
            raise RegisterError(
                f"{path}: 不支持的文件类型 / unsupported file type {suffix or '(none)'}; "
                "use .csv, .xlsx or .parquet"
            )
        headers = [d[0] for d in con.execute("SELECT * FROM raw_register LIMIT 0").description]
    except duckdb.Error as error:
        raise RegisterError(f"{path}: 无法读取 / cannot read: {error}") from error
    headers = [h for h in headers if h not in ("file_row_number", SHEET_ROW)]
    found = canonical_columns(headers, REGISTER_COLUMNS, path)
    selected = ", ".join(f"{_quote(found[c])} AS {c}" for c in REGISTER_COLUMNS)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW register AS SELECT {row_number} AS source_row, {selected} "
        "FROM raw_register"
    )
    return temporary


def _iter_override_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        table = _xlsx_table(path)
        for row in table.to_pylist():
            number = int(row.pop(SHEET_ROW))
            yield number, {k: str(v) for k, v in row.items()}
    elif suffix in CSV_SUFFIXES:
        text = _utf8_copy(path)
        try:
            with text.open(encoding="utf-8-sig", newline="") as handle:
                for index, row in enumerate(csv.DictReader(handle), start=2):
                    yield index, {(k or ""): (v or "") for k, v in row.items()}
        finally:
            if text != path:
                text.unlink(missing_ok=True)
    else:
        raise RegisterError(f"{path}: 人工认定文件须为CSV或XLSX / overrides must be CSV or XLSX")


def load_overrides(path: Path, rules: ClassificationRules) -> dict[str, Override]:
    """Manual decisions keyed by credit code; every problem is reported at once."""
    if not path.is_file():
        raise RegisterError(f"{path}: 文件不存在 / file not found")
    overrides: dict[str, Override] = {}
    problems: list[str] = []
    mapping: dict[str, str] | None = None
    for number, row in _iter_override_rows(path):
        if mapping is None:
            mapping = canonical_columns(list(row), OVERRIDE_COLUMNS, path)
        credit_code = clean(row.get(mapping["credit_code"])).upper()
        de_code = clean(row.get(mapping["de_code"]))
        note = clean(row.get(mapping["note"]))
        where = f"{path.name} 第{number}行 / row {number}"
        if not credit_code:
            problems.append(f"{where}: [credit_code] 统一社会信用代码为空 / credit_code is missing")
        elif credit_code in overrides:
            problems.append(f"{where}: [credit_code] {credit_code} 重复 / duplicate")
        if de_code and de_code not in rules.de_names:
            problems.append(
                f"{where}: [de_code] {de_code} 不是{rules.edition_name}的小类 / "
                f"is not a class of edition {rules.edition_name}"
            )
        if not note:
            problems.append(
                f"{where}: [note] 须写明认定理由 / the reason for the decision is required"
            )
        overrides[credit_code] = Override(credit_code, de_code, note)
    if problems:
        raise RegisterError(
            f"{path}: 人工认定文件有误 / invalid overrides file:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return overrides
