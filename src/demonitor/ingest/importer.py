"""Importing a filled template: every cell is checked first, then all rows are written in one
transaction, or none. Errors name file, row, column and reason, in Chinese and English, and are
also written to ``FILE.errors.csv``. Re-importing the same file changes nothing; a changed value
becomes a new vintage.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.accounts import core_price_series
from demonitor.core.periods import Period, PeriodError
from demonitor.core.values import CellError, ErrorSink, indicator_value_problem, parse_number
from demonitor.engine.safe_tables import write_csv  # the errors file: text neutralised
from demonitor.engine.sources import EXPLANATION_MARK  # the templates' second row; skipped
from demonitor.ingest.reading import (
    MAX_CELL_CHARS,
    Limits,
    Row,
    UnreadableFile,
    import_limits,
    read_rows,
)
from demonitor.ingest.specs import (
    CORE_CATEGORY_VALUES,
    FLAG_VALUES,
    INDUSTRY_VALUES,
    MAX_AMOUNT_WAN,
    MONEY_UNITS,
    SPECS,
    WHOLE_VALUES,
    TemplateSpec,
    split_header,
)
from demonitor.store.models import ImportBatch, Indicator, Region
from demonitor.store.observations import ObservationStore, SeriesKey, audit

Record = tuple[SeriesKey, float | None, str, str]
INDEX_RANGE = (50.0, 200.0)  # a price or volume index (previous period = 100) outside is a typo


@dataclass
class ImportResult:
    rows: int = 0
    inserted: int = 0
    revised: int = 0
    unchanged: int = 0
    errors: list[CellError] = field(default_factory=list)
    batch_id: int | None = None
    # Accepted but worth a look (negative value added …): printed, never a refusal.
    warnings: list[CellError] = field(default_factory=list)


def file_rows(
    path: Path, rows: list[Row] | None, result: ImportResult, limits: Limits | None = None
) -> list[Row] | None:
    """The rows already read, else those of the file (within ``limits``, default those of
    ``demonitor import``); None after reporting why the file cannot be read."""
    if rows is not None:
        return rows
    try:
        return read_rows(path, limits or import_limits())
    except UnreadableFile as problem:
        result.errors.append(problem.error)
        return None


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def data_rows(
    spec: TemplateSpec, rows: list[Row], error: ErrorSink
) -> tuple[dict[str, str], list[tuple[int, dict[str, str]]]] | None:
    """The units named in the header and the data rows as {column: text}, skipping blank rows
    and the template's explanation row; None after reporting header problems. A file without
    data rows, and a cell longer than Excel allows, are refused here."""
    if not rows:
        error(0, "", "文件为空", "the file is empty")
        return None
    header_number, header = rows[0]
    positions: dict[str, int] = {}
    units: dict[str, str] = {}
    for index, text in enumerate(header):
        label, unit = split_header(text)
        for column in spec.columns:
            if label in (column.name, column.header_zh):
                positions[column.name] = index
                units[column.name] = unit
    problems = False
    for column in spec.columns:
        if column.required and column.name not in positions:
            error(
                header_number,
                column.name,
                f"缺少列「{column.header_zh}」",
                f"missing column {column.name}",
            )
            problems = True
        if (
            column.kind == "money"
            and column.name in positions
            and units[column.name] not in MONEY_UNITS
        ):
            error(
                header_number,
                column.name,
                f"表头须注明金额单位（元/万元/亿元），如「{column.header_zh}（亿元）」",
                "the header must state the money unit: 元, 万元 or 亿元",
            )
            problems = True
    if problems:
        return None
    body = []
    refused = False
    for number, cells in rows[1:]:
        if not any(c.strip() for c in cells) or (cells and cells[0].startswith(EXPLANATION_MARK)):
            continue
        too_long = [i for i, c in enumerate(cells) if len(c) > MAX_CELL_CHARS]
        for index in too_long:
            names = [name for name, i in positions.items() if i == index]
            label = names[0] if names else (header[index] if index < len(header) else "")
            error(
                number,
                label,
                f"单元格有{len(cells[index]):,}个字符，超过Excel单元格{MAX_CELL_CHARS:,}个字符的上限",
                f"the cell holds {len(cells[index]):,} characters, more than the "
                f"{MAX_CELL_CHARS:,} an Excel cell can",
            )
        if too_long:
            refused = True
            continue  # its other checks would only quote the long text again
        body.append(
            (
                number,
                {
                    name: (cells[i].strip() if i < len(cells) else "")
                    for name, i in positions.items()
                },
            )
        )
    if not body and not refused:
        error(0, "", "文件没有数据行", "the file has no data rows")
        return None
    return units, body


class Importer:
    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor
        self.regions = set(session.scalars(select(Region.code)))
        self.indicators = {i.code: i for i in session.scalars(select(Indicator))}

    def parse(
        self, kind: str, path: Path, result: ImportResult, rows: list[Row] | None = None
    ) -> list[Record]:
        """The checked records of a file (or of its ``rows`` already read), writing nothing;
        problems go to ``result.errors``."""
        read = file_rows(path, rows, result)
        if read is None:
            return []
        return self._validate(SPECS[kind], path.name, read, result)

    def load(self, kind: str, path: Path, rows: list[Row] | None = None) -> ImportResult:
        result = ImportResult()
        records = self.parse(kind, path, result, rows)
        if result.errors:
            return result
        batch = ImportBatch(
            kind=kind,
            file_name=path.name,
            sha256=file_sha256(path),
            rows=len(records),
            imported_by=self.actor,
        )
        self.session.add(batch)
        self.session.flush()
        result.batch_id = batch.id
        store = ObservationStore(self.session, self.actor)
        reason = f"导入 / import {path.name}"
        for key, value, unit, note in records:
            before = store.latest(key)
            written = store.record(
                key, value, unit=unit, note=note, reason=reason, batch_id=batch.id
            )
            if written is None:
                result.unchanged += 1
            elif before is None:
                result.inserted += 1
            else:
                result.revised += 1
        audit(
            self.session,
            self.actor,
            "import",
            kind,
            path.name,
            None,
            {"rows": len(records), "inserted": result.inserted, "revised": result.revised},
            reason,
        )
        result.rows = len(records)
        return result

    def _validate(
        self, spec: TemplateSpec, file: str, rows: list[Row], result: ImportResult
    ) -> list[Record]:
        def error(row: int, column: str, zh: str, en: str) -> None:
            result.errors.append(CellError(file, row, column, zh, en))

        table = data_rows(spec, rows, error)
        if table is None:
            return []
        units, body = table
        records: list[Record] = []
        seen: dict[tuple[str, ...], int] = {}
        for number, values in body:
            before = len(result.errors)
            parsed = self._row(spec, number, values, units, error)
            if len(result.errors) > before or parsed is None:
                continue
            for key, value, unit, note in parsed:
                identity = (key.series, key.region_code, key.period, str(key.cumulative))
                if identity in seen:
                    error(
                        number,
                        "category" if spec.kind == "core_deflator" else "period",
                        f"与第{seen[identity]}行重复",
                        f"duplicates row {seen[identity]}",
                    )
                    break
                seen[identity] = number
                records.append((key, value, unit, note))
        return records

    def _row(
        self,
        spec: TemplateSpec,
        number: int,
        values: dict[str, str],
        units: dict[str, str],
        error: ErrorSink,
    ) -> list[Record] | None:
        """Check one row; returns its records, or None after reporting every problem."""
        for column in spec.columns:
            if column.required and not values.get(column.name, "") and column.kind != "flag":
                error(number, column.name, f"「{column.header_zh}」为空", f"{column.name} is empty")
        region = values.get("region_code", "")
        if region and region not in self.regions:
            error(
                number,
                "region_code",
                f"区划代码{region}不在区划表中",
                f"{region} is not a known region",
            )
        period_text = values.get("period", "")
        period: Period | None = None
        if period_text:
            try:
                period = Period.parse(period_text)
            except PeriodError as problem:
                error(number, "period", problem.zh, problem.en)
        numbers: dict[str, float | None] = {}
        for column in spec.columns:
            if column.kind not in ("number", "money"):
                continue
            # A percent sign only where the column is in % (可比价增速); the template says so.
            numbers[column.name] = parse_number(
                values.get(column.name, ""), column.name, number, error, percent=column.unit == "%"
            )
        if spec.kind == "gdp":
            return self._gdp_row(number, values, units, numbers, period, error)
        if spec.kind == "core_deflator":
            return self._deflator_row(number, values, numbers, period, error)
        return self._observation_row(number, values, numbers, period, error)

    @staticmethod
    def _cumulative(
        number: int, values: dict[str, str], period: Period | None, error: ErrorSink
    ) -> bool:
        """The 是否累计 flag: required for quarters and months, 否 by default for a year."""
        flag_text = values.get("cumulative", "").strip().lower()
        cumulative = FLAG_VALUES.get(flag_text)
        if flag_text and cumulative is None:
            error(number, "cumulative", f"「{flag_text}」应为是或否", "must be 是 or 否")
        if not flag_text:
            if period is not None and period.frequency != "A":
                error(
                    number,
                    "cumulative",
                    "季度、月度数据须注明是否累计",
                    "quarterly and monthly data must say whether they are cumulative",
                )
            cumulative = False
        return bool(cumulative)

    @staticmethod
    def _index_in_range(
        number: int, column: str, label: str, value: float | None, error: ErrorSink
    ) -> None:
        low, high = INDEX_RANGE
        if value is not None and not low <= value <= high:
            error(
                number,
                column,
                f"{label}应在{low:g}～{high:g}之间（上年=100），实为{value:g}",
                f"{column} must be between {low:g} and {high:g} (previous year = 100), "
                f"got {value:g}",
            )

    def _gdp_row(
        self,
        number: int,
        values: dict[str, str],
        units: dict[str, str],
        numbers: dict[str, float | None],
        period: Period | None,
        error: ErrorSink,
    ) -> list[Record] | None:
        cumulative = self._cumulative(number, values, period, error)
        industry_text = values.get("industry", "").strip()
        industry: str | None = None
        if industry_text not in WHOLE_VALUES:
            industry = INDUSTRY_VALUES.get(industry_text.lower())
            if industry is None:
                error(
                    number,
                    "industry",
                    f"产业「{industry_text}」应为第一产业、第二产业、第三产业或空（地区生产总值）",
                    "industry must be 第一产业, 第二产业, 第三产业 or blank for GDP",
                )
        gdp = numbers.get("gdp")
        if gdp is not None and gdp <= 0:
            error(number, "gdp", "地区生产总值须为正数", "GDP must be positive")
        elif gdp is not None and gdp * MONEY_UNITS.get(units.get("gdp", ""), 1.0) > MAX_AMOUNT_WAN:
            error(
                number,
                "gdp",
                f"地区生产总值「{values['gdp']}」超出合理范围，请检查金额单位",
                f"GDP {values['gdp']!r} is out of range: check the money unit",
            )
        growth = numbers.get("growth")
        if growth is not None and not -50 <= growth <= 100:
            error(
                number,
                "growth",
                f"增速{growth}%超出合理范围（-50～100）",
                "growth out of range (-50 to 100 %)",
            )
        deflator = numbers.get("deflator")
        self._index_in_range(number, "deflator", "价格指数", deflator, error)
        volume_index = numbers.get("volume_index")
        self._index_in_range(number, "volume_index", "可比价指数", volume_index, error)
        if volume_index is not None:
            if growth is None:
                growth = volume_index - 100
            elif abs(growth - (volume_index - 100)) > 0.05 + 1e-9:
                error(
                    number,
                    "volume_index",
                    f"可比价指数{volume_index:g}与可比价增速{growth:g}%不一致（指数=100+增速）",
                    f"the volume index {volume_index:g} disagrees with the growth {growth:g} % "
                    "(index = 100 + growth)",
                )
        if period is None or gdp is None or not values.get("region_code"):
            return None
        region = values["region_code"]
        factor = MONEY_UNITS[units["gdp"]]
        prefix = "GDP" if industry is None else f"GDP_{industry}"

        def key(series: str) -> SeriesKey:
            return SeriesKey(series, region, str(period), cumulative)

        records: list[Record] = [(key(prefix), gdp * factor, "万元", "")]
        if growth is not None:
            records.append((key(f"{prefix}_growth"), growth, "%", ""))
        if deflator is not None:
            records.append((key(f"{prefix}_deflator"), deflator, "上年=100", ""))
        return records

    def _deflator_row(
        self,
        number: int,
        values: dict[str, str],
        numbers: dict[str, float | None],
        period: Period | None,
        error: ErrorSink,
    ) -> list[Record] | None:
        """A price index of the core industries: one category (01–04) or the whole core."""
        cumulative = self._cumulative(number, values, period, error)
        text = values.get("category", "").strip()
        category: str | None = None
        if text not in ("", "全部", "合计", "核心产业"):
            padded = text.zfill(2) if text.isdigit() else text
            if padded in CORE_CATEGORY_VALUES:
                category = padded
            else:
                error(
                    number,
                    "category",
                    f"核心产业大类「{text}」应为01～04，或空/全部（整个核心产业）",
                    "category must be 01 to 04, or blank / 全部 for the whole core",
                )
        index = numbers.get("price_index")
        self._index_in_range(number, "price_index", "价格指数", index, error)
        if period is None or index is None or not values.get("region_code"):
            return None
        if period.frequency == "M":
            error(
                number,
                "period",
                "价格指数按年度或季度（累计）填报",
                "price indices are annual or quarterly (cumulative)",
            )
            return None
        key = SeriesKey(core_price_series(category), values["region_code"], str(period), cumulative)
        return [(key, index, "上年=100", "")]

    def _observation_row(
        self,
        number: int,
        values: dict[str, str],
        numbers: dict[str, float | None],
        period: Period | None,
        error: ErrorSink,
    ) -> list[Record] | None:
        code = values.get("indicator_code", "")
        indicator = self.indicators.get(code)
        if code and indicator is None:
            error(number, "indicator_code", f"指标代码{code}不存在", f"unknown indicator {code}")
        value = numbers.get("value")
        if indicator is not None and value is not None:
            problem = indicator_value_problem(indicator.kind, value)
            if problem is not None:
                error(number, "value", *problem)
        if period is None or indicator is None or value is None or not values.get("region_code"):
            return None
        key = SeriesKey(code, values["region_code"], str(period))
        return [(key, value, indicator.unit, values.get("note", ""))]


def write_errors(path: Path, errors: list[CellError]) -> Path:
    """``FILE.errors.csv`` beside the file, readable in Excel (UTF-8 with BOM)."""
    header = ("file", "row", "column", "原因", "reason")
    rows = [(e.file, e.row, e.column, e.reason_zh, e.reason_en) for e in errors]
    return write_csv(path.with_name(path.name + ".errors.csv"), [header, *rows])


def import_file(
    session: Session, kind: str, path: Path, actor: str, rows: list[Row] | None = None
) -> ImportResult:
    return Importer(session, actor).load(kind, path, rows)
