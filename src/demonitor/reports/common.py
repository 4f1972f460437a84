"""Small reads every report needs: the regions, the city, the period the data reach, demo flag."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.periods import Period
from demonitor.store.models import Observation, Region
from demonitor.store.observations import has_demo_data

__all__ = [
    "RegionInfo",
    "city_code",
    "has_demo_data",
    "latest_period",
    "latest_year",
    "period_label_en",
    "period_label_zh",
    "regions",
]


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
    """The newest full year of the data: the as-of year when the data reach its end (a year, or
    its Q4 or December year-to-date), else the year before."""
    as_of = latest_period(session)
    return as_of.year if as_of.year_fraction == 1 else as_of.year - 1


def period_label_zh(period: Period) -> str:
    """How a period is written in a Chinese bulletin: 2024年, 2025年1—6月 (a year-to-date)."""
    if period.frequency == "A" or period.year_fraction == 1:
        return f"{period.year}年"
    months = round(period.year_fraction * 12)
    return f"{period.year}年1—{months}月" if months > 1 else f"{period.year}年1月"


def period_label_en(period: Period) -> str:
    """2024, January–June 2025."""
    if period.frequency == "A" or period.year_fraction == 1:
        return str(period.year)
    months = round(period.year_fraction * 12)
    names = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    return f"January–{names[months - 1]} {period.year}" if months > 1 else f"January {period.year}"
