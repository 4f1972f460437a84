"""Imports of enterprise microdata and of value-added rates: all rows or none, vintages on change.

- ``financials``: 营业收入, 增加值, 从业人员 of enterprises already in the register;
- ``varates``: 增加值率 by GB/T class or division and year;
- ``register``: the enterprise register, classified by unit identification on the way in;
- ``recognitions``: recognition lists (高新技术企业, 示范工厂 …), from which counts are made.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from sqlalchemy import FromClause, String, select
from sqlalchemy.orm import Session

from demonitor.core.periods import Period, PeriodError, year_problem
from demonitor.core.values import CellError, ErrorSink, parse_number
from demonitor.engine.duckdb_backend import classify_to_table
from demonitor.engine.rules import load_classification_rules
from demonitor.engine.sources import RegisterError
from demonitor.ingest.importer import ImportResult, data_rows, file_rows, file_sha256
from demonitor.ingest.reading import Row
from demonitor.ingest.specs import MAX_AMOUNT_WAN, MAX_EMPLOYEES, MONEY_UNITS, SPECS
from demonitor.reference.gbt4754 import load_industry_tree
from demonitor.store.models import (
    Classification,
    Enterprise,
    Financial,
    ImportBatch,
    Recognition,
    ValueAddedRate,
)
from demonitor.store.observations import audit, ensure_period, utcnow


def column_length(table: FromClause, column: str) -> int:
    """The length of a String(n) column: what PostgreSQL refuses beyond, SQLite not."""
    kind = table.c[column].type
    assert isinstance(kind, String) and kind.length is not None, column
    return kind.length


def _too_long(
    error: ErrorSink, number: int, column: str, label: str, text: str, limit: int
) -> bool:
    """Report a text longer than its column holds; True when it is."""
    if len(text) <= limit:
        return False
    error(
        number,
        column,
        f"{label}有{len(text)}个字符，超过{limit}个字符的上限",
        f"{column} holds {len(text)} characters, more than the {limit} allowed",
    )
    return True


def _year(error: ErrorSink, number: int, column: str, text: str) -> int | None:
    """A year of four digits within the platform's range, or None after reporting it."""
    if not (text.isdigit() and len(text) == 4):
        error(number, column, f"年份「{text}」无效", "year must have 4 digits")
        return None
    problem = year_problem(int(text), text)
    if problem is not None:
        error(number, column, *problem)
        return None
    return int(text)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)


def _batch(session: Session, kind: str, path: Path, rows: int, actor: str) -> int:
    batch = ImportBatch(
        kind=kind,
        file_name=path.name,
        rows=rows,
        imported_by=actor,
        sha256=file_sha256(path),
    )
    session.add(batch)
    session.flush()
    return batch.id


