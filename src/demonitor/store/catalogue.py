"""The reference tables: seeding a new database with the regions, indicators and targets of the
policy, and reading them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.reference.policy import load_targets
from demonitor.reference.regions import RegionTable, load_regions
from demonitor.store.models import Indicator, Region, Target
from demonitor.store.observations import audit

DEFAULT_TOLERANCE = {"approx": 0.3}  # "左右": ±0.3 percentage points unless configured


def seed_reference(session: Session, actor: str, regions: RegionTable | None = None) -> int:
    """Add the regions, indicators and city targets that are missing; returns rows added."""
    regions = regions or load_regions()
    added = 0
    for region in regions:
        if session.get(Region, region.code) is None:
            session.add(
                Region(
                    code=region.code,
                    name_zh=region.name_zh,
                    name_en=region.name_en,
                    level=region.level,
                    parent=region.parent or None,
                    administered_with=region.administered_with or None,
                )
            )
            audit(session, actor, "insert", "region", region.code, None, {"name": region.name_zh})
            added += 1
    session.flush()
    city = regions.city().code
    for target in load_targets():
        if session.get(Indicator, target.code) is None:
            session.add(
                Indicator(
                    code=target.code,
                    section=target.section,
                    name_zh=target.name_zh,
                    name_en=target.name_en,
                    unit=target.unit,
                    kind=target.kind,
                    owner_zh=target.suggested_owner_zh,
                    frequency="A",
                    direction=1,
                    level="公开" if target.code == "DE01" else "内部",
                )
            )
            session.flush()
            session.add(
                Target(
                    indicator_code=target.code,
                    region_code=city,
                    base_year=2022,
                    target_year=target.target_year,
                    target=target.target,
                    comparator=target.comparator,
                    tolerance=DEFAULT_TOLERANCE.get(target.comparator, 0.0),
                    aspirational="力争" in target.wording_zh,
                    wording_zh=target.wording_zh,
                )
            )
            audit(
                session,
                actor,
                "insert",
                "indicator",
                target.code,
                None,
                {"target": target.target, "comparator": target.comparator},
            )
            added += 2
    return added


# Queries -----------------------------------------------------------------------------------


def all_regions(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).order_by(Region.code)))


def find_region(session: Session, code: str) -> Region | None:
    return session.get(Region, code)


def all_indicators(session: Session) -> list[Indicator]:
    return list(session.scalars(select(Indicator).order_by(Indicator.code)))


def find_indicator(session: Session, code: str) -> Indicator | None:
    return session.get(Indicator, code)


def find_target(session: Session, indicator: str, region: str) -> Target | None:
    """The target of an indicator for a region (the first, should there be several years)."""
    return session.scalars(
        select(Target)
        .where(Target.indicator_code == indicator, Target.region_code == region)
        .order_by(Target.target_year, Target.id)
    ).first()


def any_target(session: Session, indicator: str) -> Target | None:
    """Some target of the indicator, whose terms a new region's target starts from."""
    return session.scalars(
        select(Target).where(Target.indicator_code == indicator).order_by(Target.id).limit(1)
    ).first()
