"""The database and data collection: ``init``, ``db upgrade``, ``template`` and ``import``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from demonitor.cli.common import (
    EXIT_UNUSABLE_INPUT,
    DatabaseOption,
    app,
    console,
    database,
    errors,
    fail,
)
from demonitor.ingest.specs import IMPORT_KINDS

db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)


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
        typer.Argument(help=" | ".join(IMPORT_KINDS)),
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


@app.command("import")
def import_data(
    kind: Annotated[str, typer.Argument(help=" | ".join(IMPORT_KINDS))],
    file: Annotated[Path, typer.Argument(help="填好的模板 .xlsx/.csv（名录另可 .parquet）")],
    actor: Annotated[str, typer.Option("--actor", help="操作人 / who")] = "system",
    edition: Annotated[str | None, typer.Option("--edition", help="名录识别所用分类版本")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """校验并导入：全部成功或全部不导入，修改的数值成为新版本 / import all rows or none."""
    from demonitor.core.errors import BilingualError
    from demonitor.ingest.importer import write_errors
    from demonitor.services.imports import import_data as run_import

    if kind not in IMPORT_KINDS:
        raise fail(f"未知类型 / unknown kind {kind}; choose {', '.join(IMPORT_KINDS)}")
    try:
        result = run_import(database(database_url), kind, file, actor, edition)
    except BilingualError as problem:
        raise fail(str(problem)) from problem
    if result.errors:  # the transaction was rolled back: nothing is imported
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
    for warning in result.warnings:  # accepted, but a person should look at them
        where = f"{warning.file} 第{warning.row}行 row {warning.row} [{warning.column}]"
        errors.print(
            f"[yellow]注意 / note:[/] {escape(where)} {escape(warning.reason_zh)} / "
            f"{escape(warning.reason_en)}",
            highlight=False,
        )
    console.print(
        f"已导入 / imported {file.name}: {result.rows} 行 rows — 新增 inserted {result.inserted}, "
        f"修订 revised {result.revised}, 未变 unchanged {result.unchanged} "
        f"(batch {result.batch_id})",
        highlight=False,
    )


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOption = None) -> None:
    """应用数据库迁移 / apply the database migrations."""
    from demonitor.store.db import current_revision, make_engine, upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    console.print(f"revision {current_revision(engine)}", highlight=False)
