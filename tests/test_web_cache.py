"""Cached dashboard figures: kept while the data are unchanged, computed once when they change."""

from __future__ import annotations

import threading
import time

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