def import_financials(
    session: Session, path: Path, actor: str, rows: list[Row] | None = None
) -> ImportResult:
    """Financial figures of registered enterprises. Value added above revenue is refused (the
    money unit is wrong, or the cell); negative value added is kept with a warning (a loss-making
    unit can have it, rarely)."""
    result = ImportResult()

    def error(row: int, column: str, zh: str, en: str) -> None:
        result.errors.append(CellError(path.name, row, column, zh, en))

    read = file_rows(path, rows, result)
    table = None if read is None else data_rows(SPECS["financials"], read, error)
    if table is None:
        return result
    units, body = table
    known = set(session.scalars(select(Enterprise.credit_code)))
    parsed: list[tuple[str, str, float | None, float | None, int | None]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, values in body:
        before = len(result.errors)
        code = values["credit_code"].upper()
        if not code:
            error(number, "credit_code", "统一社会信用代码为空", "credit_code is empty")
        elif code not in known:
            error(
                number,
                "credit_code",
                f"{code}不在企业名录中，请先导入名录",
                f"{code} is not in the register: import the register first",
            )
        period = None
        try:
            period = Period.parse(values["period"])
            if period.frequency == "M":
                error(
                    number,
                    "period",
                    "财务数据按年度或季度（累计）填报",
                    "financial figures are annual or quarterly (cumulative)",
                )
        except PeriodError as problem:
            error(number, "period", problem.zh, problem.en)
        revenue_factor = MONEY_UNITS[units["revenue"]]
        va_factor = MONEY_UNITS.get(units.get("value_added", ""), 1.0)
        revenue = parse_number(values.get("revenue", ""), "revenue", number, error)
        value_added = parse_number(values.get("value_added", ""), "value_added", number, error)
        employees = parse_number(values.get("employees", ""), "employees", number, error)
        if revenue is None and "revenue" in values and not values["revenue"]:
            error(number, "revenue", "营业收入为空", "revenue is empty")
        for column, label, amount, factor in (
            ("revenue", "营业收入", revenue, revenue_factor),
            ("value_added", "增加值", value_added, va_factor),
        ):
            if amount is not None and abs(amount * factor) > MAX_AMOUNT_WAN:
                error(
                    number,
                    column,
                    f"{label}「{values[column]}」超出合理范围，请检查金额单位",
                    f"{column} {values[column]!r} is out of range: check the money unit",
                )
        if revenue is not None and revenue < 0:
            error(number, "revenue", "营业收入不能为负", "revenue cannot be negative")
        if revenue is not None and value_added is not None:
            if value_added * va_factor > revenue * revenue_factor:
                error(
                    number,
                    "value_added",
                    "增加值超过营业收入，请检查金额单位与数值",
                    "value added exceeds revenue: check the money units and the figures",
                )
            elif value_added < 0:
                result.warnings.append(
                    CellError(
                        path.name,
                        number,
                        "value_added",
                        "增加值为负（亏损单位少见的情形），已导入，请核实",
                        "negative value added (rare, for a loss-making unit): imported, "
                        "please verify",
                    )
                )
        if employees is not None and not (
            0 <= employees <= MAX_EMPLOYEES and employees.is_integer()
        ):
            error(
                number,
                "employees",
                f"从业人员应为0～{MAX_EMPLOYEES}的整数，实为「{values['employees']}」",
                f"employees must be a whole number from 0 to {MAX_EMPLOYEES}, "
                f"got {values['employees']!r}",
            )
        if period is not None and code and (code, str(period)) in seen:
            error(
                number,
                "credit_code",
                f"与第{seen[(code, str(period))]}行重复",
                f"duplicates row {seen[(code, str(period))]}",
            )
        if len(result.errors) > before or period is None:
            continue
        seen[(code, str(period))] = number
        parsed.append(
            (
                code,
                str(period),
                None if revenue is None else revenue * revenue_factor,
                None if value_added is None else value_added * va_factor,
                None if employees is None else int(employees),
            )
        )
    if result.errors:
        return result
    batch_id = _batch(session, "financials", path, len(parsed), actor)
    result.batch_id = batch_id
    for code, period_code, revenue, value_added, employees in parsed:
        ensure_period(session, period_code)
        latest = session.scalars(
            select(Financial)
            .where(Financial.credit_code == code, Financial.period == period_code)
            .order_by(Financial.vintage.desc())
            .limit(1)
        ).first()
        if (
            latest is not None
            and _same(latest.revenue, revenue)
            and _same(latest.value_added, value_added)
            and latest.employees == employees
        ):
            result.unchanged += 1
            continue
        now = utcnow()
        session.add(
            Financial(
                credit_code=code,
                period=period_code,
                revenue=revenue,
                value_added=value_added,
                employees=employees,
                vintage=(latest.vintage + 1) if latest else 1,
                recorded_at=now,
                recorded_by=actor,
                reason=f"导入 / import {path.name}",
                batch_id=batch_id,
            )
        )
        before_state = (
            {"revenue": latest.revenue, "value_added": latest.value_added} if latest else None
        )
        audit(
            session,
            actor,
            "revise" if latest else "insert",
            "financial",
            f"{code}/{period_code}",
            before_state,
            {"revenue": revenue, "value_added": value_added},
            path.name,
            at=now,
        )
        if latest:
            result.revised += 1
        else:
            result.inserted += 1
    result.rows = len(parsed)
    return result


def import_rates(
    session: Session, path: Path, actor: str, rows: list[Row] | None = None
) -> ImportResult:
    """增加值率 by industry and year; one rate per industry and year in a file."""
    result = ImportResult()

    def error(row: int, column: str, zh: str, en: str) -> None:
        result.errors.append(CellError(path.name, row, column, zh, en))

    read = file_rows(path, rows, result)
    table = None if read is None else data_rows(SPECS["varates"], read, error)
    if table is None:
        return result
    _, body = table
    tree = load_industry_tree()
    parsed: list[tuple[str, int, float, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, values in body:
        before = len(result.errors)
        code = values["industry_code"]
        industry = tree.get(code)
        if industry is None or industry.level not in ("class", "division"):
            error(
                number,
                "industry_code",
                f"「{code}」不是GB/T 4754-2017的小类或大类",
                "must be a GB/T 4754-2017 class (4 digits) or division (2 digits)",
            )
        year = _year(error, number, "year", values["year"])
        rate = parse_number(values["rate"], "rate", number, error, percent=True)
        if rate is not None and not 0 < rate <= 100:
            error(
                number, "rate", f"增加值率应在0～100%之间，实为{rate}", "rate must be in (0, 100] %"
            )
        if not values.get("source"):
            error(number, "source", "须注明来源", "the source is required")
        if year is not None and (code, values["year"]) in seen:
            first = seen[(code, values["year"])]
            error(
                number,
                "industry_code",
                f"行业{code}的{year}年增加值率与第{first}行重复",
                f"duplicates row {first}: one rate per industry and year",
            )
        if len(result.errors) == before and rate is not None and year is not None:
            seen[(code, values["year"])] = number
            parsed.append((code, year, rate / 100, values["source"]))
    if result.errors:
        return result
    result.batch_id = _batch(session, "varates", path, len(parsed), actor)
    for code, year, rate, source in parsed:
        latest = session.scalars(
            select(ValueAddedRate)
            .where(ValueAddedRate.industry_code == code, ValueAddedRate.year == year)
            .order_by(ValueAddedRate.vintage.desc())
            .limit(1)
        ).first()
        if latest is not None and _same(latest.rate, rate) and latest.source == source:
            result.unchanged += 1
            continue
        now = utcnow()
        session.add(
            ValueAddedRate(
                industry_code=code,
                year=year,
                rate=rate,
                source=source,
                vintage=(latest.vintage + 1) if latest else 1,
                recorded_at=now,
                recorded_by=actor,
            )
        )
        audit(
            session,
            actor,
            "revise" if latest else "insert",
            "va_rate",
            f"{code}/{year}",
            {"rate": latest.rate} if latest else None,
            {"rate": rate},
            path.name,
            at=now,
        )
        result.revised += bool(latest)
        result.inserted += not latest
    result.rows = len(parsed)
    return result


def import_register(
    session: Session, path: Path, actor: str, edition: str | None = None
) -> ImportResult:
    """Classify the register and keep its enterprises and their classifications (new vintage
    when a unit's classification changes). A rejected row refuses the whole file."""
    result = ImportResult()
    rules = load_classification_rules(edition)
    try:
        rows = classify_to_table(path, rules).to_pylist()
    except RegisterError as failure:
        result.errors.append(CellError(path.name, 0, "", str(failure), str(failure)))
        return result
    for row in rows:
        if row["status"] == "rejected":
            for reason in str(row["reason"]).split("；"):
                column = reason[1 : reason.index("]")] if reason.startswith("[") else ""
                zh, _, en = reason.partition(" / ")
                result.errors.append(
                    CellError(path.name, int(row["source_row"]), column, zh.split("] ", 1)[-1], en)
                )
    if not rows and not result.errors:
        result.errors.append(
            CellError(path.name, 0, "", "文件没有数据行", "the file has no data rows")
        )
    name_length = column_length(Enterprise.__table__, "name")
    for row in rows:
        _too_long(
            lambda *e: result.errors.append(CellError(path.name, *e)),
            int(row["source_row"]),
            "name",
            "单位名称",
            str(row["name"] or ""),
            name_length,
        )
    if result.errors:
        return result
    result.batch_id = _batch(session, "register", path, len(rows), actor)
    existing = {e.credit_code: e for e in session.scalars(select(Enterprise))}
    latest: dict[str, Classification] = {}
    for c in session.scalars(
        select(Classification)
        .where(Classification.edition == rules.edition_name)
        .order_by(Classification.vintage)
    ):
        latest[c.credit_code] = c
    import duckdb

    from demonitor.engine.sources import open_register  # the scope is not in the output

    con = duckdb.connect()
    open_register(con, path)
    scopes = [s or "" for (s,) in con.execute("SELECT business_scope FROM register").fetchall()]
    con.close()
    now = utcnow()
    for row, scope in zip(rows, scopes, strict=True):
        code = str(row["credit_code"])
        enterprise = existing.get(code)
        fields = {
            "name": row["name"],
            "region_code": row["region_code"],
            "industry_code": row["industry_code"],
            "business_scope": scope,
        }
        if enterprise is None:
            session.add(Enterprise(credit_code=code, **fields))
            audit(
                session,
                actor,
                "insert",
                "enterprise",
                code,
                None,
                {"name": row["name"]},
                path.name,
                at=now,
            )
        elif any(getattr(enterprise, k) != v for k, v in fields.items()):
            before = {
                k: getattr(enterprise, k) for k in fields if getattr(enterprise, k) != fields[k]
            }
            for key, value in fields.items():
                setattr(enterprise, key, value)
            audit(
                session,
                actor,
                "update",
                "enterprise",
                code,
                before,
                {k: fields[k] for k in before},
                path.name,
                at=now,
            )
    session.flush()
    for row in rows:
        code = str(row["credit_code"])
        previous = latest.get(code)
        de_code = row["de_code"] or None
        if (
            previous is not None
            and previous.de_code == de_code
            and previous.status == row["status"]
        ):
            result.unchanged += 1
            continue
        session.add(
            Classification(
                credit_code=code,
                edition=rules.edition_name,
                de_code=de_code,
                status=row["status"],
                method=row["method"],
                evidence=row["evidence"],
                reason=row["reason"],
                vintage=(previous.vintage + 1) if previous else 1,
                recorded_at=now,
                recorded_by=actor,
                batch_id=result.batch_id,
            )
        )
        result.revised += bool(previous)
        result.inserted += not previous
    if result.inserted or result.revised:
        # The classification rows are the vintages (who, when, batch); one entry says the
        # register's identification changed, so that the accounts follow.
        audit(
            session,
            actor,
            "classify",
            "classification",
            f"batch {result.batch_id}",
            None,
            {
                "edition": rules.edition_name,
                "new": result.inserted,
                "revised": result.revised,
                "unchanged": result.unchanged,
            },
            path.name,
            at=now,
        )
    result.rows = len(rows)
    return result


RECOGNITION_LEVELS = ("国家", "省", "市")


def _recognition_date(text: str, year: int) -> dt.date | tuple[str, str] | None:
    """The 认定日期 of a row, None when blank, or the (zh, en) reason it is refused."""
    text = text.strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return (f"认定日期「{text}」应写作2024-11-28", f"date {text!r} must look like 2024-11-28")
    if day.year != year:
        return (
            f"认定日期{day}不在认定年份{year}内",
            f"the date {day} is not in the year {year}",
        )
    return day


def import_recognitions(
    session: Session, path: Path, actor: str, rows: list[Row] | None = None
) -> ImportResult:
    """Recognition lists: one row per enterprise, list and year; a row already held is unchanged."""
    result = ImportResult()

    def error(row: int, column: str, zh: str, en: str) -> None:
        result.errors.append(CellError(path.name, row, column, zh, en))

    read = file_rows(path, rows, result)
    table = None if read is None else data_rows(SPECS["recognitions"], read, error)
    if table is None:
        return result
    _, body = table
    list_length = column_length(Recognition.__table__, "list_name")
    known = set(session.scalars(select(Enterprise.credit_code)))
    parsed: list[tuple[str, str, int, str, str, dt.date | None]] = []
    seen: dict[tuple[str, str, int], int] = {}
    for number, values in body:
        before = len(result.errors)
        list_name = values["list_name"]
        code = values["credit_code"].upper()
        if not list_name:
            error(number, "list_name", "名单为空", "list_name is empty")
        _too_long(error, number, "list_name", "名单名称", list_name, list_length)
        if code not in known:
            error(
                number,
                "credit_code",
                f"{code or '（空）'}不在企业名录中，请先导入名录",
                f"{code!r} is not in the register: import the register first",
            )
        year = _year(error, number, "year", values["year"])
        level = values["level"]
        if level not in RECOGNITION_LEVELS:
            error(number, "level", "级别应为国家、省或市", "level must be 国家, 省 or 市")
        recognised_on = None
        if year is not None:
            recognised_on = _recognition_date(values.get("recognised_on", ""), year)
        if isinstance(recognised_on, tuple):
            error(number, "recognised_on", *recognised_on)
            recognised_on = None
        if len(result.errors) > before or year is None:
            continue
        key = (list_name, code, year)
        if key in seen:
            error(number, "credit_code", f"与第{seen[key]}行重复", f"duplicates row {seen[key]}")
            continue
        seen[key] = number
        parsed.append((list_name, code, year, level, values.get("note", ""), recognised_on))
    if result.errors:
        return result
    result.batch_id = _batch(session, "recognitions", path, len(parsed), actor)
    held = {
        (r.list_name, r.credit_code, r.year)
        for r in session.scalars(
            select(Recognition).where(Recognition.list_name.in_({p[0] for p in parsed}))
        )
    }
    now = utcnow()
    for list_name, code, year, level, note, recognised_on in parsed:
        if (list_name, code, year) in held:
            result.unchanged += 1
            continue
        session.add(
            Recognition(
                list_name=list_name,
                credit_code=code,
                year=year,
                recognised_on=recognised_on,
                level=level,
                note=note,
                recorded_at=now,
                recorded_by=actor,
                batch_id=result.batch_id,
            )
        )
        audit(
            session,
            actor,
            "insert",
            "recognition",
            f"{list_name}/{code}/{year}",
            None,
            {
                "level": level,
                "recognised_on": recognised_on.isoformat() if recognised_on else None,
            },
            path.name,
            at=now,
        )
        result.inserted += 1
    result.rows = len(parsed)
    return result
