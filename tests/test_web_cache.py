"""Cached dashboard figures: kept while the data are unchanged, computed once when they change."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import Engine

from demonitor.store.db import session_scope
from demonitor.store.observations import audit
from demonitor.web.cache import ResultCache


def test_a_cached_result_lasts_until_the_audit_log_moves(engine: Engine) -> None:
    cache = ResultCache()
    computed: list[int] = []

    def compute() -> int:
        computed.append(1)
        return len(computed)

    with session_scope(engine) as session:
        assert cache.get("k", compute, session) == 1
        assert cache.get("k", compute, session) == 1
        audit(session, "test", "insert", "observation", "DE05/321200/2024", None, {"value": 1})
        session.flush()
        assert cache.get("k", compute, session) == 2


def test_readers_arriving_together_share_one_computation(engine: Engine) -> None:
    cache = ResultCache()
    calls: list[str] = []
    results: list[str] = []

    def slow() -> str:
        calls.append(threading.current_thread().name)
        time.sleep(0.3)
        return "figures"

    def reader() -> None:
        with session_scope(engine) as session:
            results.append(cache.get("overview", slow, session))

    readers = [threading.Thread(target=reader, name=f"r{i}") for i in range(5)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join()
    assert results == ["figures"] * 5
    assert len(calls) == 1


class _Versioned:
    """A stand-in session whose data version is already known (no database read)."""

    def __init__(self) -> None:
        self.info = {"data_version": 1}


def test_ten_thousand_distinct_keys_keep_the_cache_bounded() -> None:
    cache = ResultCache(max_entries=100)
    session: Any = _Versioned()
    most_locks: list[int] = []
    answers: list[str] = []

    def compute(key: str) -> str:
        most_locks.append(cache.sizes()[1])
        return key

    def reader(start: int) -> None:
        for i in range(start, 10_000, 4):
            key = f"/indicators?anonymous={i}"
            answers.append(cache.get(key, lambda key=key: compute(key), session))

    readers = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join()
    assert sorted(answers) == sorted(f"/indicators?anonymous={i}" for i in range(10_000))
    assert len(most_locks) == 10_000  # every key was computed, by one of the four readers
    assert max(most_locks) <= 4  # a lock only for a key being computed now
    assert cache.sizes() == (100, 0)


def test_the_least_recently_used_result_goes_first() -> None:
    cache = ResultCache(max_entries=2)
    session: Any = _Versioned()
    computed: list[str] = []

    def compute(key: str) -> str:
        computed.append(key)
        return key

    cache.get("a", lambda: compute("a"), session)
    cache.get("b", lambda: compute("b"), session)
    cache.get("a", lambda: compute("a"), session)  # a is now the more recent
    cache.get("c", lambda: compute("c"), session)  # b goes
    cache.get("a", lambda: compute("a"), session)
    assert computed == ["a", "b", "c"]
    cache.get("b", lambda: compute("b"), session)
    assert computed == ["a", "b", "c", "b"]
    assert cache.sizes() == (2, 0)
