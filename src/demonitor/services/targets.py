"""Targets, alarm thresholds and the terms of an indicator: set or revised with a reason, every
change in the audit log with the values before and after.

A target belongs to an indicator in a region (目标值, comparator, the tolerance of “左右”, base
year, 触警阈值). The direction (higher or lower is better) and the access level (公开/内部/涉密)
belong to the indicator, in every region: they are audited as the indicator's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.errors import BilingualError
from demonitor.core.permissions import Action, Kind, Level, Principal, Resource, decide
from demonitor.reference.city import COMPARATORS as CATALOGUE_COMPARATORS
from demonitor.reference.city import load_city
from demonitor.store.catalogue import (
    all_indicators,
    any_target,
    find_indicator,
    find_region,
    find_target,
)
from demonitor.store.models import Indicator, Target
from demonitor.store.observations import audit

COMPARATORS = CATALOGUE_COMPARATORS
DIRECTIONS: Mapping[str, int] = {"higher": 1, "lower": -1}
DIRECTION_NAMES: Mapping[int, str] = {1: "higher", -1: "lower"}
# Typed in either language: 公开 or public, and so on.
LEVEL_NAMES: Mapping[str, Level] = {
    **{level.value: level for level in Level},
    **{level.name.lower(): level for level in Level},
}
EARLIEST_BASE_YEAR = 2000


class TargetError(BilingualError):
    """Refused; the reason in Chinese and English, and the field it is about."""

    def __init__(self, zh: str, en: str, field: str = "") -> None:
        super().__init__(zh, en)
        self.field = field


@dataclass(frozen=True)
class TargetChange:
    """What to set; None leaves a field as it is (or, for a new target, as the city's)."""

    indicator: str
    region: str
    reason: str
    target: float | None = None
    comparator: str | None = None
    tolerance: float | None = None
    alarm: float | None = None
    base_year: int | None = None
    direction: str | None = None  # higher | lower
    level: str | None = None  # 公开 | 内部 | 涉密 (or public | internal | secret)

    @property
    def touches_target(self) -> bool:
        fields = (self.target, self.comparator, self.tolerance, self.alarm, self.base_year)
        return any(value is not None for value in fields)

    @property
    def touches_indicator(self) -> bool:
        return self.direction is not None or self.level is not None


@dataclass(frozen=True)
class Revision:
    """One audited change: of ``entity`` (target or indicator) ``key``, from before to after."""

    entity: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any]

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class TargetResult:
    revisions: list[Revision] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.revisions)


@dataclass(frozen=True)
class IndicatorLevel:
    """An indicator as the level page lists it."""

    code: str
    name_zh: str
    name_en: str
    level: str
    direction: str


def target_snapshot(row: Target) -> dict[str, Any]:
    """Every field of a target that can be changed."""
    return {
        "target": row.target,
        "comparator": row.comparator,
        "tolerance": row.tolerance,
        "alarm": row.alarm_threshold,
        "base_year": row.base_year,
    }


def indicator_snapshot(row: Indicator) -> dict[str, Any]:
    """Every term of an indicator that can be changed here."""
    return {"direction": row.direction, "level": row.level}


def parse_level(text: str) -> Level:
    level = LEVEL_NAMES.get(text.strip().lower())
    if level is None:
        raise TargetError(
            f"密级应为公开、内部或涉密：{text}",
            f"the level is 公开 (public), 内部 (internal) or 涉密 (secret): {text}",
            "level",
        )
    return level


def parse_direction(text: str) -> int:
    direction = DIRECTIONS.get(text.strip().lower())
    if direction is None:
        raise TargetError(
            f"方向应为higher（越高越好）或lower（越低越好）：{text}",
            f"the direction is higher or lower (which is better): {text}",
            "direction",
        )
    return direction


def _finite(value: float | None, name: str, zh: str) -> None:
    if value is not None and not math.isfinite(value):
        raise TargetError(f"{zh}应为有限的数", f"the {name} must be a finite number", name)


def _validate(change: TargetChange, actor: str) -> None:
    if not change.reason.strip():
        raise TargetError("须写明修改理由", "give the reason for the change", "reason")
    if not actor.strip():
        raise TargetError("须写明操作人", "say who makes the change", "actor")
    if not (change.touches_target or change.touches_indicator):
        raise TargetError("没有要修改的内容", "nothing to change: give a value to set", "target")
    if change.comparator is not None and change.comparator not in COMPARATORS:
        raise TargetError(
            "比较方式应为approx、ge、gt或eq",
            "the comparator is approx, ge, gt or eq",
            "comparator",
        )
    _finite(change.target, "target", "目标值")
    _finite(change.alarm, "alarm", "触警阈值")
    _finite(change.tolerance, "tolerance", "容差")
    if change.tolerance is not None and change.tolerance < 0:
        raise TargetError("容差不能为负", "the tolerance cannot be negative", "tolerance")
    if change.direction is not None:
        parse_direction(change.direction)
    if change.level is not None:
        parse_level(change.level)


