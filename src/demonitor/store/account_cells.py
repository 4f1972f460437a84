"""Materialised value-added cells: the accounts read these instead of rescanning the microdata.

A cell is the value added of one county-level region × DE class × period, under one
classification edition, computed from the microdata as they stood at one data version (the id of
the newest audit entry of a microdata write: register, classification, financials, rates,
regions). Every write of microdata goes through a service that calls ``refresh_account_cells``
in the same transaction; a read whose cells are older than the microdata (a write that bypassed
the services) computes the cells directly from the microdata instead, so a figure is never stale.
The direct computation (``compute_cells``) is also the reference the materialised cells are
tested against.

The accounts as they stood on a date (``known_at``) are always computed directly: financials,
rates and classifications count only when recorded by then. The register itself (``enterprises``)
and the regions keep no history: a unit counts from the moment it had a classification, with its
region as it is now — a later change of an enterprise's region or of a zone's host is not
versioned.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.orm import Session

from demonitor.core.accounts import Cell, CellKey, value_added_cells
from demonitor.core.periods import Period
from demonitor.store.models import (
    AccountBuild,
    AccountCell,
    AuditEntry,
    Classification,
    Enterprise,
    Financial,
    Region,
    ValueAddedRate,
)
from demonitor.store.observations import utcnow

# Audit entities whose change changes value added.
MICRODATA_ENTITIES = ("enterprise", "classification", "financial", "va_rate", "region")
NO_FINANCIALS = ""  # the period of cells in which every unit is missing


def microdata_version(session: Session) -> int:
    """The id of the newest audit entry of a microdata write (0 when there is none)."""
    found = session.scalar(
        select(func.max(AuditEntry.id)).where(AuditEntry.entity.in_(MICRODATA_ENTITIES))
    )
    return int(found or 0)


def utc_moment(known_at: dt.datetime) -> dt.datetime:
    """A vintage date as UTC, the zone every time is stored in (naive means UTC already)."""
    return known_at.astimezone(dt.UTC) if known_at.tzinfo else known_at.replace(tzinfo=dt.UTC)


def latest_classifications(
    session: Session, edition: str, known_at: dt.datetime | None = None
) -> dict[str, str]:
    """credit code → DE code of the newest classified vintage under the edition (the newest
    recorded by ``known_at`` when given)."""
    query = select(Classification.credit_code, Classification.de_code, Classification.status).where(
        Classification.edition == edition
    )
    if known_at is not None:
        query = query.where(Classification.recorded_at <= utc_moment(known_at))
    rows = session.execute(query.order_by(Classification.credit_code, Classification.vintage))
    latest: dict[str, str | None] = {}
    for credit_code, de_code, status in rows:
        latest[credit_code] = de_code if status == "classified" else None
    return {code: de for code, de in latest.items() if de}


def county_level_of(session: Session) -> dict[str, str]:
    """region → the county-level unit whose totals include it (a zone counts with its host)."""
    return {
        code: host or code
        for code, host in session.execute(select(Region.code, Region.administered_with))
    }


def _classified_units(
    session: Session, edition: str, known_at: dt.datetime | None = None
) -> list[tuple[str, str, str, str]]:
    classes = latest_classifications(session, edition, known_at)
    county = county_level_of(session)
    units = []
    for credit_code, region, industry in session.execute(
        select(Enterprise.credit_code, Enterprise.region_code, Enterprise.industry_code)
    ):
        de_code = classes.get(credit_code)
        if de_code is not None:
            units.append((credit_code, county.get(region, region), de_code, industry))
    return units


def _figures(
    session: Session, period: str, known_at: dt.datetime | None = None
) -> dict[str, tuple[float | None, float | None]]:
    """credit code → (营业收入, 增加值) of the newest vintage of the period (recorded by
    ``known_at``)."""
    query = select(Financial.credit_code, Financial.revenue, Financial.value_added).where(
        Financial.period == period
    )
    if known_at is not None:
        query = query.where(Financial.recorded_at <= utc_moment(known_at))
    rows = session.execute(query.order_by(Financial.vintage))
    return {code: (revenue, value_added) for code, revenue, value_added in rows}


def _rates(session: Session, year: int, known_at: dt.datetime | None = None) -> dict[str, float]:
    """industry code → rate, taking the latest year ≤ ``year`` and its newest vintage (recorded
    by ``known_at``)."""
    query = select(ValueAddedRate.industry_code, ValueAddedRate.rate).where(
        ValueAddedRate.year <= year
    )
    if known_at is not None:
        query = query.where(ValueAddedRate.recorded_at <= utc_moment(known_at))
    rows = session.execute(query.order_by(ValueAddedRate.year, ValueAddedRate.vintage))
    return {industry: rate for industry, rate in rows}


def compute_cells(
    session: Session, edition: str, period: Period, known_at: dt.datetime | None = None
) -> dict[CellKey, Cell]:
    """Value added by (county-level region, DE class) straight from the microdata; with
    ``known_at``, from the classifications, financials and rates recorded by then."""
    return value_added_cells(
        _classified_units(session, edition, known_at),
        _figures(session, str(period), known_at),
        _rates(session, period.year, known_at),
    )


def refresh_account_cells(session: Session, edition: str) -> int:
    """Recompute and store the cells of every period with financials; returns cells written.

    Called by every service that writes microdata, after its writes and audit entries, in the
    same transaction. The cells of the previous data version are replaced.
    """
    session.flush()
    version = microdata_version(session)
    units = _classified_units(session, edition)
    periods = sorted(set(session.scalars(select(Financial.period).distinct())))
    rows: list[dict[str, object]] = []
    for code in [NO_FINANCIALS, *periods]:
        if code == NO_FINANCIALS:
            cells = value_added_cells(units, {}, {})
        else:
            period = Period.parse(code)
            cells = value_added_cells(units, _figures(session, code), _rates(session, period.year))
        rows.extend(
            {
                "edition": edition,
                "data_version": version,
                "period": code,
                "region_code": region,
                "de_code": de_code,
                "value_added": cell.value_added,
                "units": cell.units,
                "reported": cell.reported,
                "estimated": cell.estimated,
                "missing": cell.missing,
            }
            for (region, de_code), cell in cells.items()
        )
    session.execute(delete(AccountCell).where(AccountCell.edition == edition))
    if rows:
        session.execute(insert(AccountCell), rows)
    build = session.get(AccountBuild, edition)
    if build is None:
        build = AccountBuild(edition=edition)
        session.add(build)
    build.data_version = version
    build.periods = ",".join(periods)
    build.built_at = utcnow()
    session.flush()
    return len(rows)


def refresh_built_editions(session: Session) -> None:
    """Refresh the cells of every edition that has been materialised (after a microdata write)."""
    for edition in session.scalars(select(AccountBuild.edition)).all():
        refresh_account_cells(session, edition)


def account_cells(session: Session, edition: str, period: Period) -> dict[CellKey, Cell]:
    """The cells of a period: materialised when they are current, computed directly otherwise."""
    build = session.get(AccountBuild, edition)
    if build is None or build.data_version != microdata_version(session):
        return compute_cells(session, edition, period)
    code = str(period)
    stored = code if code in build.periods.split(",") else NO_FINANCIALS
    rows = session.execute(
        select(
            AccountCell.region_code,
            AccountCell.de_code,
            AccountCell.value_added,
            AccountCell.units,
            AccountCell.reported,
            AccountCell.estimated,
            AccountCell.missing,
        ).where(AccountCell.edition == edition, AccountCell.period == stored)
    )
    return {
        (region, de_code): Cell(value_added, units, reported, estimated, missing)
        for region, de_code, value_added, units, reported, estimated, missing in rows
    }


# Every write of microdata is audited; a session that audited one refreshes the cells before it
# commits, so that no write path — CLI, web, demo, a test — leaves the accounts stale.


@event.listens_for(Session, "after_flush")
def _note_microdata_change(session: Session, _context: object) -> None:
    if any(
        isinstance(entry, AuditEntry) and entry.entity in MICRODATA_ENTITIES
        for entry in session.new
    ):
        session.info["microdata_changed"] = True


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    if session.info.pop("microdata_changed", False):
        for edition in editions_to_materialise(session):
            refresh_account_cells(session, edition)
        session.info.pop("microdata_changed", None)


def editions_to_materialise(session: Session) -> list[str]:
    """The default edition, those already materialised, and those units are classified under."""
    from demonitor.reference.digital_economy import load_edition

    built = set(session.scalars(select(AccountBuild.edition)))
    used = set(session.scalars(select(Classification.edition).distinct()))
    return sorted(built | used | {load_edition(None).name})
