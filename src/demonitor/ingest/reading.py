"""Reading a file someone gives the platform into rows of text, within limits, writing nothing.

A file is refused before it is parsed when it is bigger than a form or an import can need: a
CSV by its size; an XLSX (a zip) by the uncompressed size its members declare and by the size
its first sheet declares (``<dimension ref="A1:E500001"/>``), read from the first bytes of the
sheet. The sheet is then read with openpyxl in read-only mode, row by row, stopping at the row
limit (a sheet need not declare its size, or may declare it wrongly). Nothing here touches the
database: callers read the whole file before they open a write transaction.

Every refusal is an ``UnreadableFile`` carrying a ``CellError`` (file, row, column, reason in
Chinese and English); row 0 is the file as a whole.
"""

from __future__ import annotations

import codecs
import csv
import posixpath
import re
import unicodedata
import xml.etree.ElementTree as ElementTree
import zipfile
from dataclasses import dataclass
from pathlib import Path

from demonitor import config
from demonitor.core.errors import BilingualError
from demonitor.core.values import CellError
from demonitor.engine.sources import cell_text

Row = tuple[int, list[str]]  # (row number as the spreadsheet shows it, cell texts)

MIB = 1024 * 1024
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell: more was not typed into a sheet
IMPORT_COLUMNS = 64  # a template has at most 8 columns; room for a few of one's own
IMPORT_BYTES = 256 * MIB  # a CSV, or an XLSX uncompressed, given to `demonitor import`
UPLOAD_FILE_BYTES = 5 * MIB  # one file uploaded on the web, as sent
UPLOAD_SUFFIXES = (".xlsx", ".csv")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([A-Za-z]{1,3}\d+(?::[A-Za-z]{1,3}\d+)?)\""
)
_DIMENSION_SEARCH_BYTES = 64 * 1024  # the dimension comes before the sheet's data
_PART_BYTES = 4 * MIB  # the workbook part and its relationships: a few KB in any real file
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class Limits:
    """What one file may hold."""

    rows: int  # rows of the sheet or the CSV, the header included
    columns: int
    bytes: int  # a CSV's size; the uncompressed size of all the members of an XLSX


# A submission form owes a few dozen values: a sheet far beyond is refused before it is read.
UPLOAD_LIMITS = Limits(rows=5_000, columns=50, bytes=20 * MIB)
# An enterprise register (read by the classification engine): Excel's own sheet limits.
REGISTER_LIMITS = Limits(rows=1_048_576, columns=256, bytes=2048 * MIB)


def import_limits() -> Limits:
    """The limits of a file given to ``demonitor import`` (rows: ``DEMONITOR_MAX_IMPORT_ROWS``)."""
    try:
        rows = config.max_import_rows()
    except ValueError as problem:
        zh, _, en = str(problem).partition(" / ")
        raise BilingualError(zh, en or zh) from None
    return Limits(rows=rows, columns=IMPORT_COLUMNS, bytes=IMPORT_BYTES)


class UnreadableFile(Exception):
    """The file cannot be read within its limits; ``error`` says where and why."""

    def __init__(self, error: CellError) -> None:
        super().__init__(str(error))
        self.error = error


def _megabytes(size: int) -> str:
    return f"{size / MIB:,.1f} MB"


def upload_name(filename: str | None, default: str = "upload.xlsx") -> str:
    """A name an uploaded file can be saved and shown under: the last part of what the browser
    sent, without control characters, shortened (keeping the suffix) to fit any file system."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not name:
        return default
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 8:
        stem, suffix = name, ""
    ending = f".{suffix}" if suffix else ""
    budget = 120 - len(ending.encode())
    if len(stem.encode()) > budget:
        while len((stem + "…").encode()) > budget:
            stem = stem[:-1]
        stem += "…"
    return stem + ending


def read_rows(path: Path, limits: Limits | None = None, name: str | None = None) -> list[Row]:
    """The rows of a CSV or of the first sheet of an XLSX, within ``limits`` (default: those of
    ``demonitor import``). ``name`` is the file's name in messages (default: its own)."""
    limits = limits or import_limits()
    shown = name or path.name
    if path.suffix.lower() == ".csv":
        return _csv_rows(path, limits, shown)
    return _workbook_rows(path, limits, shown)


