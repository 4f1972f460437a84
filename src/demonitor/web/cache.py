"""Results computed from the database, kept until the data change.

Dashboards recompute value-added accounts and progress, which takes most of a second; many
people read the same figures. Every write to the platform adds an audit-log row, so the highest
audit id is a cheap version of the whole database: a cached value is served while it is unchanged.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from demonitor.store.observations import data_version

T = TypeVar("T")


class _KeyLock:
    """The lock of one key, kept while some reader is computing or waiting for that key."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0


class ResultCache:
    """At most ``max_entries`` results, the least recently used dropped first.

    Keys come from requests (any query string makes one), so nothing here grows with them: a
    key's lock exists only while a reader computes or waits for that key.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self._entries: OrderedDict[str, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[str, _KeyLock] = {}
        self._max = max_entries

    def sizes(self) -> tuple[int, int]:
        """How many results and how many per-key locks are kept now."""
        with self._lock:
            return len(self._entries), len(self._computing)

    def _hit(self, key: str, version: int) -> tuple[bool, Any]:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
        return (True, hit[1]) if hit is not None and hit[0] == version else (False, None)

    def get(self, key: str, compute: Callable[[], T], session: Session) -> T:
        version = data_version(session)
        found, value = self._hit(key, version)
        if found:
            return value  # type: ignore[no-any-return]
        with self._lock:
            computing = self._computing.get(key)
            if computing is None:
                computing = self._computing[key] = _KeyLock()
            computing.users += 1
        try:
            # One computation per key at a time: after a change, the readers arriving together
            # wait for the first one's result instead of each computing the same seconds-long
            # figures.
            with computing.lock:
                found, value = self._hit(key, version)
                if found:
                    return value  # type: ignore[no-any-return]
                computed = compute()
                with self._lock:
                    self._entries[key] = (version, computed)
                    self._entries.move_to_end(key)
                    while len(self._entries) > self._max:
                        self._entries.popitem(last=False)
            return computed
        finally:
            with self._lock:
                computing.users -= 1
                if computing.users == 0:
                    del self._computing[key]
