"""The reference tables: seeding a database from the city profile (its regions, indicator
catalogue and the city's targets; ``reference/city.py``, selected by ``DEMONITOR_CITY``), and
reading them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.reference.city import CityProfile, IndicatorSpec, load_city
from demonitor.store.models import Indicator, Region, Target
from demonitor.store.observations import audit

# Columns the catalogue defines and every seeding brings in line with the profile (they say how
# the platform computes an indicator). The others — name, owner, level, frequency, direction and
# the targets — are set when the indicator is first seeded and are then the office's to change.
CATALOGUE_COLUMNS = ("missing_base", "natural_limit", "collected_by", "measure", "source", "note")


def _catalogue_values(spec: IndicatorSpec) -> dict[str, object]:
    return {
        "missing_base": spec.missing_base,
        "natural_limit": spec.natural_limit,
        "collected_by": spec.collected_by,
        "measure": spec.measure,
        "source": spec.source,
        "note": spec.note,
    }


def seed_reference(session: Session, actor: str, city: CityProfile | None = None) -> int:
    """Add the regions, indicators and city targets that are missing, and bring the catalogue
    columns of existing indicators in line with the profile; returns rows added or changed."""
    city = city or load_city()
    changed = 0
    for region in city.regions:
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
            changed += 1
    session.flush()
    for spec in city.indicators:
        existing = session.get(Indicator, spec.code)
        if existing is not None:
            changed += _align(session, actor, existing, spec)
            continue
        session.add(
            Indicator(
                code=spec.code,
                section=spec.section,
                name_zh=spec.name_zh,
                name_en=spec.name_en,
                unit=spec.unit,
                kind=spec.kind,
                owner_zh=spec.owner_zh,
                frequency=spec.frequency,
                direction=spec.sign,
                level=spec.level,
                **_catalogue_values(spec),
            )
        )
        session.flush()
        session.add(
            Target(
                indicator_code=spec.code,
                region_code=city.code,
                base_year=spec.base_year,
                target_year=spec.target_year,
                target=spec.target,
                comparator=spec.comparator,
                tolerance=spec.tolerance,
                aspirational=spec.aspirational,
                wording_zh=spec.wording_zh,
            )
        )
        audit(
            session,
            actor,
            "insert",
            "indicator",
            spec.code,
            None,
            {"target": spec.target, "comparator": spec.comparator, "base_year": spec.base_year},
        )
        changed += 2
    return changed


def _align(session: Session, actor: str, indicator: Indicator, spec: IndicatorSpec) -> int:
    """Set the catalogue columns that differ from the profile (after 0006, or a profile edit)."""
    wanted = _catalogue_values(spec)
    before = {
        c: getattr(indicator, c) for c in CATALOGUE_COLUMNS if getattr(indicator, c) != wanted[c]
    }
    if not before:
        return 0
    for column in before:
        setattr(indicator, column, wanted[column])
    audit(
        session,
        actor,
        "update",
        "indicator",
        spec.code,
        before,
        {c: wanted[c] for c in before},
    )
    return 1


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
