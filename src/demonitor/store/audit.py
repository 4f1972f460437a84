"""Reading the audit log: entries narrowed by who, what and when, newest first, a page at a time."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from demonitor.store.models import AuditEntry

__all__ = ["AuditPage", "AuditQuery", "audit_choices", "read_audit"]


@dataclass(frozen=True)
class AuditQuery:
    """What the log is narrowed to; blank or None fields do not narrow it."""

    actor: str = ""
    action: str = ""
    entity: str = ""
    key: str = ""  # part of the entity key, any case
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.actor.strip():
            found.append(AuditEntry.actor == self.actor.strip())
        if self.action.strip():
            found.append(AuditEntry.action == self.action.strip())
        if self.entity.strip():
            found.append(AuditEntry.entity == self.entity.strip())
        if self.key.strip():
            found.append(AuditEntry.entity_key.icontains(self.key.strip(), autoescape=True))
        if self.since is not None:
            found.append(AuditEntry.at >= self.since)
        if self.until is not None:
            found.append(AuditEntry.at < self.until)
        return found


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


def read_audit(session: Session, query: AuditQuery, page: int, per_page: int) -> AuditPage:
    conditions = query.conditions()
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    entries = session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return AuditPage(list(entries), total, page, max(1, math.ceil(total / per_page)))


def _distinct(session: Session, column: Any) -> list[str]:
    return [str(v) for v in session.scalars(select(column).distinct().order_by(column))]


def audit_choices(session: Session) -> dict[str, list[str]]:
    """The actions, entities and actors found in the log, for the filter form's lists."""
    return {
        "actions": _distinct(session, AuditEntry.action),
        "entities": _distinct(session, AuditEntry.entity),
        "actors": _distinct(session, AuditEntry.actor),
    }
