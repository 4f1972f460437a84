"""Results computed from the database, kept until the data change.

Dashboards recompute value-added accounts and progress, which takes most of a second; many
people read the same figures. Every write to the platform adds an audit-log row, so the highest
audit id is a cheap version of the whole database: a cached value is served while it is unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from demonitor.store.models import AuditEntry

T = TypeVar("T")


def data_version(session: Session) -> int:
    return int(session.scalar(select(func.max(AuditEntry.id))) or 0)


class ResultCache:
    def __init__(self, max_entries: int = 256) -> None:
        self._entries: dict[str, tuple[int, Any]] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: str, compute: Callable[[], T], session: Session) -> T:
        version = data_version(session)
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = (version, value)
        return value
