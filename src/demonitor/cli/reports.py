"""Reports from the database: ``account`` (core value added and its share of GDP), ``progress``
(every indicator against its target) and ``forecast`` (anticipated quarterly values)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from demonitor.cli.common import DEMO_BANNER, DatabaseOption, app, console, database, emit, fail
from demonitor.reference.regions import load_regions


def _yi(value: float | None) -> str:
    """万元 → 亿元 with one decimal, as officials read money."""
    return "—" if value is None else f"{value / 10_000:,.1f}"


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


VINTAGE_DATE_HELP = "按某日已有的数据版本（当日结束，UTC），如2024-06-30 / data known then"


def vintage_moment(vintage_date: str | None) -> dt.datetime | None:
    """The end of a vintage date (YYYY-MM-DD) in UTC, as ``account`` and ``progress`` read it."""
    from demonitor.core.periods import PeriodError
    from demonitor.core.periods import vintage_moment as end_of_vintage_day

    if not vintage_date:
        return None
    try:
        return end_of_vintage_day(vintage_date)
    except PeriodError as error:
        raise fail(f"--vintage-date: {error}") from error


@app.command()
def account(
    period: Annotated[
        str,
        typer.Option("--period", help="2024，或2024Q2（1–6月累计）/ year or cumulative quarter"),
    ],
    region: Annotated[str, typer.Option("--region", help="区划代码或all")] = "all",
    level: Annotated[str, typer.Option("--level", help="category | group | class")] = "category",
    output_format: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    edition: Annotated[str | None, typer.Option("--edition")] = None,
    vintage_date: Annotated[
        str | None, typer.Option("--vintage-date", help=VINTAGE_DATE_HELP)
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """数字经济核心产业增加值、占GDP比重及贡献 / core value added, share of GDP, contribution."""
    from demonitor.core.accounts import INDUSTRIES, deflator_names
    from demonitor.core.periods import Period as PeriodCode
    from demonitor.core.periods import PeriodError
    from demonitor.reference.digital_economy import load_edition as load_de
    from demonitor.reports.accounts import UNALLOCATED_EN, UNALLOCATED_ZH, accounts_table
    from demonitor.store.db import session_scope

    try:
        chosen = PeriodCode.parse(period)
    except PeriodError as error:
        raise fail(str(error)) from error
    if chosen.frequency == "M":
        raise fail("核算按年度或季度（累计）/ accounts are annual or quarterly (cumulative)")
    if level not in ("category", "group", "class") or output_format not in ("table", "csv", "json"):
        raise fail("--level 应为 category/group/class，--format 应为 table/csv/json")
    known_at = vintage_moment(vintage_date)
    de = load_de(edition)
    with session_scope(database(database_url)) as session:
        report = accounts_table(
            session,
            de.name,
            chosen,
            None if region == "all" else region,
            level,
            known_at=known_at,
        )
    rows, breakdown, demo_data = report.rows, report.breakdown, report.demo
    regions = load_regions()

    def region_name(code: str, unallocated: bool = False) -> str:
        if unallocated:
            return UNALLOCATED_ZH
        found = regions.get(code)
        return found.name_zh if found else code

    records = [
        {
            "region_code": r.region,
            "region": region_name(r.region, r.unallocated),
            "unallocated": r.unallocated,
            "period": r.period,
            "core_value_added_10k_yuan": round(r.core_value_added, 1),
            **{f"category_{c}": round(v, 1) for c, v in r.by_category.items()},
            "gdp_10k_yuan": r.gdp,
            "share_pct": r.share,
            "nominal_growth_pct": r.nominal_growth,
            "real_growth_pct": r.real_growth,
            "gdp_real_growth_pct": r.gdp_real_growth,
            "contribution_rate_pct": r.contribution.contribution_rate if r.contribution else None,
            "pull_pp": r.contribution.pull if r.contribution else None,
            "deflator": r.deflator_source,
            "units": r.units,
            "reported": r.reported,
            "estimated": r.estimated,
            "missing": r.missing,
            "edition": de.name,
            "vintage_date": vintage_date,
            "demo_data": demo_data,
        }
        for r in rows
    ]
    if output_format != "table":
        flat = [
            {**record, "warnings": "；".join(str(w) for w in r.warnings)}
            for r, record in zip(rows, records, strict=True)
        ]
        nested = [
            {
                **record,
                "warnings": [str(w) for w in r.warnings],
                "industries": [
                    {
                        "industry": i.industry,
                        "name": INDUSTRIES[i.industry][0],
                        "previous_10k_yuan": i.previous,
                        "current_10k_yuan": i.current,
                        "volume_index": i.volume_index,
                        "contribution_rate_pct": i.contribution.contribution_rate,
                        "pull_pp": i.contribution.pull,
                    }
                    for i in r.industries
                ],
            }
            for r, record in zip(rows, records, strict=True)
        ]
        emit(
            output_format,
            flat,
            {
                "accounts": nested,
                level: breakdown,
                "warnings": [str(w) for w in report.warnings],
                "vintage_date": vintage_date,
            },
        )
        return
    if demo_data:
        console.print(f"[bold yellow]{DEMO_BANNER}[/]")
    span = (
        f"{chosen.year}年"
        if chosen.frequency == "A"
        else f"{chosen.year}年1–{chosen.index * 3}月累计"
    )
    vintage = (
        f"（数据版本截至{vintage_date}日终（UTC）/ data as known at the end of {vintage_date} UTC）"
        if vintage_date
        else ""
    )
    table = Table(
        title=f"{span}数字经济核心产业增加值 / core digital-economy value added ({chosen}){vintage}"
    )
    for column in (
        "区划",
        "核心产业增加值\n(亿元)",
        "01",
        "02",
        "03",
        "04",
        "GDP(亿元)",
        "占GDP比重%",
        "现价增速%",
        "可比价增速%",
        "贡献率%",
        "拉动\n(百分点)",
        "单位数\n(报/估/缺)",
    ):
        table.add_column(column, justify="left" if column == "区划" else "right")
    for r, record in zip(rows, records, strict=True):
        table.add_row(
            "市本级\n（未分到市(区)）" if r.unallocated else str(record["region"]),
            _yi(r.core_value_added),
            *(_yi(r.by_category[c]) for c in ("01", "02", "03", "04")),
            _yi(r.gdp),
            _pct(r.share),
            _pct(r.nominal_growth),
            _pct(r.real_growth),
            _pct(r.contribution.contribution_rate if r.contribution else None),
            _pct(r.contribution.pull if r.contribution else None, 2),
            f"{r.units} ({r.reported}/{r.estimated}/{r.missing})",
        )
    console.print(table)
    if any(r.unallocated for r in rows):
        console.print(
            f"{UNALLOCATED_ZH}：登记在市级区划代码（或不属于任何市(区)的园区）的单位，计入全市合计，"
            f"不计入任何市(区) / {UNALLOCATED_EN}: units registered at the city code (or in a "
            "zone no district administers), counted in the city total and in no district.",
            highlight=False,
            markup=False,
        )
    for r, record in zip(rows, records, strict=True):
        if not r.industries:
            continue
        industries = Table(
            title=f"{record['region']}三次产业对地区生产总值增长的贡献 / contributions of the "
            f"three industries to GDP growth ({r.period}，上年价格 / previous-year prices)"
        )
        for column in ("产业", "上年增加值(亿元)", "增加值(亿元)", "指数(上年=100)", "贡献率%"):
            industries.add_column(column, justify="left" if column == "产业" else "right")
        industries.add_column("拉动(百分点)", justify="right")
        for i in r.industries:
            industries.add_row(
                INDUSTRIES[i.industry][0],
                _yi(i.previous),
                _yi(i.current),
                _pct(i.volume_index),
                _pct(i.contribution.contribution_rate),
                _pct(i.contribution.pull, 2),
            )
        industries.add_row(
            "合计 Σ",
            "",
            "",
            "",
            _pct(sum(i.contribution.contribution_rate for i in r.industries)),
            _pct(sum(i.contribution.pull for i in r.industries), 2)
            + f"（GDP {_pct(r.gdp_real_growth)}%）",
        )
        console.print(industries)
    if level != "category":
        detail = Table(title=f"按{'中类' if level == 'group' else '小类'} / by {level} (亿元)")
        detail.add_column("代码")
        detail.add_column("名称")
        detail.add_column("增加值", justify="right")
        for code in sorted(breakdown):
            if code[:2] in ("01", "02", "03", "04"):
                detail.add_row(code, de.classes[code].name, _yi(breakdown[code]))
        console.print(detail)
    sources = {r.deflator_source for r in rows if r.deflator_source}
    if len(sources) > 1:
        deflated = "可比价平减 / deflated by: " + "；".join(
            f"{record['region']} {deflator_names(r.deflator_source)[0]}"
            for r, record in zip(rows, records, strict=True)
            if r.deflator_source
        )
    else:
        zh, en = deflator_names(next(iter(sources), ""))
        deflated = f"可比价按{zh}平减 / deflated by {en}"
    console.print(
        f"分类版本 / edition: {de.label()}；{deflated}。"
        "增加值：企业报送，否则营业收入×增加值率（演示库中的增加值率为示意值）。",
        highlight=False,
        markup=False,
    )
    if report.warnings:
        console.print("提示 / warnings:", highlight=False)
        for warning in report.warnings:
            console.print(f"  ⚠ {warning}", highlight=False, markup=False)


@app.command()
def progress(
    as_of: Annotated[str, typer.Option("--as-of", help="如2024Q4或2024 / data period")],
    region: Annotated[str, typer.Option("--region")] = "321200",
    output_format: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    edition: Annotated[str | None, typer.Option("--edition")] = None,
    vintage_date: Annotated[
        str | None,
        typer.Option("--vintage-date", help=VINTAGE_DATE_HELP),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="比率类指标的判定方法 escap | statcan，默认取城市配置 / how rates are judged",
        ),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """各项指标对2025年目标的进度 / progress of every indicator against its target."""

    from demonitor.core.monitoring import time_label
    from demonitor.core.periods import Period as PeriodCode
    from demonitor.core.periods import PeriodError
    from demonitor.core.progress import CATEGORY_ZH, METHOD_ZH, RATE_METHODS
    from demonitor.reference.digital_economy import load_edition as load_de
    from demonitor.reports.progress import progress_table
    from demonitor.store.db import session_scope

    try:
        period = PeriodCode.parse(as_of)
        known_at = vintage_moment(vintage_date)
    except (PeriodError, ValueError) as error:
        raise fail(str(error)) from error
    if method is not None and method not in RATE_METHODS:
        raise fail(f"--method 应为 {' 或 '.join(RATE_METHODS)} / must be one of the methods")
    de = load_de(edition)
    with session_scope(database(database_url)) as session:
        progress_data = progress_table(session, de.name, period, region, known_at, method)
    report, demo_data = progress_data.rows, progress_data.demo
    records = [
        {
            "code": p.code,
            "name": p.name_zh,
            "unit": p.unit,
            "base_year": p.base_year,
            "base_value": p.base_value,
            "base_period": None if p.base_time is None else time_label(p.base_time),
            "current_period": p.current_period,
            "current_value": p.current_value,
            "as_of": progress_data.as_of,
            "vintage_date": vintage_date,
            "target": p.target,
            "comparator": p.comparator,
            "direction": p.direction,
            "time_elapsed": p.schedule,
            "current_status": p.assessment.current_status if p.assessment else None,
            "ratio": p.assessment.ratio if p.assessment else None,
            "gap": p.assessment.gap if p.assessment else None,
            "projected_target_year": p.projection,
            "method_code": p.method_code,
            "category": p.category,
            "category_zh": CATEGORY_ZH[p.category],
            "method": p.method,
            # what an even pace would have reached by the as-of period
            "expected_by_now": (
                (p.base_value or 0.0) + (p.target - (p.base_value or 0.0)) * p.schedule
                if p.kind == "count_cumulative" and p.schedule is not None
                else None
            ),
            "demo_data": demo_data,
        }
        for p in report
    ]
    if output_format != "table":
        emit(output_format, records, records)
        return
    if demo_data:
        console.print(f"[bold yellow]{DEMO_BANNER}[/]")
    colours = {
        "achieved": "green",
        "on_track": "green",
        "acceleration_needed": "yellow",
        "limited": "red",
        "deterioration": "red",
        "no_data": "grey50",
    }
    vintage = f"，数据版本截至{vintage_date}" if vintage_date else ""
    table = Table(
        title=f"指标进度（截至{period}{vintage}）/ progress as of {period}",
        caption=f"比率类指标按{METHOD_ZH[progress_data.method]}判定；计数类按线性序时比率法；"
        f"序时进度为截至{period}",
    )
    for column in (
        "代码",
        "指标",
        "基期",
        "当前",
        "目标",
        "序时进度",
        "完成度",
        "R/差距",
        f"预计{report[0].target_year if report else ''}",
        "状态",
    ):
        table.add_column(column, justify="left" if column in ("指标", "状态") else "right")
    for p, record in zip(report, records, strict=True):
        elapsed = record["time_elapsed"]
        status = record["current_status"]
        base_period = record["base_period"]
        table.add_row(
            p.code,
            p.name_zh,
            _pct(p.base_value)
            + (f" ({base_period})" if base_period and base_period != str(p.base_year) else ""),
            f"{_pct(p.current_value)} ({p.current_period})",
            f"{COMPARATOR_SIGNS[p.comparator]}{p.target:g}{p.unit if p.unit in ('%',) else ''}",
            "—" if elapsed is None else f"{elapsed:.0%}",
            "—" if status is None else f"{status:.0%}",
            _pace(
                p.method_code,
                p.assessment.ratio if p.assessment else None,
                p.assessment.gap if p.assessment else None,
            ),
            _pct(p.projection),
            f"[{colours[p.category]}]{CATEGORY_ZH[p.category]}[/]",
        )
    console.print(table)
    warnings = progress_data.alerts
    if warnings:
        alert_table = Table(title="预警 / alerts")
        alert_table.add_column("代码")
        alert_table.add_column("指标")
        alert_table.add_column("原因 / why")
        for alert in warnings:
            alert_table.add_row(alert.code, alert.name_zh, "；".join(alert.reasons_zh))
        console.print(alert_table)
    else:
        console.print("无预警 / no alerts")


def _pace(method_code: str, ratio: float | None, gap: float | None) -> str:
    """The figure the category rests on: ESCAP's anticipated gap, or the pace ratio R."""
    if method_code == "escap":
        return "—" if gap is None else f"差{gap:.0%}"
    return "—" if ratio is None else f"R {ratio:.2f}"


