"""Run the classification plan on DuckDB, embedded: register file in, classified file out.

The output is written to a temporary file beside the target (``.NAME.PID.partial``, PID the
process writing it) and renamed when complete, so a failed run never leaves a half-written
result. A run that was killed cannot remove its partial file (nor the UTF-8 copy of a GB18030
register in the temporary folder): the next run removes those whose process is gone.
CSV and XLSX output go through ``engine.safe_tables`` (a name or a business scope never becomes
a formula); Parquet keeps the text as it is (typed data, not a spreadsheet).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from demonitor.core.classify import OUTPUT_COLUMNS, ClassificationRules, Override
from demonitor.engine.plan import ClassificationPlan, build_plan
from demonitor.engine.safe_tables import append_row, sql_neutralised
from demonitor.engine.sources import (
    RegisterError,
    open_register,
    process_running,
    remove_stale_copies,
)

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header
OUTPUT_SUFFIXES = {".csv", ".parquet", ".xlsx"}
ProgressCallback = Callable[[float], None]


@dataclass
class ClassificationSummary:
    """Counts of a run: by status, by DE category (classified rows) and by region × status."""

    edition: str
    rows: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_region: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    unmatched_overrides: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return self.by_status.get("rejected", 0)

    def add(self, status: str, category: str, region: str, count: int) -> None:
        self.rows += count
        self.by_status[status] = self.by_status.get(status, 0) + count
        if status == "classified":
            self.by_category[category] = self.by_category.get(category, 0) + count
        region_counts = self.by_region.setdefault(region, {})
        region_counts[status] = region_counts.get(status, 0) + count


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"preserve_insertion_order": True})
    # Keep DuckDB's progress estimate (for our own bar) but never let it print.
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _install_lookup(con: duckdb.DuckDBPyConnection, name: str, relation: str) -> None:
    """A keyed relation as an ENUM of its keys and one list variable per value column, so the
    plan reads it with a cast and an index: no join, and the register keeps its order."""
    columns = [d[0] for d in con.execute(f"SELECT * FROM {relation} LIMIT 0").description]
    con.execute(f"CREATE TYPE {name}__key AS ENUM (SELECT key FROM {relation} ORDER BY key)")
    for column in columns:
        if column != "key":
            con.execute(
                f"SET VARIABLE {name}__{column} = "
                f"(SELECT coalesce(list({column} ORDER BY key), []) FROM {relation})"
            )


def prepare_plan(con: duckdb.DuckDBPyConnection, plan: ClassificationPlan) -> None:
    """Install the plan's lookups and compute its derived relations from ``register``."""
    for name, lookup in plan.lookups.items():
        con.register(f"{name}__table", lookup.table)
        _install_lookup(con, name, f"{name}__table")
    con.register("overrides", plan.overrides)
    for name, sql in plan.derived.items():
        con.execute(f"CREATE TEMP TABLE {name} AS {sql}")


def _run_with_progress(
    con: duckdb.DuckDBPyConnection, sql: str, progress: ProgressCallback | None
) -> None:
    """Execute ``sql``; while it runs, report DuckDB's own progress estimate (0–100)."""
    if progress is None:
        con.execute(sql)
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql)
        except BaseException as error:  # re-raised in the calling thread
            failure.append(error)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
        try:
            value = con.query_progress()
        except duckdb.Error:
            value = -1
        if value >= 0:
            progress(float(value))
    if failure:
        raise failure[0]
    progress(100.0)


def partial_path(output: Path) -> Path:
    """Where this process writes ``output`` before renaming it."""
    return output.with_name(f".{output.name}.{os.getpid()}.partial")


