"""Command line: ``demonitor classify``, ``demonitor reference …``, ``demonitor demo …``.

A thin layer: every command parses its options, calls the engine or the reference package, and
prints the result with Rich. Exit codes: 0 success, 2 unusable input, 3 some rows rejected.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from demonitor import __version__
from demonitor.engine.duckdb_backend import ClassificationSummary, classify_file
from demonitor.engine.rules import load_classification_rules
from demonitor.engine.sources import RegisterError, load_overrides
from demonitor.reference.digital_economy import (
    CATEGORY_NAMES_EN,
    EditionError,
    list_editions,
    load_edition,
    register_edition,
)
from demonitor.reference.gbt4754 import LEVEL_ZH, load_industry_tree
from demonitor.reference.regions import load_regions
from demonitor.reference.scope_rules import RULES_VERSION, load_scope_rules

if TYPE_CHECKING:
    from demonitor.store.users import UserStore as UserStoreType

app = typer.Typer(
    help="数字经济统计监测平台 / digital-economy monitoring platform", no_args_is_help=True
)
reference_app = typer.Typer(help="参考标准 / reference standards", no_args_is_help=True)
demo_app = typer.Typer(
    help="演示数据：不带子命令时建立完整的演示数据库 / demo data; alone, builds the demo database",
    invoke_without_command=True,
)
db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)
app.add_typer(reference_app, name="reference")
app.add_typer(demo_app, name="demo")
app.add_typer(db_app, name="db")

# Wide enough for the account tables when the output is a file or a CI log, not a terminal.
console = Console(soft_wrap=True, width=None if Console().is_terminal else 160)
errors = Console(stderr=True, soft_wrap=True)

EXIT_UNUSABLE_INPUT = 2
EXIT_ROWS_REJECTED = 3
STATUS_LABELS = {
    "classified": "已归类 classified",
    "not_digital": "非数字经济 not digital",
    "candidate": "待复核 candidate",
    "rejected": "已拒收 rejected",
}


def fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]错误 / error:[/] {message}", highlight=False)
    return typer.Exit(EXIT_UNUSABLE_INPUT)


def _version(value: bool) -> None:
    if value:
        console.print(f"demonitor {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="版本 / version")
    ] = False,
) -> None:
    """数字经济统计监测平台 / digital-economy monitoring platform."""


@app.command()
def classify(
    register: Annotated[Path, typer.Argument(help="企业名录 CSV/XLSX/Parquet / register")],
    output: Annotated[Path, typer.Option("-o", "--output", help="输出 .csv/.parquet/.xlsx")],
    overrides: Annotated[
        Path | None, typer.Option("--overrides", help="人工认定 CSV/XLSX / manual decisions")
    ] = None,
    edition: Annotated[
        str | None, typer.Option("--edition", help="分类版本 / classification edition")
    ] = None,
    regions: Annotated[
        Path | None, typer.Option("--regions", help="区划表 CSV / region table")
    ] = None,
    threads: Annotated[int | None, typer.Option("--threads", min=1)] = None,
) -> None:
    """识别数字经济单位 / identify digital-economy units in an enterprise register."""
    try:
        rules = load_classification_rules(edition, str(regions) if regions else None)
        manual = load_overrides(overrides, rules) if overrides else {}
    except (EditionError, KeyError, ValueError, RegisterError) as error:
        raise fail(str(error)) from error
    missing_rules = rules.partial_classes_without_rule()
    if missing_rules:
        errors.print(
            "[yellow]注意 / note:[/] 以下部分归属小类没有经营范围规则，无法据经营范围归入 / "
            f"partial classes without a scope rule: {', '.join(missing_rules)}"
        )
    big = register.is_file() and register.stat().st_size > 20_000_000
    with Progress(
        TextColumn("[bold]分类 classifying"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not (big and console.is_terminal),
    ) as progress:
        task = progress.add_task("classify", total=100)
        try:
            summary = classify_file(
                register,
                output,
                rules,
                manual,
                progress=lambda p: progress.update(task, completed=p),
                threads=threads,
            )
        except RegisterError as error:
            raise fail(str(error)) from error
    print_summary(summary, rules.edition_label, output)
    if manual:
        console.print(f"人工认定 / manual decisions: {len(manual)}", highlight=False)
    if summary.unmatched_overrides:
        errors.print(
            "[yellow]注意 / note:[/] 人工认定中这些信用代码不在名录中 / override credit codes "
            f"not in the register: {', '.join(summary.unmatched_overrides[:20])}"
        )
    raise typer.Exit(EXIT_ROWS_REJECTED if summary.rejected else 0)


def print_summary(summary: ClassificationSummary, edition_label: str, output: Path) -> None:
    regions = load_regions()
    console.print(f"[bold]分类版本 / edition:[/] {edition_label}", highlight=False)
    console.print(f"[bold]经营范围规则 / scope rules:[/] {RULES_VERSION}", highlight=False)

    status_table = Table(title="按状态 / by status")
    status_table.add_column("状态 status")
    status_table.add_column("单位数 units", justify="right")
    status_table.add_column("占比 share", justify="right")
    for status, label in STATUS_LABELS.items():
        count = summary.by_status.get(status, 0)
        share = f"{100 * count / summary.rows:.1f}%" if summary.rows else "—"
        status_table.add_row(label, f"{count:,}", share)
    status_table.add_row("[bold]合计 total[/]", f"[bold]{summary.rows:,}[/]", "")
    console.print(status_table)

    edition = load_edition(summary.edition)
    category_table = Table(title="已归类单位按大类 / classified units by category")
    category_table.add_column("大类")
    category_table.add_column("名称")
    category_table.add_column("category", overflow="fold")
    category_table.add_column("核心 core")
    category_table.add_column("单位数 units", justify="right")
    for code in sorted(c.code for c in edition.classes.values() if c.level == "大类"):
        de = edition.classes[code]
        category_table.add_row(
            code,
            de.name,
            CATEGORY_NAMES_EN.get(code, ""),
            "是 yes" if de.core else "否 no",
            f"{summary.by_category.get(code, 0):,}",
        )
    core_total = sum(n for c, n in summary.by_category.items() if edition.classes[c].core)
    category_table.add_row(
        "01–04", "[bold]核心产业 core industries[/]", "", f"[bold]{core_total:,}[/]"
    )
    console.print(category_table)

    region_table = Table(title="按区划 / by region")
    region_table.add_column("代码 code")
    region_table.add_column("区划 region")
    for status in STATUS_LABELS:
        region_table.add_column(STATUS_LABELS[status].split(" ")[0], justify="right")
    for code in sorted(summary.by_region):
        region = regions.get(code)
        name = f"{region.name_zh} {region.name_en}" if region else "未知 unknown"
        counts = summary.by_region[code]
        region_table.add_row(
            code or "(空 empty)", name, *(f"{counts.get(s, 0):,}" for s in STATUS_LABELS)
        )
    console.print(region_table)
    rate = summary.rows / summary.seconds if summary.seconds else 0.0
    console.print(
        f"{summary.rows:,} 行 rows → {output}  ({summary.seconds:.1f} s, {rate:,.0f} rows/s)",
        highlight=False,
    )


# --- database -----------------------------------------------------------------------------

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="默认取 DEMONITOR_DATABASE_URL 或 sqlite:///demonitor.db"),
]


@app.command()
def init(
    database_url: DatabaseOption = None,
    actor: Annotated[str, typer.Option("--actor", help="操作人 / who")] = "system",
) -> None:
    """建立或升级数据库并载入区划、指标与目标 / create or migrate the database and seed it."""
    from demonitor.store.catalogue import seed_reference
    from demonitor.store.db import current_revision, make_engine, session_scope, upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        added = seed_reference(session, actor)
    console.print(
        f"数据库已就绪 / database ready: {engine.url.render_as_string(hide_password=True)} "
        f"(revision {current_revision(engine)}, {added} 条参考数据新增 / reference rows added)",
        highlight=False,
    )


@app.command()
def template(
    kind: Annotated[
        str,
        typer.Argument(help="gdp | observations | financials | varates | register | recognitions"),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help=".xlsx")],
    database_url: DatabaseOption = None,
) -> None:
    """写出填报模板（中文表头、说明行、下拉列表）/ write an Excel data-collection template."""
    from demonitor.ingest.specs import SPECS
    from demonitor.ingest.templates import write_template
    from demonitor.store.db import session_scope

    if kind not in SPECS:
        raise fail(f"未知模板 / unknown template {kind}; choose {', '.join(SPECS)}")
    with session_scope(database(database_url)) as session:
        write_template(kind, output, session)
    console.print(f"模板已写出 / template written: {output}", highlight=False)


IMPORT_KINDS = ("gdp", "observations", "financials", "varates", "register", "recognitions")


@app.command("import")
def import_data(
    kind: Annotated[str, typer.Argument(help=" | ".join(IMPORT_KINDS))],
    file: Annotated[Path, typer.Argument(help="填好的模板 .xlsx/.csv（名录另可 .parquet）")],
    actor: Annotated[str, typer.Option("--actor", help="操作人 / who")] = "system",
    edition: Annotated[str | None, typer.Option("--edition", help="名录识别所用分类版本")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """校验并导入：全部成功或全部不导入，修改的数值成为新版本 / import all rows or none."""
    from demonitor.ingest.importer import ImportResult, import_file, write_errors
    from demonitor.ingest.microdata import (
        import_financials,
        import_rates,
        import_recognitions,
        import_register,
    )
    from demonitor.store.db import session_scope

    if kind not in IMPORT_KINDS:
        raise fail(f"未知类型 / unknown kind {kind}; choose {', '.join(IMPORT_KINDS)}")
    if not file.is_file():
        raise fail(f"{file}: 文件不存在 / file not found")

    class Refused(Exception):
        pass

    result = ImportResult()
    try:
        with session_scope(database(database_url)) as session:
            if kind == "financials":
                result = import_financials(session, file, actor)
            elif kind == "varates":
                result = import_rates(session, file, actor)
            elif kind == "register":
                result = import_register(session, file, actor, edition)
            elif kind == "recognitions":
                result = import_recognitions(session, file, actor)
            else:
                result = import_file(session, kind, file, actor)
            if result.errors:
                raise Refused  # roll the transaction back: nothing is imported
    except Refused:
        table = Table(
            title=f"{file.name}: {len(result.errors)} 处错误，未导入任何数据 / "
            "errors, nothing imported"
        )
        for column in ("行 row", "列 column", "原因", "reason"):
            table.add_column(column)
        for e in result.errors[:200]:
            table.add_row(str(e.row), e.column, e.reason_zh, e.reason_en)
        errors.print(table)
        errors.print(f"错误清单 / error list: {write_errors(file, result.errors)}")
        raise typer.Exit(EXIT_UNUSABLE_INPUT) from None
    console.print(
        f"已导入 / imported {file.name}: {result.rows} 行 rows — 新增 inserted {result.inserted}, "
        f"修订 revised {result.revised}, 未变 unchanged {result.unchanged} "
        f"(batch {result.batch_id})",
        highlight=False,
    )


def emit(output_format: str, rows: Sequence[Mapping[str, object]], document: object) -> None:
    """Machine-readable output: CSV of the rows, or the document as JSON."""
    import csv
    import json
    import sys

    if output_format == "json":
        print(json.dumps(document, ensure_ascii=False, indent=2))
    elif rows:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def database(url: str | None) -> Engine:
    """The database for a command that reads or writes data; refuses an outdated schema."""
    from demonitor.store.db import DatabaseNotReady, ready_engine

    try:
        return ready_engine(url)
    except DatabaseNotReady as error:
        raise fail(str(error)) from error


DEMO_BANNER = "⚠ 本库含演示数据（合成，非真实统计）/ this database holds synthetic demo data"


def _yi(value: float | None) -> str:
    """万元 → 亿元 with one decimal, as officials read money."""
    return "—" if value is None else f"{value / 10_000:,.1f}"


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


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
    database_url: DatabaseOption = None,
) -> None:
    """数字经济核心产业增加值、占GDP比重及贡献 / core value added, share of GDP, contribution."""
    from demonitor.core.periods import Period as PeriodCode
    from demonitor.core.periods import PeriodError
    from demonitor.reference.digital_economy import load_edition as load_de
    from demonitor.reports.accounts import accounts_table
    from demonitor.store.db import session_scope

    try:
        chosen = PeriodCode.parse(period)
    except PeriodError as error:
        raise fail(str(error)) from error
    if chosen.frequency == "M":
        raise fail("核算按年度或季度（累计）/ accounts are annual or quarterly (cumulative)")
    if level not in ("category", "group", "class") or output_format not in ("table", "csv", "json"):
        raise fail("--level 应为 category/group/class，--format 应为 table/csv/json")
    de = load_de(edition)
    with session_scope(database(database_url)) as session:
        report = accounts_table(
            session, de.name, chosen, None if region == "all" else region, level
        )
    rows, breakdown, demo_data = report.rows, report.breakdown, report.demo
    regions = load_regions()

    def region_name(code: str) -> str:
        found = regions.get(code)
        return found.name_zh if found else code

    records = [
        {
            "region_code": r.region,
            "region": region_name(r.region),
            "period": r.period,
            "core_value_added_10k_yuan": round(r.core_value_added, 1),
            **{f"category_{c}": round(v, 1) for c, v in r.by_category.items()},
            "gdp_10k_yuan": r.gdp,
            "share_pct": r.share,
            "nominal_growth_pct": r.nominal_growth,
            "real_growth_pct": r.real_growth,
            "contribution_rate_pct": r.contribution.contribution_rate if r.contribution else None,
            "pull_pp": r.contribution.pull if r.contribution else None,
            "deflator": r.deflator_source,
            "units": r.units,
            "reported": r.reported,
            "estimated": r.estimated,
            "missing": r.missing,
            "edition": de.name,
            "demo_data": demo_data,
        }
        for r in rows
    ]
    if output_format != "table":
        emit(output_format, records, {"accounts": records, level: breakdown})
        return
    if demo_data:
        console.print(f"[bold yellow]{DEMO_BANNER}[/]")
    span = (
        f"{chosen.year}年"
        if chosen.frequency == "A"
        else f"{chosen.year}年1–{chosen.index * 3}月累计"
    )
    table = Table(
        title=f"{span}数字经济核心产业增加值 / core digital-economy value added ({chosen})"
    )
    for column in (
        "区划",
        "核心产业增加值(亿元)",
        "01",
        "02",
        "03",
        "04",
        "GDP(亿元)",
        "占GDP比重%",
        "现价增速%",
        "可比价增速%",
        "贡献率%",
        "拉动(百分点)",
        "单位数(报/估/缺)",
    ):
        table.add_column(column, justify="left" if column == "区划" else "right")
    for r, record in zip(rows, records, strict=True):
        table.add_row(
            str(record["region"]),
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
    if level != "category":
        detail = Table(title=f"按{'中类' if level == 'group' else '小类'} / by {level} (亿元)")
        detail.add_column("代码")
        detail.add_column("名称")
        detail.add_column("增加值", justify="right")
        for code in sorted(breakdown):
            if code[:2] in ("01", "02", "03", "04"):
                detail.add_row(code, de.classes[code].name, _yi(breakdown[code]))
        console.print(detail)
    console.print(
        f"分类版本 / edition: {de.label()}；可比价按{rows[0].deflator_source or '—'}平减。"
        "增加值：企业报送，否则营业收入×增加值率（演示库中的增加值率为示意值）。",
        highlight=False,
    )


@app.command()
def progress(
    as_of: Annotated[str, typer.Option("--as-of", help="如2024Q4或2024 / data period")],
    region: Annotated[str, typer.Option("--region")] = "321200",
    output_format: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    edition: Annotated[str | None, typer.Option("--edition")] = None,
    vintage_date: Annotated[
        str | None,
        typer.Option("--vintage-date", help="按某日已有的数据版本，如2024-06-30 / data known then"),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """各项指标对2025年目标的进度 / progress of every indicator against its target."""
    import datetime as dt

    from demonitor.core.periods import Period as PeriodCode
    from demonitor.core.periods import PeriodError
    from demonitor.core.progress import CATEGORY_ZH, expected_count
    from demonitor.reference.digital_economy import load_edition as load_de
    from demonitor.reports.progress import progress_table
    from demonitor.store.db import session_scope

    try:
        period = PeriodCode.parse(as_of)
        known_at = (
            dt.datetime.combine(dt.date.fromisoformat(vintage_date), dt.time.max, tzinfo=dt.UTC)
            if vintage_date
            else None
        )
    except (PeriodError, ValueError) as error:
        raise fail(str(error)) from error
    de = load_de(edition)
    with session_scope(database(database_url)) as session:
        progress_data = progress_table(session, de.name, period, region, known_at)
    report, demo_data = progress_data.rows, progress_data.demo
    records = [
        {
            "code": p.code,
            "name": p.name_zh,
            "unit": p.unit,
            "base_year": p.base_year,
            "base_value": p.base_value,
            "current_period": p.current_period,
            "current_value": p.current_value,
            "target": p.target,
            "comparator": p.comparator,
            "time_elapsed": p.assessment.time_elapsed if p.assessment else None,
            "current_status": p.assessment.current_status if p.assessment else None,
            "ratio": p.assessment.ratio if p.assessment else None,
            "projected_target_year": p.assessment.projected_linear if p.assessment else None,
            "category": p.category,
            "category_zh": CATEGORY_ZH[p.category],
            "method": p.method,
            "expected_by_now": (
                expected_count(p.target, p.base_year, p.current_year, p.target_year)
                if p.kind == "count_cumulative" and p.current_year is not None
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
    table = Table(title=f"指标进度（截至{period}）/ progress as of {period}")
    for column in (
        "代码",
        "指标",
        "基期",
        "当前",
        "目标",
        "序时进度",
        "完成度",
        "比率R",
        "线性外推",
        "状态",
    ):
        table.add_column(column, justify="left" if column in ("指标", "状态") else "right")
    for p, record in zip(report, records, strict=True):
        elapsed = record["time_elapsed"]
        status = record["current_status"]
        table.add_row(
            p.code,
            p.name_zh,
            _pct(p.base_value),
            f"{_pct(p.current_value)} ({p.current_period})",
            f"{'≈' if p.comparator == 'approx' else '>' if p.comparator == 'gt' else '≥'}"
            f"{p.target:g}{p.unit if p.unit in ('%',) else ''}",
            "—" if elapsed is None else f"{elapsed:.0%}",
            "—" if status is None else f"{status:.0%}",
            "—" if record["ratio"] is None else f"{record['ratio']:.2f}",
            _pct(p.assessment.projected_linear if p.assessment else None),
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


target_app = typer.Typer(help="目标与触警阈值 / targets and alarm thresholds", no_args_is_help=True)
app.add_typer(target_app, name="target")


@target_app.command("set")
def target_set(
    indicator: Annotated[str, typer.Argument(help="指标代码，如DE21")],
    region: Annotated[str, typer.Option("--region", help="区划代码")] = "321200",
    target_value: Annotated[float | None, typer.Option("--target", help="目标值")] = None,
    comparator: Annotated[str | None, typer.Option("--comparator", help="approx|ge|gt|eq")] = None,
    tolerance: Annotated[float | None, typer.Option("--tolerance", help="“左右”的容差")] = None,
    alarm: Annotated[float | None, typer.Option("--alarm", help="触警阈值")] = None,
    base_year: Annotated[int | None, typer.Option("--base-year")] = None,
    reason: Annotated[str, typer.Option("--reason", help="修改理由（必填）")] = "",
    actor: Annotated[str, typer.Option("--actor")] = "system",
    database_url: DatabaseOption = None,
) -> None:
    """设定或修改某区划某指标的目标、容差与触警阈值（记入审计日志）/ set a target."""
    from sqlalchemy import select

    from demonitor.store.db import session_scope
    from demonitor.store.models import Indicator, Region, Target
    from demonitor.store.observations import audit

    if not reason:
        raise fail("须用 --reason 写明修改理由 / give the reason with --reason")
    if comparator is not None and comparator not in ("approx", "ge", "gt", "eq"):
        raise fail("--comparator 应为 approx、ge、gt 或 eq")
    with session_scope(database(database_url)) as session:
        if session.get(Indicator, indicator) is None:
            raise fail(f"指标{indicator}不存在 / unknown indicator")
        if session.get(Region, region) is None:
            raise fail(f"区划{region}不存在 / unknown region")
        row = session.scalars(
            select(Target).where(Target.indicator_code == indicator, Target.region_code == region)
        ).first()
        before = None
        if row is None:
            city = session.scalars(
                select(Target).where(Target.indicator_code == indicator).limit(1)
            ).first()
            if target_value is None and city is None:
                raise fail("新目标须给出 --target / a new target needs --target")
            row = Target(
                indicator_code=indicator,
                region_code=region,
                base_year=city.base_year if city else 2022,
                target_year=city.target_year if city else 2025,
                target=target_value if target_value is not None else (city.target if city else 0),
                comparator=comparator or (city.comparator if city else "ge"),
                tolerance=city.tolerance if city else 0.0,
                wording_zh=city.wording_zh if city else "",
            )
            session.add(row)
        else:
            before = {
                "target": row.target,
                "comparator": row.comparator,
                "tolerance": row.tolerance,
                "alarm": row.alarm_threshold,
            }
        if target_value is not None:
            row.target = target_value
        if comparator is not None:
            row.comparator = comparator
        if tolerance is not None:
            row.tolerance = tolerance
        if alarm is not None:
            row.alarm_threshold = alarm
        if base_year is not None:
            row.base_year = base_year
        session.flush()
        after = {
            "target": row.target,
            "comparator": row.comparator,
            "tolerance": row.tolerance,
            "alarm": row.alarm_threshold,
        }
        audit(
            session,
            actor,
            "revise" if before else "insert",
            "target",
            f"{indicator}/{region}",
            before,
            after,
            reason,
        )
    console.print(f"已设定 / set {indicator} {region}: {after}", highlight=False)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOption = None) -> None:
    """应用数据库迁移 / apply the database migrations."""
    from demonitor.store.db import current_revision, make_engine, upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    console.print(f"revision {current_revision(engine)}", highlight=False)


# --- reference ----------------------------------------------------------------------------


@reference_app.command("show")
def reference_show(
    code: Annotated[str, typer.Argument(help="GB/T 4754 或数字经济分类代码 / GB/T or DE code")],
    edition: Annotated[str | None, typer.Option("--edition")] = None,
) -> None:
    """解释一个代码 / explain a GB/T 4754 or digital-economy code."""
    try:
        de_edition = load_edition(edition)
    except (EditionError, KeyError) as error:
        raise fail(str(error)) from error
    tree = load_industry_tree()
    text = code.strip().upper()
    gbt_code = text[1:] if text[:1].isalpha() and text[1:].isdigit() else text
    shown = False
    if gbt_code in tree:
        _show_industry(gbt_code, de_edition)
        shown = True
    if text in de_edition.classes:
        _show_de_class(text, de_edition)
        shown = True
    if not shown:
        raise fail(
            f"「{code}」既不是GB/T 4754-2017代码也不是{de_edition.name}的代码 / unknown code"
        )


def _show_industry(code: str, edition: object) -> None:
    from demonitor.reference.digital_economy import Edition

    assert isinstance(edition, Edition)
    tree = load_industry_tree()
    industry = tree.by_code[code]
    console.print(f"[bold]GB/T 4754-2017 {code} {industry.name}[/] ({LEVEL_ZH[industry.level]})")
    for depth, ancestor in enumerate(tree.lineage(code)):
        console.print(f"{'  ' * depth}{ancestor.code} {ancestor.name}", highlight=False)
    mapping = edition.industry_mapping(tree)
    classes = tree.classes_under(code)
    if industry.level != "class":
        digital = [c for c in classes if c in mapping and mapping[c].full]
        console.print(
            f"下属小类 {len(classes)} 个，其中{len(digital)}个完整属于数字经济核心产业 / "
            f"{len(classes)} classes below, {len(digital)} wholly digital"
        )
        return
    entry = mapping.get(code)
    console.print(f"[bold]对应数字经济分类 / maps to ({edition.label()}):[/]", highlight=False)
    if entry is None:
        console.print("  不属于数字经济及其核心产业分类 / outside the classification")
        return
    if entry.full:
        de = edition.classes[entry.full]
        console.print(f"  {de.code} {de.name} — 完整归入 / wholly", highlight=False)
    scope_rules = load_scope_rules()
    for candidate in entry.partial:
        de = edition.classes[candidate]
        rule = scope_rules.get(candidate)
        terms = (
            "、".join(rule.include[:6]) + ("…" if rule and len(rule.include) > 6 else "")
            if rule
            else ""
        )
        console.print(
            f"  {de.code} {de.name} — 部分归入（*），须经营范围含：{terms or '（无规则）'} / "
            "partially, when the business scope shows the activity",
            highlight=False,
        )


def _show_de_class(code: str, edition: object) -> None:
    from demonitor.reference.digital_economy import Edition

    assert isinstance(edition, Edition)
    de = edition.classes[code]
    console.print(
        f"[bold]{edition.label()} {code} {de.name}[/] ({de.level}，"
        f"{'核心产业 core' if de.core else '产业数字化 digitalisation (05)'})",
        highlight=False,
    )
    chain = [de]
    while chain[-1].parent:
        chain.append(edition.classes[chain[-1].parent])
    for depth, item in enumerate(reversed(chain)):
        console.print(f"{'  ' * depth}{item.code} {item.name}", highlight=False)
    if de.industry_codes:
        tree = load_industry_tree()
        console.print("[bold]GB/T 4754-2017:[/]")
        for ref in de.industry_codes:
            industry = tree.by_code[ref.code]
            mark = "*（部分 partial）" if ref.partial else ""
            console.print(f"  {ref.code} {industry.name}{mark}", highlight=False)
    children = [c for c in edition.classes.values() if c.parent == code]
    if children:
        console.print(f"[bold]下级 / children ({len(children)}):[/]")
        for child in children:
            console.print(f"  {child.code} {child.name}", highlight=False)
    if de.confidence:
        console.print(f"可信度 / confidence: {de.confidence}", highlight=False)
    if de.remark:
        console.print(f"说明 / remark: {de.remark}", highlight=False)
    rule = load_scope_rules().get(code)
    if rule and any(r.partial for r in de.industry_codes):
        console.print(f"经营范围规则 / scope rule: 含 {'、'.join(rule.include)}", highlight=False)
        if rule.exclude:
            console.print(f"  先剔除 / masked first: {'、'.join(rule.exclude)}", highlight=False)


@reference_app.command("load-de")
def reference_load_de(
    file: Annotated[Path, typer.Argument(help="分类表 CSV / classification table")],
    edition: Annotated[str, typer.Option("--edition", help="新版本名 / new edition name")],
    description: Annotated[str, typer.Option("--description")] = "",
    reconstruction: Annotated[
        bool, typer.Option("--reconstruction", help="标注为非官方重构 / mark as unofficial")
    ] = False,
) -> None:
    """校验并载入另一版数字经济分类表 / validate and load another edition."""
    if not file.is_file():
        raise fail(f"{file}: 文件不存在 / file not found")
    try:
        loaded = register_edition(file, edition, description, reconstruction)
    except EditionError as error:
        raise fail(str(error)) from error
    small = loaded.small_classes()
    console.print(
        f"已载入 / loaded {loaded.name}: {len(small)} 个小类 classes, "
        f"{len(loaded.partial_classes())} 个含部分归属 with partial codes",
        highlight=False,
    )
    without = [c.code for c in loaded.partial_classes() if c.code not in load_scope_rules()]
    if without:
        console.print(
            "[yellow]注意 / note:[/] 这些部分归属小类没有经营范围规则 / "
            f"partial classes without a scope rule: {', '.join(without)}"
        )


@reference_app.command("editions")
def reference_editions() -> None:
    """列出分类版本 / list the classification editions."""
    table = Table(title="数字经济分类版本 / editions")
    table.add_column("name")
    table.add_column("内置 builtin")
    table.add_column("说明 description")
    for entry in list_editions():
        table.add_row(
            str(entry["name"]), "是" if entry["builtin"] else "否", str(entry["description"])
        )
    console.print(table)


@reference_app.command("regions")
def reference_regions(
    regions: Annotated[Path | None, typer.Option("--regions")] = None,
) -> None:
    """列出区划 / list the regions."""
    table_data = load_regions(str(regions) if regions else None)
    table = Table(title=f"区划 / regions ({table_data.source})")
    for column in ("code", "name_zh", "name_en", "level", "administered_with"):
        table.add_column(column)
    for region in table_data:
        table.add_row(
            region.code, region.name_zh, region.name_en, region.level, region.administered_with
        )
    console.print(table)


# --- demo ---------------------------------------------------------------------------------


@demo_app.callback()
def demo(
    ctx: typer.Context,
    database_url: DatabaseOption = None,
    rows: Annotated[int, typer.Option("--rows", min=100)] = 5000,
    seed: Annotated[int, typer.Option("--seed")] = 2025,
) -> None:
    """建立演示数据库（2020–2025Q2，合成数据）/ build the demo database."""
    if ctx.invoked_subcommand is not None:
        return
    from sqlalchemy import func, select

    from demonitor.demo.accounts import add_demo_accounts
    from demonitor.demo.database import build_demo
    from demonitor.store.db import make_engine, session_scope, upgrade
    from demonitor.store.models import Enterprise

    engine = make_engine(database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        if session.scalar(select(func.count()).select_from(Enterprise)):
            raise fail(
                f"{engine.url.render_as_string(hide_password=True)} 已有数据，"
                "演示数据只建在空库中 / the database is not empty; build the demo in a new one"
            )
        summary = build_demo(session, rows=rows, seed=seed)
        accounts = add_demo_accounts(session)
    console.print(
        f"演示数据库已建立（合成数据）/ demo database built: "
        f"{engine.url.render_as_string(hide_password=True)} — {summary.enterprises} 户企业 "
        f"enterprises ({summary.classified} 归入数字经济 classified), {summary.financial_rows} "
        f"财务记录 financial rows, {summary.observations} 观测值 observations",
        highlight=False,
    )
    table = Table(title="演示账号 / demo accounts（每个角色一个 / one per role）")
    for column in ("角色 role", "用户名 username", "密码 password", "范围 scope"):
        table.add_column(column)
    for account in accounts:
        scope = account.region or account.department or ""
        table.add_row(account.role.value, account.username, account.password, scope)
    console.print(table)


@demo_app.command("register")
def demo_register(
    output: Annotated[Path, typer.Option("-o", "--output", help=".csv/.parquet/.xlsx")],
    rows: Annotated[int, typer.Option("--rows", min=1)] = 5000,
    seed: Annotated[int, typer.Option("--seed")] = 2025,
) -> None:
    """生成合成的演示企业名录 / write a synthetic demo register (演示数据)."""
    from demonitor.demo.register import write_demo_register

    try:
        written = write_demo_register(output, rows, seed)
    except ValueError as error:
        raise fail(str(error)) from error
    console.print(
        f"已生成演示数据（合成，非真实企业）/ synthetic demo data: {written:,} rows → {output}",
        highlight=False,
    )


# --- users, API tokens and the web platform -----------------------------------------------

user_app = typer.Typer(help="用户 / users of the web platform", no_args_is_help=True)
token_app = typer.Typer(help="API令牌 / API tokens", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")

ROLE_HELP = "admin | office | statistics | department | district | leader"
SHOWN_ONCE = "只显示这一次，首次登录须修改 / shown once, to be changed at first sign-in"


def cli_actor() -> str:
    """Who acts, for the audit log: the operating-system account running the command."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli:unknown"


