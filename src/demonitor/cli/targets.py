"""``demonitor target set``: targets and alarm thresholds."""

from __future__ import annotations

from typing import Annotated

import typer

from demonitor.cli.common import DatabaseOption, console, database, fail

target_app = typer.Typer(help="目标与触警阈值 / targets and alarm thresholds", no_args_is_help=True)


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
