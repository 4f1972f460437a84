"""``demonitor demo``: the demo database, and a synthetic enterprise register."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from demonitor.cli.common import DatabaseOption, console, fail

demo_app = typer.Typer(
    help="演示数据：不带子命令时建立完整的演示数据库 / demo data; alone, builds the demo database",
    invoke_without_command=True,
)


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
    from demonitor.demo.accounts import add_demo_accounts
    from demonitor.demo.database import build_demo, is_empty
    from demonitor.store.db import make_engine, session_scope, upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        if not is_empty(session):
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