def set_target(
    session: Session, change: TargetChange, actor: str, principal: Principal | None = None
) -> TargetResult:
    """Set or revise the target of an indicator in a region, and the indicator's direction and
    level; raises ``TargetError`` on bad input. Each changed row gets one audit entry with every
    changeable field before and after; a row left as it was gets none.

    ``principal``: who asks, on the web; only those who approve aggregates (the office and
    admin) change targets and levels. None on the command line, run by the operator.
    """
    _validate(change, actor)
    if principal is not None:
        decision = decide(principal, Action.APPROVE, Resource(Kind.AGGREGATE))
        if not decision:
            raise TargetError(decision.reason_zh, decision.reason_en, "principal")
    indicator = find_indicator(session, change.indicator)
    if indicator is None:
        raise TargetError(
            f"指标{change.indicator}不存在", f"unknown indicator {change.indicator}", "indicator"
        )
    _check_direction(session, indicator, change)  # before anything is changed
    revisions = []
    if change.touches_target:
        revisions.append(_revise_target(session, change))
    if change.touches_indicator:
        revisions.append(_revise_indicator(indicator, change))
    session.flush()
    for revision in revisions:
        if revision.changed:
            action = "revise" if revision.before is not None else "insert"
            audit(
                session,
                actor.strip(),
                action,
                revision.entity,
                revision.key,
                revision.before,
                revision.after,
                change.reason.strip(),
            )
    return TargetResult(revisions)


def _revise_target(session: Session, change: TargetChange) -> Revision:
    if find_region(session, change.region) is None:
        raise TargetError(f"区划{change.region}不存在", f"unknown region {change.region}", "region")
    row = find_target(session, change.indicator, change.region)
    before = None
    if row is None:
        terms = any_target(session, change.indicator)
        if change.target is None and terms is None:
            raise TargetError("新目标须给出目标值", "a new target needs its target value", "target")
        row = Target(
            indicator_code=change.indicator,
            region_code=change.region,
            base_year=terms.base_year if terms else load_city().base_year,
            target_year=terms.target_year if terms else load_city().target_year,
            target=change.target if change.target is not None else (terms.target if terms else 0),
            comparator=change.comparator or (terms.comparator if terms else "ge"),
            tolerance=terms.tolerance if terms else 0.0,
            wording_zh=terms.wording_zh if terms else "",
            alarm_threshold=None,
        )
    else:
        before = target_snapshot(row)
    base_year = change.base_year if change.base_year is not None else row.base_year
    if not EARLIEST_BASE_YEAR <= base_year < row.target_year:
        raise TargetError(
            f"基期应在{EARLIEST_BASE_YEAR}年至目标年{row.target_year}年之前",
            f"the base year is from {EARLIEST_BASE_YEAR} and before the target year "
            f"{row.target_year}",
            "base_year",
        )
    if change.target is not None:
        row.target = change.target
    if change.comparator is not None:
        row.comparator = change.comparator
    if change.tolerance is not None:
        row.tolerance = change.tolerance
    if change.alarm is not None:
        row.alarm_threshold = change.alarm
    row.base_year = base_year
    if before is None:
        session.add(row)
    return Revision("target", f"{change.indicator}/{change.region}", before, target_snapshot(row))


def _check_direction(session: Session, indicator: Indicator, change: TargetChange) -> None:
    """After the change, every comparator of the indicator must point the way its direction
    does (达到/超过 for higher is better, 不超过/低于 for lower)."""
    direction = parse_direction(change.direction) if change.direction else indicator.direction
    lower = direction < 0
    wrong = ("ge", "gt") if lower else ("le", "lt")
    comparators = {
        target.region_code: target.comparator
        for target in session.scalars(select(Target).where(Target.indicator_code == indicator.code))
    }
    if change.comparator is not None:
        comparators[change.region] = change.comparator
    for comparator in comparators.values():
        if comparator in wrong:
            raise TargetError(
                f"{indicator.code}越{'低' if lower else '高'}越好，"
                f"比较方式不能为{comparator}（应为{'le或lt' if lower else 'ge或gt'}）",
                f"{indicator.code} is {'lower' if lower else 'higher'} is better: the comparator "
                f"cannot be {comparator} (use {'le or lt' if lower else 'ge or gt'})",
                "comparator",
            )


def _revise_indicator(indicator: Indicator, change: TargetChange) -> Revision:
    before = indicator_snapshot(indicator)
    if change.direction is not None:
        indicator.direction = parse_direction(change.direction)
    if change.level is not None:
        indicator.level = parse_level(change.level).value
    return Revision("indicator", indicator.code, before, indicator_snapshot(indicator))


def set_level(
    session: Session, code: str, level: str, reason: str, actor: str, principal: Principal | None
) -> TargetResult:
    """Change who may read an indicator: its level 公开, 内部 or 涉密."""
    if not level.strip():
        raise TargetError("须选择密级", "choose the level", "level")
    return set_target(
        session, TargetChange(code, region="", reason=reason, level=level), actor, principal
    )


def indicator_levels(session: Session) -> list[IndicatorLevel]:
    """Every indicator with its level and direction, by code."""
    return [
        IndicatorLevel(
            i.code, i.name_zh, i.name_en, i.level, DIRECTION_NAMES.get(i.direction, "higher")
        )
        for i in all_indicators(session)
    ]
