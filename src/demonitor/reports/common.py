"""Small reads every report needs: the regions, the city, the period the data reach, demo flag."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.periods import Period
from demonitor.store.models import Observation, Region
from demonitor.store.observations import has_demo_data

__all__ = ["RegionInfo", "city_code", "has_demo_data", "latest_period", "latest_year", "regions"]


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name_zh: str
    name_en: str
    level: str  # city | district | county_city | zone


def regions(session: Session) -> list[RegionInfo]:
    return [
        RegionInfo(code, name_zh, name_en, level)
        for code, name_zh, name_en, level in session.execute(
            select(Region.code, Region.name_zh, Region.name_en, Region.level).order_by(Region.code)
        )
    ]


def city_code(session: Session) -> str:
    return session.scalars(select(Region.code).where(Region.level == "city")).one()


def latest_period(session: Session) -> Period:
    """The newest period with city GDP: what the dashboard is as of."""
    city = city_code(session)
    periods = [
        Period.parse(p)
        for p in session.scalars(
            select(Observation.period)
            .where(Observation.series == "GDP", Observation.region_code == city)
            .distinct()
        )
    ]
    if not periods:
        return Period(dt.date.today().year - 1)
    return max(periods, key=lambda p: (p.end_time, p.frequency == "A"))


def latest_year(session: Session) -> int:
    """The newest full year of the data."""
    as_of = latest_period(session)
    return as_of.year if as_of.frequency == "A" else as_of.year - 1
