"""What every command of the CLI shares: the root Typer app, the consoles, ``fail``, the
``--database-url`` option and the database it names, machine-readable output and the number
formats officials read.

Exit codes: 0 success, 2 unusable input (or a database still busy with another writer after
the busy timeout: "数据库忙，请稍后重试"), 3 some rows rejected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from typer.core import TyperGroup

from demonitor import __version__


class _Commands(TyperGroup):
    """The root command group: a database another writer keeps busy beyond the busy timeout
    ends any command with exit 2 and the reason, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (OperationalError, PoolTimeout) as error:
            from demonitor.store.db import BUSY_EN, BUSY_ZH, database_busy

            if not database_busy(error):
                raise
            raise fail(f"{BUSY_ZH} / {BUSY_EN}") from error


app = typer.Typer(
    cls=_Commands,
    help="数字经济统计监测平台 / digital-economy monitoring platform",
    no_args_is_help=True,
)

# Wide enough for the account tables when the output is a file or a CI log, not a terminal.
console = Console(soft_wrap=True, width=None if Console().is_terminal else 160)
errors = Console(stderr=True, soft_wrap=True)

EXIT_UNUSABLE_INPUT = 2
EXIT_ROWS_REJECTED = 3
DEMO_BANNER = "⚠ 本库含演示数据（合成，非真实统计）/ this database holds synthetic demo data"

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="默认取 DEMONITOR_DATABASE_URL 或 sqlite:///demonitor.db"),
]


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


def database(url: str | None) -> Engine:
    """The database for a command that reads or writes data; refuses an outdated schema."""
    from demonitor.store.db import DatabaseNotReady, ready_engine

    try:
        return ready_engine(url)
    except DatabaseNotReady as error:
        raise fail(str(error)) from error


def emit(output_format: str, rows: Sequence[Mapping[str, object]], document: object) -> None:
    """Machine-readable output: CSV of the rows (text that begins like a formula neutralised),
    or the document as JSON."""
    import json
    import sys

    from demonitor.engine.safe_tables import dict_writer

    if output_format == "json":
        print(json.dumps(document, ensure_ascii=False, indent=2))
    elif rows:
        writer = dict_writer(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def cli_actor() -> str:
    """Who acts, for the audit log: the operating-system account running the command."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli:unknown"