@contextmanager
def user_store(database_url: str | None) -> Iterator[UserStoreType]:
    """The users of the database in one transaction; a refused operation exits with its reason."""
    from demonitor.store.db import session_scope
    from demonitor.store.users import UserError, UserStore

    try:
        with session_scope(database(database_url)) as session:
            yield UserStore(session, cli_actor())
    except UserError as error:
        raise fail(str(error)) from error


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    region: Annotated[str | None, typer.Option("--region", help="区划代码（区县用户）")] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="部门名称（部门用户）")
    ] = None,
    indicators: Annotated[
        str | None,
        typer.Option("--indicators", help="负责指标，如DE04,DE05（默认按牵头单位）"),
    ] = None,
    display_name: Annotated[str, typer.Option("--display-name", help="姓名或单位")] = "",
    database_url: DatabaseOption = None,
) -> None:
    """新增用户并生成初始密码 / add a user with a generated password."""
    from demonitor.core.permissions import Role
    from demonitor.store.db import session_scope
    from demonitor.store.users import UserError, UserStore

    try:
        chosen = Role(role)
    except ValueError:
        raise fail(f"未知角色 / unknown role {role}; choose {ROLE_HELP}") from None
    codes = [c.strip().upper() for c in indicators.split(",") if c.strip()] if indicators else None
    try:
        with session_scope(database(database_url)) as session:
            user, password = UserStore(session, cli_actor()).add(
                username,
                chosen,
                display_name=display_name,
                region=region,
                department=department,
                indicators=codes,
            )
            owned = user.indicators
    except UserError as error:
        raise fail(str(error)) from error
    console.print(f"已新增用户 / user added: {username} ({role})", highlight=False)
    if owned:
        console.print(f"负责指标 / owned indicators: {owned}", highlight=False)
    console.print(f"初始密码 / password ({SHOWN_ONCE}):", highlight=False)
    console.print(password, markup=False, highlight=False)


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    reason: Annotated[str, typer.Option("--reason", help="停用理由（必填）/ why")],
    database_url: DatabaseOption = None,
) -> None:
    """停用用户，立即结束其会话 / disable a user, ending their sessions."""

    if not reason.strip():
        raise fail("须用 --reason 写明停用理由 / give the reason with --reason")
    with user_store(database_url) as store:
        store.disable(username, reason.strip())
    console.print(f"已停用 / disabled: {username}", highlight=False)


