"""Observations with vintages, and the audit log.

A value is never overwritten. Recording a different value for the same series, region, period
and cumulative flag adds the next vintage with who, when and why; recording the same value again
writes nothing (re-imports are idempotent). ``latest`` returns the newest vintage, or the newest
one recorded by ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from demonitor.core.periods import Period as PeriodCode
from demonitor.store.db import insert_unless_present
from demonitor.store.models import AuditEntry, Observation, Period


@dataclass(frozen=True)
class SeriesKey:
    series: str
    region_code: str
    period: str
    cumulative: bool = False

    def __str__(self) -> str:
        flag = " 累计" if self.cumulative else ""
        return f"{self.series}/{self.region_code}/{self.period}{flag}"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; every time here is stored as UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=at or utcnow(),
            actor=actor,
            action=action,
            entity=entity,
            entity_key=key,
            before=before,
            after=after,
            reason=reason,
        )
    )


def ensure_period(session: Session, code: str) -> str:
    """The canonical period code, adding it to ``periods`` when new. Two writers adding the same
    new period at once both succeed: the second waits for the first and then adds nothing."""
    period = PeriodCode.parse(code)
    canonical = str(period)
    if session.get(Period, canonical) is None:
        values = {
            "code": canonical,
            "frequency": period.frequency,
            "year": period.year,
            "index": period.index,
        }
        insert_unless_present(session, Period, values, ["code"])
    return canonical


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _snapshot(observation: Observation) -> dict[str, Any]:
    return {"value": observation.value, "note": observation.note, "vintage": observation.vintage}


class ObservationStore:
    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor

    def latest(self, key: SeriesKey, as_of: dt.datetime | None = None) -> Observation | None:
        query = select(Observation).where(
            Observation.series == key.series,
            Observation.region_code == key.region_code,
            Observation.period == str(PeriodCode.parse(key.period)),
            Observation.cumulative == key.cumulative,
        )
        if as_of is not None:
            query = query.where(Observation.recorded_at <= as_of)
        return self.session.scalars(query.order_by(Observation.vintage.desc()).limit(1)).first()

    def latest_values(
        self,
        series: Iterable[str],
        region_code: str,
        periods: Iterable[str],
        cumulative: bool = False,
        as_of: dt.datetime | None = None,
    ) -> dict[tuple[str, str], float | None]:
        """(series, period) → value of the newest vintage (recorded by ``as_of``), for several
        series and periods of one region in one query; pairs without a vintage are absent."""
        codes = [str(PeriodCode.parse(p)) for p in periods]
        query = select(Observation.series, Observation.period, Observation.value).where(
            Observation.series.in_(list(series)),
            Observation.region_code == region_code,
            Observation.period.in_(codes),
            Observation.cumulative == cumulative,
        )
        if as_of is not None:
            query = query.where(Observation.recorded_at <= as_of)
        found: dict[tuple[str, str], float | None] = {}
        for name, period, value in self.session.execute(query.order_by(Observation.vintage)):
            found[(name, period)] = value
        return found

    def vintages(self, key: SeriesKey) -> list[Observation]:
        query = select(Observation).where(
            Observation.series == key.series,
            Observation.region_code == key.region_code,
            Observation.period == str(PeriodCode.parse(key.period)),
            Observation.cumulative == key.cumulative,
        )
        return list(self.session.scalars(query.order_by(Observation.vintage)))

    def record(
        self,
        key: SeriesKey,
        value: float | None,
        *,
        unit: str = "",
        note: str = "",
        reason: str = "",
        batch_id: int | None = None,
        demo: bool = False,
        at: dt.datetime | None = None,
    ) -> Observation | None:
        """Store a value; returns the new vintage, or None when it equals the latest one."""
        period = ensure_period(self.session, key.period)
        latest = self.latest(key)
        if latest is not None and _same(latest.value, value) and latest.note == note:
            return None
        observation = Observation(
            series=key.series,
            region_code=key.region_code,
            period=period,
            cumulative=key.cumulative,
            value=value,
            unit=unit,
            note=note,
            vintage=(latest.vintage + 1) if latest else 1,
            recorded_at=at or utcnow(),
            recorded_by=self.actor,
            reason=reason,
            demo=demo,
            batch_id=batch_id,
        )
        self.session.add(observation)
        self.session.flush()
        audit(
            self.session,
            self.actor,
            "revise" if latest else "insert",
            "observation",
            str(key),
            _snapshot(latest) if latest else None,
            _snapshot(observation),
            reason,
            at=observation.recorded_at,
        )
        return observation


def has_demo_data(session: Session) -> bool:
    """Whether the database holds synthetic demo data, which every output must then say."""
    from demonitor.store.models import Financial

    return (
        session.scalar(select(Observation.id).where(Observation.demo.is_(True)).limit(1))
        is not None
        or session.scalar(select(Financial.id).where(Financial.demo.is_(True)).limit(1)) is not None
    )


VERSION_SQL = f"SELECT max(id) FROM {AuditEntry.__tablename__}"


def data_version(session: Session) -> int:
    """The highest audit id — a version of the whole database, since every write is audited —
    read once per session until the session writes something."""
    if "data_version" not in session.info:
        # A plain SQL read: this runs on every request, and the ORM's bookkeeping costs more
        # than the query itself.
        row = session.connection().exec_driver_sql(VERSION_SQL).scalar()
        session.info["data_version"] = int(row or 0)
    return int(session.info["data_version"])


@event.listens_for(Session, "after_flush")
def _forget_version(session: Session, _context: object) -> None:
    session.info.pop("data_version", None)
