"""Small writers of microdata for the accounts tests, each row with the moment it was recorded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from demonitor.store.models import Classification, Enterprise, Financial, ValueAddedRate
from demonitor.store.observations import ensure_period

EDITION = "nbs-de-2021-reconstructed"
T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)  # the first vintage of everything
T1 = dt.datetime(2025, 5, 1, 10, 0, tzinfo=dt.UTC)  # the revision


def enterprise(session: Session, code: str, region: str, industry: str) -> None:
    session.add(
        Enterprise(
            credit_code=code,
            name=code,
            region_code=region,
            industry_code=industry,
            business_scope="",
        )
    )
    session.flush()


def classify(
    session: Session, code: str, de: str | None, at: dt.datetime = T0, vintage: int = 1
) -> None:
    session.add(
        Classification(
            credit_code=code,
            edition=EDITION,
            de_code=de,
            status="classified" if de else "not_digital",
            method="test",
            vintage=vintage,
            recorded_at=at,
            recorded_by="t",
        )
    )
    session.flush()


def figures(
    session: Session,
    code: str,
    period: str,
    revenue: float | None,
    value_added: float | None,
    at: dt.datetime = T0,
    vintage: int = 1,
) -> None:
    session.add(
        Financial(
            credit_code=code,
            period=ensure_period(session, period),
            revenue=revenue,
            value_added=value_added,
            vintage=vintage,
            recorded_at=at,
            recorded_by="t",
        )
    )
    session.flush()


def rate(
    session: Session, industry: str, year: int, value: float, at: dt.datetime = T0, vintage: int = 1
) -> None:
    session.add(
        ValueAddedRate(
            industry_code=industry,
            year=year,
            rate=value,
            vintage=vintage,
            recorded_at=at,
            recorded_by="t",
        )
    )
    session.flush()