def _refuse(file: str, row: int, column: str, zh: str, en: str) -> UnreadableFile:
    return UnreadableFile(CellError(file, row, column, zh, en))


def _too_many_rows(
    file: str, limits: Limits, rows: int | None = None, ref: str = ""
) -> UnreadableFile:
    """Rows beyond the limit: with the sheet's declared size when it is known."""
    zh = en = ""
    if rows:
        zh = f"工作表有{rows:,}行（{ref}），"
        en = f"the sheet has {rows:,} rows ({ref}), "
    return _refuse(
        file,
        0,
        "",
        f"{zh}超过{limits.rows:,}行的上限；请拆分文件或只保留需要的行",
        f"{en}more than the limit of {limits.rows:,} rows; split the file or keep only the "
        "rows needed",
    )


def _too_many_columns(file: str, limits: Limits, row: int, columns: int) -> UnreadableFile:
    return _refuse(
        file,
        row,
        "",
        f"有{columns:,}列，超过{limits.columns:,}列的上限",
        f"{columns:,} columns, more than the limit of {limits.columns:,}",
    )


# CSV --------------------------------------------------------------------------------------------


def _csv_encoding(path: Path, file: str) -> str:
    """utf-8-sig when the file is UTF-8, else gb18030 (GBK, what Excel on a Chinese Windows
    saves); refused when it is neither. Read in chunks: the file is never held whole."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(MIB):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _refuse(
        file,
        0,
        "",
        "文件编码既不是UTF-8也不是GB18030（GBK），请在Excel中另存为“CSV UTF-8”或.xlsx",
        "the file's encoding is neither UTF-8 nor GB18030 (GBK); save it as CSV UTF-8 or .xlsx",
    )


def _csv_rows(path: Path, limits: Limits, file: str) -> list[Row]:
    size = path.stat().st_size
    if size > limits.bytes:
        raise _refuse(
            file,
            0,
            "",
            f"文件有{_megabytes(size)}，超过{_megabytes(limits.bytes)}的上限",
            f"the file holds {_megabytes(size)}, more than the limit of {_megabytes(limits.bytes)}",
        )
    encoding = _csv_encoding(path, file)
    # A cell longer than the csv module's default limit (128 KiB) is read, so that the checks of
    # the cells can name its row and column; the file's size bounds it.
    if csv.field_size_limit() < limits.bytes:
        csv.field_size_limit(limits.bytes)
    rows: list[Row] = []
    number = 0
    with path.open(encoding=encoding, newline="") as handle:
        try:
            for number, cells in enumerate(csv.reader(handle), start=1):
                if number > limits.rows:
                    raise _too_many_rows(file, limits)
                if len(cells) > limits.columns and any(c.strip() for c in cells[limits.columns :]):
                    raise _too_many_columns(file, limits, number, len(cells))
                rows.append((number, cells))
        except (csv.Error, UnicodeDecodeError) as problem:
            raise _refuse(
                file,
                number + 1,
                "",
                f"无法按CSV读取：{problem}",
                f"cannot be read as CSV: {problem}",
            ) from None
    return rows


# XLSX -------------------------------------------------------------------------------------------


def _not_a_workbook(file: str, detail: str = "") -> UnreadableFile:
    return _refuse(
        file,
        0,
        "",
        "不是有效的Excel文件（.xlsx），可能已损坏、不完整或是另一种格式（.xls、加密文件请另存为.xlsx）"
        + (f"：{detail}" if detail else ""),
        "not a valid Excel (.xlsx) file: damaged, incomplete or of another kind (save an .xls "
        "or a protected file as .xlsx)" + (f": {detail}" if detail else ""),
    )


def _part(archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    """A small XML part of the package, or None when it is missing, too big or not XML."""
    try:
        if archive.getinfo(name).file_size > _PART_BYTES:
            return None
        return ElementTree.fromstring(archive.read(name))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError):
        return None


def first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The member holding the first worksheet (the one read), or None when the package does not
    say in the usual places (openpyxl then decides)."""
    workbook = _part(archive, "xl/workbook.xml")
    relationships = _part(archive, "xl/_rels/workbook.xml.rels")
    if workbook is None or relationships is None:
        return None
    sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if sheet is None:
        return None
    wanted = sheet.get(_RELATIONSHIP)
    for relationship in relationships.iter(f"{_PACKAGE_RELATIONSHIP}Relationship"):
        if relationship.get("Id") == wanted:
            target = relationship.get("Target", "")
            member = target[1:] if target.startswith("/") else posixpath.join("xl", target)
            return posixpath.normpath(member)
    return None