@user_app.command("enable")
def user_enable(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    reason: Annotated[str, typer.Option("--reason", help="理由 / why")] = "",
    database_url: DatabaseOption = None,
) -> None:
    """重新启用用户 / enable a disabled user again."""

    with user_store(database_url) as store:
        store.enable(username, reason.strip())
    console.print(f"已启用 / enabled: {username}", highlight=False)


@user_app.command("reset")
def user_reset(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    reason: Annotated[str, typer.Option("--reason", help="理由 / why")] = "",
    database_url: DatabaseOption = None,
) -> None:
    """重置密码并生成新的初始密码 / reset a password to a new generated one."""

    with user_store(database_url) as store:
        _user, password = store.reset(username, reason.strip())
    console.print(
        f"已重置 / reset: {username}; 新密码 / new password ({SHOWN_ONCE}):", highlight=False
    )
    console.print(password, markup=False, highlight=False)


@user_app.command("list")
def user_list(database_url: DatabaseOption = None) -> None:
    """列出用户 / list the users."""
    from demonitor.store.db import session_scope
    from demonitor.store.users import UserStore

    table = Table(title="用户 / users")
    for column in (
        "用户名 username",
        "姓名 name",
        "角色 role",
        "区划 region",
        "部门 department",
        "负责指标 indicators",
        "状态 status",
        "须改密码 must change",
        "最近登录 last sign-in (UTC)",
    ):
        table.add_column(column)
    with session_scope(database(database_url)) as session:
        for user in UserStore(session, cli_actor()).all():
            table.add_row(
                user.username,
                user.display_name,
                user.role,
                user.region_code or "—",
                user.department or "—",
                user.indicators or "—",
                "已停用 disabled" if user.disabled else "正常 active",
                "是 yes" if user.must_change_password else "否 no",
                user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "—",
            )
    console.print(table)


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="令牌所属用户 / owner")],
    name: Annotated[str, typer.Option("--name", help="令牌名称，如所用的程序 / what it is for")],
    database_url: DatabaseOption = None,
) -> None:
    """为用户创建API令牌（只显示一次）/ create an API token for a user (shown once)."""
    from demonitor.store.db import session_scope
    from demonitor.store.users import UserError, UserStore

    try:
        with session_scope(database(database_url)) as session:
            store = UserStore(session, cli_actor())
            owner = store.get(username)
            if owner is None:
                raise UserError(f"用户{username}不存在", f"no user {username}")
            token, secret = store.create_token(owner, name)
            token_id = token.id
    except UserError as error:
        raise fail(str(error)) from error
    console.print(
        f"已创建令牌 / token created: id {token_id} for {username}; "
        "只显示这一次，请立即保存 / shown once, save it now:",
        highlight=False,
    )
    console.print(secret, markup=False, highlight=False)