COMPARATOR_SIGNS = {"approx": "≈", "ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "="}


@app.command()
def forecast(
    series: Annotated[str, typer.Option("--series", help="如GDP / a quarterly series")] = "GDP",
    region: Annotated[str, typer.Option("--region")] = "321200",
    horizon: Annotated[int, typer.Option("--horizon", min=1, max=12)] = 4,
    method: Annotated[str, typer.Option("--method", help="ets | arima")] = "ets",
    database_url: DatabaseOption = None,
) -> None:
    """季度序列的预计值（仅供参考，不用于考核）/ anticipated quarterly values."""
    from demonitor.store.db import session_scope
    from demonitor.store.forecasting import NotEnoughData, forecast_quarters
    from demonitor.store.observations import has_demo_data

    if method not in ("ets", "arima"):
        raise fail("--method 应为 ets 或 arima")
    with session_scope(database(database_url)) as session:
        try:
            result = forecast_quarters(session, series, region, horizon, method)
        except NotEnoughData as error:
            raise fail(str(error)) from error
        if has_demo_data(session):
            console.print(f"[bold yellow]{DEMO_BANNER}[/]")
    table = Table(title=f"{series} {region} 预计值 / anticipated values ({result.forecast.method})")
    for column in ("季度", "当季(亿元)", "95%下限", "95%上限"):
        table.add_column(column, justify="right")
    lower = result.forecast.lower95 or (None,) * horizon
    upper = result.forecast.upper95 or (None,) * horizon
    for period, mean, low, high in zip(
        result.periods, result.forecast.mean, lower, upper, strict=True
    ):
        table.add_row(str(period), _yi(mean), _yi(low), _yi(high))
    console.print(table)
    last = max(result.history)
    console.print(
        f"依据{min(result.history)}–{last}共{len(result.history)}个当季值（由累计值差分）；"
        f"参数 / parameters: "
        + ", ".join(f"{k}={v:.4g}" for k, v in result.forecast.parameters.items() if v is not None)
        + "。预计值仅供参考，考核按年度数据 / for display only.",
        highlight=False,
    )
