"""``demonitor target set``: targets, alarm thresholds, and an indicator's direction and level."""

from __future__ import annotations

from typing import Annotated

import typer

from demonitor.cli.common import DatabaseOption, console, database, fail

target_app = typer.Typer(help="目标与触警阈值 / targets and alarm thresholds", no_args_is_help=True)

# The option that gave the refused value, named in the error message.
OPTIONS = {
    "target": "--target",
    "comparator": "--comparator",
    "tolerance": "--tolerance",
    "alarm": "--alarm",
    "base_year": "--base-year",
    "direction": "--direction",
    "level": "--level",
    "reason": "--reason",
    "actor": "--actor",
    "region": "--region",
}


@target_app.command("set")
def target_set(
    indicator: Annotated[str, typer.Argument(help="指标代码，如DE21")],
    region: Annotated[str, typer.Option("--region", help="区划代码")] = "321200",
    target_value: Annotated[float | None, typer.Option("--target", help="目标值")] = None,
    comparator: Annotated[
        str | None, typer.Option("--comparator", help="approx|ge|gt|le|lt|eq")
    ] = None,
    tolerance: Annotated[float | None, typer.Option("--tolerance", help="“左右”的容差")] = None,
    alarm: Annotated[float | None, typer.Option("--alarm", help="触警阈值")] = None,
    base_year: Annotated[int | None, typer.Option("--base-year")] = None,
    direction: Annotated[
        str | None,
        typer.Option("--direction", help="higher|lower：越高或越低越好（指标，各区划通用）"),
    ] = None,
    level: Annotated[
        str | None,
        typer.Option("--level", help="公开|内部|涉密：谁可查看（指标，各区划通用）"),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="修改理由（必填）")] = "",
    actor: Annotated[str, typer.Option("--actor")] = "system",
    database_url: DatabaseOption = None,
) -> None:
    """设定或修改某区划某指标的目标、容差与触警阈值（记入审计日志）/ set a target."""
    from demonitor.services.targets import TargetChange, TargetError, set_target
    from demonitor.store.db import session_scope

    change = TargetChange(
        indicator=indicator,
        region=region,
        reason=reason,
        target=target_value,
        comparator=comparator,
        tolerance=tolerance,
        alarm=alarm,
        base_year=base_year,
        direction=direction,
        level=level,
    )
    try:
        with session_scope(database(database_url)) as session:
            result = set_target(session, change, actor)
    except TargetError as error:
        option = OPTIONS.get(error.field)
        raise fail(f"{error}{f' ({option})' if option else ''}") from error
    for revision in result.revisions:
        what = "目标 target" if revision.entity == "target" else "指标 indicator"
        if not revision.changed:
            console.print(f"未变 / unchanged {what} {revision.key}", highlight=False)
        elif revision.entity == "target":
            console.print(f"已设定 / set {indicator} {region}: {revision.after}", highlight=False)
        else:
            console.print(
                f"已设定 / set {what} {revision.key}: {revision.before} → {revision.after}",
                highlight=False,
            )