def declared_size(archive: zipfile.ZipFile, member: str) -> tuple[str, int, int] | None:
    """(ref, rows, columns) that a sheet declares in its ``<dimension>``, or None."""
    from openpyxl.utils.cell import range_boundaries

    try:
        with archive.open(member) as stream:
            head = stream.read(_DIMENSION_SEARCH_BYTES)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    found = _DIMENSION.search(head)
    if found is None:
        return None
    ref = found.group(1).decode("ascii").upper()
    try:
        _min_col, _min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return None
    if max_col is None or max_row is None:
        return None
    return ref, max_row, max_col


def check_workbook(path: Path, limits: Limits, name: str | None = None) -> None:
    """Refuse an XLSX that is not a zip, or whose first sheet or uncompressed size is beyond
    ``limits`` by what it declares; nothing is inflated."""
    file = name or path.name
    if path.stat().st_size == 0:
        raise _refuse(file, 0, "", "文件为空", "the file is empty")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _not_a_workbook(file) from None
    with archive:
        sheet = first_sheet(archive)
        size = declared_size(archive, sheet) if sheet else None
        if size is not None:
            ref, rows, columns = size
            if rows > limits.rows:
                raise _too_many_rows(file, limits, rows, ref)
            if columns > limits.columns:
                raise _too_many_columns(file, limits, 0, columns)
        inflated = sum(member.file_size for member in archive.infolist())
        if inflated > limits.bytes:
            raise _refuse(
                file,
                0,
                "",
                f"解压后有{_megabytes(inflated)}，超过{_megabytes(limits.bytes)}的上限",
                f"it holds {_megabytes(inflated)} uncompressed, more than the limit of "
                f"{_megabytes(limits.bytes)}",
            )


def _workbook_rows(path: Path, limits: Limits, file: str) -> list[Row]:
    from openpyxl import load_workbook

    check_workbook(path, limits, file)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as problem:  # openpyxl raises many kinds for a damaged file
        raise _not_a_workbook(file, f"{type(problem).__name__}: {problem}") from None
    rows: list[Row] = []
    try:
        if not workbook.worksheets:
            raise _not_a_workbook(file, "没有工作表 / no worksheet")
        values = workbook.worksheets[0].iter_rows(values_only=True)
        number = 0
        while True:
            try:
                row = next(values, None)
            except Exception as problem:  # damaged XML inside the sheet
                raise _not_a_workbook(file, f"{type(problem).__name__}: {problem}") from None
            if row is None:
                break
            number += 1
            if number > limits.rows:
                raise _too_many_rows(file, limits)
            cells = [cell_text(v) for v in row]
            while cells and not cells[-1]:
                cells.pop()  # the sheet's declared width pads every row: keep what is there
            if len(cells) > limits.columns:
                raise _too_many_columns(file, limits, number, len(cells))
            rows.append((number, cells))
    finally:
        workbook.close()
    return rows
