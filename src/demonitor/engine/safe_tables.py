"""The one writer of the CSV and XLSX files the platform hands out: no text becomes a formula.

Text in these files comes from people (company names, business scopes, reasons, notes, region
and indicator names), so a cell such as ``=HYPERLINK("http://x","y")`` or ``-2+3`` must reach a
spreadsheet as text (OWASP, CSV injection):

- CSV: the rule of ``demonitor.core.cells`` (a text that begins with ``=``, ``+``, ``-``, ``@``,
  a tab or a CR gets a leading ``'``); numbers are written as numbers (``csv_writer``,
  ``dict_writer``, ``csv_text``, ``write_csv``). DuckDB's ``COPY … TO … (FORMAT csv)`` selects
  every text column through ``sql_neutralised``, the same rule in SQL.
- XLSX: every string is a string cell (type ``s``), never a formula or an error value, keeps
  its text and, when it begins like a formula, is marked ``quotePrefix`` (what a typed leading
  ``'`` becomes in Excel), so that editing the cell does not turn it into a formula either;
  characters a worksheet cannot hold are replaced by U+FFFD. Numbers, dates and booleans are
  written as they are (``append_row``, ``set_cell``, ``xlsx_bytes``).

This module lives in ``engine`` because every writer may import it: the web and the CLI, the
templates of ``ingest`` and the classification output of ``engine`` itself (``core`` may not
import openpyxl; the rule, a pure function, is there).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell

from demonitor.core.cells import FORMULA_STARTS, PLAIN_NUMBER, QUOTE, begins_like_formula
from demonitor.core.cells import neutralise_row as neutralise_row

BOM = "\ufeff"  # Excel opens UTF-8 Chinese correctly only with it
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


# CSV ----------------------------------------------------------------------------------------------


class SafeCsvWriter:
    """``csv.writer`` whose every row goes through the rule."""

    def __init__(self, handle: TextIO, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow(neutralise_row(row))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter`` whose header and values go through the rule."""

    def __init__(self, handle: TextIO, fieldnames: Sequence[str], **options: Any) -> None:
        self._fields = list(fieldnames)
        self._writer = SafeCsvWriter(handle, **options)

    def writeheader(self) -> None:
        self._writer.writerow(self._fields)

    def writerow(self, row: Mapping[str, object]) -> None:
        self._writer.writerow(row.get(name) for name in self._fields)

    def writerows(self, rows: Iterable[Mapping[str, object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(handle: TextIO, **options: Any) -> SafeCsvWriter:
    return SafeCsvWriter(handle, **options)


def dict_writer(handle: TextIO, fieldnames: Sequence[str], **options: Any) -> SafeDictWriter:
    return SafeDictWriter(handle, fieldnames, **options)


def csv_text(rows: Iterable[Iterable[object]], *, bom: bool = True) -> str:
    """The rows as CSV text (with a BOM for Excel unless told otherwise)."""
    buffer = io.StringIO()
    csv_writer(buffer).writerows(rows)
    return (BOM if bom else "") + buffer.getvalue()


def write_csv(path: Path, rows: Iterable[Iterable[object]]) -> Path:
    """Write the rows to ``path`` as UTF-8 with a BOM (readable in Excel)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv_writer(handle).writerows(rows)
    return path


def sql_neutralised(expression: str) -> str:
    """The rule as a DuckDB SQL expression over a VARCHAR ``expression`` (NULL stays NULL)."""
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
    quote = QUOTE.replace("'", "''")
    return (
        f"CASE WHEN left({expression}, 1) IN ({starts}) "
        f"AND NOT regexp_full_match({expression}, '{PLAIN_NUMBER}') "
        f"THEN '{quote}' || {expression} ELSE {expression} END"
    )


# XLSX ---------------------------------------------------------------------------------------------


def _string_cell(sheet: Any, text: str) -> Cell:
    cell = Cell(sheet, row=1, column=1)  # placed where it is appended
    cell.value = text  # openpyxl would infer a formula or an error value from some texts …
    cell.data_type = "s"  # … this is a string, whatever it begins with
    if begins_like_formula(text):
        cell.quotePrefix = True
    return cell


def _clean(text: str) -> str:
    return str(ILLEGAL_CHARACTERS_RE.sub("\ufffd", text))


def _needs_care(text: str) -> bool:
    return (
        text[:1] in FORMULA_STARTS
        or text in ERROR_CODES
        or ILLEGAL_CHARACTERS_RE.search(text) is not None
    )


def xlsx_value(sheet: Any, value: object) -> object:
    """What to append to ``sheet`` (a worksheet or a write-only one) for ``value``: the value
    itself, or for a text that needs it a string cell."""
    if isinstance(value, str) and _needs_care(value):
        return _string_cell(sheet, _clean(value))
    return value


def append_row(sheet: Any, row: Iterable[object]) -> None:
    """``sheet.append(row)`` with every string a string cell."""
    sheet.append([xlsx_value(sheet, value) for value in row])


def set_cell(sheet: Any, row: int, column: int, value: object) -> Cell:
    """``sheet.cell(row, column, value)`` of an ordinary worksheet, a string as a string."""
    cell: Cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        text = _clean(value)
        cell.value = text
        cell.data_type = "s"
        if begins_like_formula(text):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def xlsx_bytes(title: str, rows: Iterable[Iterable[object]]) -> bytes:
    """A workbook of one sheet holding the rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or "Sheet")
    for row in rows:
        append_row(sheet, row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
