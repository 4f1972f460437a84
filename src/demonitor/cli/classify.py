"""``demonitor classify``: identify the digital-economy units of an enterprise register."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from demonitor.cli.common import EXIT_ROWS_REJECTED, app, console, errors, fail
from demonitor.engine.duckdb_backend import ClassificationSummary, classify_file
from demonitor.engine.rules import load_classification_rules
from demonitor.engine.sources import RegisterError, load_overrides
from demonitor.reference.digital_economy import CATEGORY_NAMES_EN, EditionError, load_edition
from demonitor.reference.regions import load_regions
from demonitor.reference.scope_rules import RULES_VERSION

STATUS_LABELS = {
    "classified": "已归类 classified",
    "not_digital": "非数字经济 not digital",
    "candidate": "待复核 candidate",
    "rejected": "已拒收 rejected",
}


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
    for given, role_zh, role_en in ((register, "输入的名录", "the input register"),) + (
        ((overrides, "人工认定文件", "the overrides file"),) if overrides else ()
    ):
        if same_file(given, output):
            raise fail(
                f"输出文件{output}就是{role_zh}，会被覆盖；请另选输出路径 / the output {output} is "
                f"{role_en} and would be overwritten: choose another output path"
            )
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


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (after resolving links, ``..`` and hard links)."""
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


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
