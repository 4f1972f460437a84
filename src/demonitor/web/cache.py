"""Results computed from the database, kept until the data change.

Dashboards recompute value-added accounts and progress, which takes most of a second; many
people read the same figures. Every write to the platform adds an audit-log row, so the highest
audit id is a cheap version of the whole database: a cached value is served while it is unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from demonitor.store.observations import data_version

T = TypeVar("T")


class ResultCache:
    def __init__(self, max_entries: int = 4096) -> None:
        self._entries: dict[str, tuple[int, Any]] = {}
        self._lock = threading.Lock()
        self._computing: dict[str, threading.Lock] = {}
        self._max = max_entries

    def _hit(self, key: str, version: int) -> tuple[bool, Any]:
        with self._lock:
            hit = self._entries.get(key)
        return (True, hit[1]) if hit is not None and hit[0] == version else (False, None)

    def get(self, key: str, compute: Callable[[], T], session: Session) -> T:
        version = data_version(session)
        found, value = self._hit(key, version)
        if found:
            return value  # type: ignore[no-any-return]
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        # One computation per key at a time: after a change, the readers arriving together wait
        # for the first one's result instead of each computing the same seconds-long figures.
        with computing:
            found, value = self._hit(key, version)
            if found:
                return value  # type: ignore[no-any-return]
            computed = compute()
            with self._lock:
                if len(self._entries) >= self._max:
                    self._entries.clear()
                self._entries[key] = (version, computed)
        return computed
