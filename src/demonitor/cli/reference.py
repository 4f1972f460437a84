"""``demonitor reference …``: explain codes, load editions, list editions and regions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from demonitor.cli.common import console, fail
from demonitor.reference.digital_economy import (
    EditionError,
    list_editions,
    load_edition,
    register_edition,
)
from demonitor.reference.gbt4754 import LEVEL_ZH, load_industry_tree
from demonitor.reference.regions import load_regions
from demonitor.reference.scope_rules import load_scope_rules

reference_app = typer.Typer(help="参考标准 / reference standards", no_args_is_help=True)


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