def remove_stale_partials(output: Path) -> list[Path]:
    """Remove the partial files of ``output`` left by runs that were killed: those whose process
    is gone, and ``.NAME.partial`` of earlier versions. Returns what was removed."""
    prefix, suffix = f".{output.name}.", ".partial"
    removed = []
    try:
        siblings = list(output.parent.iterdir()) if output.parent.is_dir() else []
    except OSError:
        return []
    for path in siblings:
        name = path.name
        if not (name.startswith(prefix) and name.endswith("partial")):
            continue
        owner = name[len(prefix) : -len(suffix)] if name != f".{output.name}{suffix}" else ""
        if owner and not (owner.isdigit() and not process_running(int(owner))):
            continue  # a run still going, or a file that is not ours
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def classify_file(
    source: Path,
    output: Path,
    rules: ClassificationRules,
    overrides: Mapping[str, Override] | None = None,
    progress: ProgressCallback | None = None,
    threads: int | None = None,
) -> ClassificationSummary:
    started = time.perf_counter()
    suffix = output.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise RegisterError(
            f"{output}: 不支持的输出类型 / unsupported output type; use .csv, .parquet or .xlsx"
        )
    plan = build_plan(rules, overrides)
    remove_stale_partials(output)
    remove_stale_copies()
    con = connect(threads)
    temporary = open_register(con, source)
    partial = partial_path(output)
    summary = ClassificationSummary(edition=rules.edition_name)
    try:
        prepare_plan(con, plan)
        if suffix == ".xlsx":
            _write_xlsx(con, plan.sql, partial, summary)
        else:
            options = (
                "FORMAT parquet, COMPRESSION zstd" if suffix == ".parquet" else "FORMAT csv, HEADER"
            )
            path_literal = "'" + str(partial).replace("'", "''") + "'"
            query = plan.sql if suffix == ".parquet" else _neutralised_csv_query(con, plan.sql)
            _run_with_progress(con, f"COPY ({query}) TO {path_literal} ({options})", progress)
            reader = "read_parquet" if suffix == ".parquet" else "read_csv"
            extra = "" if suffix == ".parquet" else ", all_varchar = true"
            counts = con.execute(
                f"SELECT status, de_category, region_code, count(*) FROM {reader}(?{extra}) "
                "GROUP BY ALL",
                [str(partial)],
            ).fetchall()
            for status, category, region, count in counts:
                summary.add(status, category or "", region or "", int(count))
        if overrides:
            summary.unmatched_overrides = sorted(
                code
                for (code,) in con.execute(
                    "SELECT key FROM overrides EXCEPT "
                    "SELECT upper(trim(credit_code, ' \t\r\n\u3000')) FROM register"
                ).fetchall()
            )
        os.replace(partial, output)
    except duckdb.Error as error:
        raise RegisterError(f"{source}: 读取或处理失败 / cannot process: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
        for path in temporary:
            path.unlink(missing_ok=True)
        con.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _neutralised_csv_query(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """``sql`` with every text column through the CSV-injection rule (``sql_neutralised``)."""
    relation = con.sql(sql)
    columns = []
    for name, kind in zip(relation.columns, relation.types, strict=True):
        quoted = '"' + name.replace('"', '""') + '"'
        is_text = str(kind) == "VARCHAR"
        columns.append(f"{sql_neutralised(quoted)} AS {quoted}" if is_text else quoted)
    return f"SELECT {', '.join(columns)} FROM ({sql})"


def classify_to_table(
    source: Path, rules: ClassificationRules, overrides: Mapping[str, Override] | None = None
) -> pa.Table:
    """The classified register in memory (for tests and small registers)."""
    plan = build_plan(rules, overrides)
    con = connect()
    temporary = open_register(con, source)
    try:
        prepare_plan(con, plan)
        return con.sql(plan.sql).to_arrow_table()
    finally:
        for path in temporary:
            path.unlink(missing_ok=True)
        con.close()


def _write_xlsx(
    con: duckdb.DuckDBPyConnection, sql: str, path: Path, summary: ClassificationSummary
) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("classified")
    append_row(sheet, OUTPUT_COLUMNS)
    reader = con.sql(sql).to_arrow_reader(50_000)
    written = 0
    for batch in reader:
        written += batch.num_rows
        if written > XLSX_MAX_ROWS:
            raise RegisterError(
                f"{path.name}: 超过Excel的{XLSX_MAX_ROWS}行上限，请输出为.parquet或.csv / "
                f"more than Excel's {XLSX_MAX_ROWS} rows; write .parquet or .csv"
            )
        columns = batch.to_pydict()
        for values in zip(*(columns[c] for c in OUTPUT_COLUMNS), strict=True):
            append_row(sheet, values)
        for status, category, region in zip(
            columns["status"], columns["de_category"], columns["region_code"], strict=True
        ):
            summary.add(status, category, region, 1)
    workbook.save(path)