@token_app.command("list")
def token_list(
    username: Annotated[str | None, typer.Argument(help="只列此用户的 / only this user's")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """列出API令牌（不含密文）/ list API tokens (never their secrets)."""
    from demonitor.store.db import session_scope
    from demonitor.store.models import User
    from demonitor.store.users import UserStore

    table = Table(title="API令牌 / API tokens")
    for column in ("id", "用户 user", "名称 name", "前缀 prefix", "状态 status"):
        table.add_column(column)
    with session_scope(database(database_url)) as session:
        store = UserStore(session, cli_actor())
        owner = store.get(username) if username else None
        if username and owner is None:
            raise fail(f"用户{username}不存在 / no user {username}")
        for token in store.tokens(owner):
            holder = session.get(User, token.user_id)
            table.add_row(
                str(token.id),
                holder.username if holder else "?",
                token.name,
                f"{token.prefix}…",
                "已撤销 revoked" if token.revoked_at else "有效 active",
            )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="令牌id（见 token list）/ token id")],
    database_url: DatabaseOption = None,
) -> None:
    """撤销API令牌 / revoke an API token."""

    with user_store(database_url) as store:
        store.revoke_token(token_id)
    console.print(f"已撤销 / revoked: token {token_id}", highlight=False)


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: assume it is reached over the network


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址 / address")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    database_url: DatabaseOption = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="进程数 / processes")] = 1,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="会话Cookie只经HTTPS传送；默认：非本机地址时开启 / HTTPS-only session cookies; "
            "default: on unless serving a loopback address",
        ),
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="逐请求日志 / log every request")
    ] = True,
) -> None:
    """运行网页平台 / run the web platform (pages and /api/v1)."""
    import uvicorn

    from demonitor import config
    from demonitor.store.db import database_url as resolve_url
    from demonitor.web.settings import secret_key

    url = resolve_url(database_url)
    database(url).dispose()  # refuse here, clearly, rather than in every worker
    secret_key()  # made once here: workers starting together would race to create it
    loopback = is_loopback(host)
    if secure_cookies is None:
        secure_cookies = not loopback and not config.insecure_cookies()
    if not secure_cookies and not loopback:
        errors.print(
            "[yellow]警告 / warning:[/] 在非本机地址上以普通HTTP发送会话Cookie，"
            "密码与会话可能被截获；请在HTTPS反向代理之后运行并使用 --secure-cookies / "
            "session cookies travel without HTTPS beyond this machine: serve behind an HTTPS "
            "proxy with --secure-cookies",
            highlight=False,
        )
    # Workers are separate processes: they read their settings from the environment.
    config.hand_to_workers(url, secure_cookies)
    shown_host = f"[{host}]" if ":" in host else host
    console.print(
        f"网页平台 / web platform: http://{shown_host}:{port}/ "
        f"({'HTTPS-only cookies' if secure_cookies else 'cookies over HTTP'}, "
        f"{workers} worker{'s' if workers > 1 else ''})",
        highlight=False,
    )
    if secure_cookies:
        console.print(
            "会话Cookie只经HTTPS传送：请经HTTPS反向代理访问 / "
            "cookies are HTTPS-only: reach it through an HTTPS reverse proxy",
            highlight=False,
        )
    print_demo_accounts(url)
    uvicorn.run(
        "demonitor.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        # A worker recomputing the dashboard after a change is busy for seconds, not hung.
        timeout_worker_healthcheck=30,
    )


def print_demo_accounts(url: str) -> None:
    """On a demo database, the demo accounts that still have their published passwords."""
    from demonitor.demo.accounts import DEMO_ACCOUNTS
    from demonitor.store.db import session_scope
    from demonitor.store.observations import has_demo_data
    from demonitor.store.users import UserStore

    engine = database(url)
    with session_scope(engine) as session:
        if not has_demo_data(session):
            return
        store = UserStore(session, "serve")
        usable = [a for a in DEMO_ACCOUNTS if store.still_has_password(a.username, a.password)]
    engine.dispose()
    if not usable:
        return
    table = Table(title="演示账号 / demo accounts（合成数据 / synthetic data）")
    for column in ("角色 role", "用户名 username", "密码 password", "范围 scope"):
        table.add_column(column)
    for account in usable:
        table.add_row(
            account.role.value,
            account.username,
            account.password,
            account.region or account.department or "",
        )
    console.print(table)
