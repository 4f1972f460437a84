"""Races (issue 10): two people, two requests or two commands writing at once, on SQLite and
PostgreSQL, with real threads and processes against a real database file or schema.

Each race has one winner and no 5xx. Where the window of a race is a few microseconds, the test
widens it with ``Rendezvous``: the racing callers of a function wait for each other right after
it, so that all of them have read the state before any of them writes (a caller kept out by a
database lock only costs the rendezvous its timeout). Every wait is bounded; no test hangs.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from demonitor.cli import app as cli
from demonitor.core.periods import Period
from demonitor.core.permissions import Role
from demonitor.services import submissions as submission_service
from demonitor.services import users as user_service
from demonitor.services.submissions import ItemInput, SubmissionStore
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import alembic_config, session_scope, upgrade
from demonitor.store.models import AuditEntry, Observation, Submission
from demonitor.store.models import Period as PeriodRow
from demonitor.store.observations import ObservationStore, SeriesKey, ensure_period, utcnow
from demonitor.web.app import create_app
from demonitor.web.settings import Settings

HANDLED = {
    "zh": "该填报已由他人处理",
    "en": "this submission has already been handled by someone else",
}
BUSY_ZH = "数据库忙，请稍后重试"
BUSY_EN = "the database is busy, please try again"
DEADLINE = 20.0  # seconds: no thread of a test waits longer than this


# The platform: a database with a department that submits and two reviewers -----------------


@dataclass
class Platform:
    engine: Engine
    url: str
    tokens: dict[str, str]  # username → API token secret

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def client(self, url: str | None = None) -> TestClient:
        settings = Settings(database_url=url or self.url, secret_key="test")
        return TestClient(create_app(settings), raise_server_exceptions=False)

    def bearer(self, username: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.tokens[username]}"}


def _url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def platform(engine: Engine) -> Platform:
    tokens = {}
    with session_scope(engine) as session:
        seed_reference(session, "test")
        ensure_period(session, "2024")
        users = (
            ("industry", Role.DEPARTMENT, "市工业和信息化局"),
            ("office", Role.OFFICE, None),
            ("admin", Role.ADMIN, None),
        )
        for username, role, department in users:
            user, _ = user_service.add_user(
                session,
                "test",
                username,
                role,
                department=department,
                must_change_password=False,  # a generated password: only tokens are used
            )
            _token, tokens[username] = user_service.create_token(session, "test", user, "test")
            # Used once, so that a later request does not write the token's last use.
            _token.last_used_at = utcnow()
    return Platform(engine, _url_of(engine), tokens)


def _submitted(platform: Platform, value: str = "81.5") -> int:
    """A submission of the department awaiting review."""
    with session_scope(platform.engine) as session:
        user = user_service.find_user(session, "industry")
        assert user is not None
        store = SubmissionStore(session, user_service.principal_of(user))
        submission = store.open_for(Period(2024))
        assert store.save(submission, [ItemInput("DE05", "321200", value)]) == []
        store.submit(submission)
        return submission.id


class Rendezvous:
    """The first ``parties`` callers of the wrapped function wait for each other just after it
    returns (at most ``timeout`` seconds): every racer has read before any of them writes."""

    def __init__(self, parties: int, timeout: float = 2.0) -> None:
        self.barrier = threading.Barrier(parties, timeout=timeout)
        self.calls = 0
        self.lock = threading.Lock()

    def after(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = function(*args, **kwargs)
            with self.lock:
                self.calls += 1
                racing = self.calls <= self.barrier.parties
            if racing:
                with suppress(threading.BrokenBarrierError):
                    self.barrier.wait()
            return result

        return wrapped


def _all(futures: list[Future[Any]]) -> list[Any]:
    """Every result, or a failure naming the deadline (never a hung test)."""
    end = time.monotonic() + DEADLINE
    return [f.result(timeout=max(0.1, end - time.monotonic())) for f in futures]


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return _all([pool.submit(call) for call in calls])


def _no_5xx(answers: list[Any]) -> None:
    failed = [(a.status_code, a.text[:300]) for a in answers if a.status_code >= 500]
    assert failed == [], failed


def _submission_audit(engine: Engine, submission_id: int) -> list[str]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.entity == "submission", AuditEntry.entity_key == str(submission_id)
                )
                .order_by(AuditEntry.id)
            )
        )


def _vintages(engine: Engine) -> list[float | None]:
    with session_scope(engine) as session:
        key = SeriesKey("DE05", "321200", "2024")
        return [v.value for v in ObservationStore(session, "test").vintages(key)]


# 1. Two reviewers deciding one submission at once -------------------------------------------


@pytest.mark.parametrize("second", ["return", "approve"])
def test_two_reviewers_deciding_at_once_one_wins_and_the_other_gets_409(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, second: str
) -> None:
    submission_id = _submitted(platform)
    # Both reviewers have found the submission awaiting review before either decides.
    race = Rendezvous(2)
    monkeypatch.setattr(
        submission_service, "check_reviewable", race.after(submission_service.check_reviewable)
    )
    office, admin = platform.client(), platform.client()

    def approve() -> Any:
        return office.post(
            f"/api/v1/review/{submission_id}/approve", headers=platform.bearer("office")
        )

    def decide_too() -> Any:
        path = f"/api/v1/review/{submission_id}/{second}"
        body = {"comment": "请核实口径"} if second == "return" else None
        return admin.post(path, json=body, headers=platform.bearer("admin"))

    answers = _at_once([approve, decide_too])
    _no_5xx(answers)
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json()["detail"] == HANDLED
    winner = next(a for a in answers if a.status_code == 200).json()

    # Only the winner's decision is written: its status, its vintages, its audit entry.
    decisions = [
        a for a in _submission_audit(platform.engine, submission_id) if a in ("approve", "return")
    ]
    assert len(decisions) == 1
    with session_scope(platform.engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None
        assert row.status == winner["status"]
        if row.status == "approved":
            assert (row.comment, decisions, _vintages(platform.engine)) == ("", ["approve"], [81.5])
        else:
            assert (row.comment, decisions, _vintages(platform.engine)) == (
                "请核实口径",
                ["return"],
                [],
            )


def test_a_decision_on_a_handled_submission_is_a_409_on_the_api_and_the_page(
    platform: Platform,
) -> None:
    submission_id = _submitted(platform)
    client = platform.client()
    approved = client.post(
        f"/api/v1/review/{submission_id}/approve", headers=platform.bearer("office")
    )
    assert approved.status_code == 200
    again = client.post(
        f"/api/v1/review/{submission_id}/return",
        json={"comment": "晚了"},
        headers=platform.bearer("admin"),
    )
    assert (again.status_code, again.json()["detail"]) == (409, HANDLED)
    page = client.post(f"/review/{submission_id}/approve", headers=platform.bearer("admin"))
    assert page.status_code == 409
    assert HANDLED["zh"] in page.text and HANDLED["en"] in page.text
    assert _vintages(platform.engine) == [81.5]
    assert _submission_audit(platform.engine, submission_id)[-1] == "approve"


# 2. One open submission per owner and period ------------------------------------------------


def test_simultaneous_saves_by_one_user_keep_one_open_submission(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    racers = 6
    race = Rendezvous(racers)
    # Every save has looked for an open submission (and found none) before any creates one.
    monkeypatch.setattr(SubmissionStore, "find_open", race.after(SubmissionStore.find_open))
    clients = [platform.client() for _ in range(racers)]

    def save(client: TestClient, value: int) -> Any:
        body = {
            "period": "2024",
            "items": [{"indicator_code": "DE05", "region_code": "321200", "value": value}],
        }
        return client.post("/api/v1/submissions", json=body, headers=platform.bearer("industry"))

    answers = _at_once([lambda c=c, n=n: save(c, 70 + n) for n, c in enumerate(clients)])
    _no_5xx(answers)
    assert [a.status_code for a in answers] == [200] * racers, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1  # the loser gets the existing draft
    with session_scope(platform.engine) as session:
        rows = session.scalars(select(Submission).where(Submission.owner == "industry")).all()
        assert [(r.period, r.status) for r in rows] == [("2024", "draft")]
        submission_id = rows[0].id
    # One "insert" in the audit, and one "save" per request (each with its own value).
    assert _submission_audit(platform.engine, submission_id) == ["insert"] + ["save"] * racers


def test_the_database_keeps_one_open_submission_per_owner_and_period(engine: Engine) -> None:
    with session_scope(engine) as session:
        ensure_period(session, "2024")

    def add(status: str, owner: str = "industry") -> None:
        with engine.begin() as connection:
            connection.execute(
                insert(Submission).values(
                    period="2024", owner=owner, scope="x", status=status, comment=""
                )
            )

    add("approved")
    add("approved")  # closed ones may be many
    add("draft")
    add("submitted", owner="other")
    for status in ("draft", "submitted", "returned"):
        with pytest.raises(IntegrityError):
            add(status)


def test_creating_a_period_twice_at_once_is_harmless(engine: Engine) -> None:
    """The second writer's insert waits for the first, which then commits the same period."""
    with session_scope(engine) as session:
        seed_reference(session, "test")
    outcome: dict[str, object] = {}
    with session_scope(engine) as first:
        assert ensure_period(first, "2031Q2") == "2031Q2"  # written, not yet committed

        def second() -> None:
            try:
                with session_scope(engine) as session:
                    outcome["code"] = ensure_period(session, "2031Q2")
            except Exception as error:
                outcome["error"] = repr(error)

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)  # the second has looked, found nothing and is waiting to insert
        assert thread.is_alive()
    thread.join(DEADLINE)
    assert not thread.is_alive()
    assert outcome == {"code": "2031Q2"}
    with session_scope(engine) as session:
        count = select(func.count()).select_from(PeriodRow).where(PeriodRow.code == "2031Q2")
        assert session.scalar(count) == 1


def test_migration_0009_closes_duplicate_open_submissions_and_keeps_one(engine: Engine) -> None:
    """Duplicates made before the index: the one furthest along (submitted, then returned,
    then draft) and, among those, the oldest — the one the form has been showing — stays open;
    the others become "superseded", with a comment naming the one kept, and are audited."""
    command.downgrade(alembic_config(engine), "0008")
    with engine.begin() as connection:
        for year in (2024, 2025):
            connection.execute(
                insert(PeriodRow).values(code=str(year), frequency="A", year=year, index=1)
            )
        rows = [  # id order = creation order
            ("industry", "2024", "draft"),
            ("industry", "2024", "submitted"),  # 2: furthest along → kept
            ("industry", "2024", "draft"),
            ("industry", "2024", "approved"),  # closed: untouched
            ("industry", "2025", "draft"),  # 5: oldest draft → kept
            ("industry", "2025", "draft"),
            ("hailing", "2024", "returned"),  # 7: alone → kept
        ]
        for owner, period, status in rows:
            connection.execute(
                insert(Submission).values(
                    period=period, owner=owner, scope=owner, status=status, comment=""
                )
            )
    upgrade(engine)
    with session_scope(engine) as session:
        found = {s.id: s for s in session.scalars(select(Submission))}
        assert {i: s.status for i, s in found.items()} == {
            1: "superseded",
            2: "submitted",
            3: "superseded",
            4: "approved",
            5: "draft",
            6: "superseded",
            7: "returned",
        }
        assert "#2" in found[1].comment and "#2" in found[3].comment and "#5" in found[6].comment
        assert found[1].reviewed_by == "migration:0009"
        audited = session.scalars(
            select(AuditEntry.entity_key).where(
                AuditEntry.entity == "submission", AuditEntry.action == "supersede"
            )
        ).all()
        assert sorted(audited) == ["1", "3", "6"]
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            insert(Submission).values(
                period="2025", owner="industry", scope="x", status="returned", comment=""
            )
        )
    # Downgrading gives the superseded their status back, audited.
    command.downgrade(alembic_config(engine), "0008")
    with session_scope(engine) as session:
        statuses = dict(session.execute(select(Submission.id, Submission.status)).all())
        assert statuses == {i + 1: status for i, (_o, _p, status) in enumerate(rows)}
        first = session.get(Submission, 1)
        assert first is not None and (first.comment, first.reviewed_by) == ("", None)
        restored = session.scalars(
            select(AuditEntry.entity_key).where(AuditEntry.action == "unsupersede")
        ).all()
        assert sorted(restored) == ["1", "3", "6"]


# 3. Writers wait their turn; a database still busy says so ---------------------------------


@contextmanager
def writes_held(engine: Engine) -> Iterator[None]:
    """Another writer holds the database (a long import): on SQLite the write lock, on
    PostgreSQL the audit log that every write appends to. Reads go on."""
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        assert path is not None
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    with engine.connect() as connection:
        connection.execute(text("LOCK TABLE audit_log IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            connection.rollback()


def _impatient_url(platform: Platform) -> str:
    """The same database, waiting 0.3 s for a lock instead of the default."""
    url = make_url(platform.url)
    if platform.backend == "sqlite":
        return url.update_query_dict({"timeout": "0.3"}).render_as_string(hide_password=False)
    options = f"{url.query['options']} -c lock_timeout=300"
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


def _observations_csv(path: Path, indicator: str, periods: range) -> Path:
    lines = ["indicator_code,region_code,period,value,note"]
    lines += [f"{indicator},321200,{p},{50 + p % 7},批量" for p in periods]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_database_busy_beyond_the_timeout_answers_503_and_the_cli_exits_2(
    platform: Platform, tmp_path: Path
) -> None:
    url = _impatient_url(platform)
    client = platform.client(url)
    body = {
        "period": "2024",
        "items": [{"indicator_code": "DE05", "region_code": "321200", "value": 80}],
    }
    data = _observations_csv(tmp_path / "obs.csv", "DE05", range(2001, 2004))
    with writes_held(platform.engine):
        started = time.monotonic()
        api = client.post("/api/v1/submissions", json=body, headers=platform.bearer("industry"))
        page = client.post(
            "/submissions",
            data={"period": "2024", "value:DE05:321200": "80"},
            headers=platform.bearer("industry"),
        )
        read = client.get("/api/v1/submissions", headers=platform.bearer("industry"))
        imported = CliRunner().invoke(
            cli, ["import", "observations", str(data), "--database-url", url]
        )
        assert time.monotonic() - started < 10
    assert api.status_code == 503, api.text
    assert api.headers["retry-after"].isdigit()
    assert api.json()["detail"] == {"zh": BUSY_ZH, "en": BUSY_EN}
    assert page.status_code == 503 and BUSY_ZH in page.text and BUSY_EN in page.text
    assert "retry-after" in page.headers
    assert read.status_code == 200  # reading does not wait for the writer
    assert imported.exit_code == 2, imported.output
    assert imported.exception is None or isinstance(imported.exception, SystemExit)
    assert BUSY_ZH in imported.output and BUSY_EN in imported.output
    assert "Traceback" not in imported.output
    # Nothing of the refused writes is kept; once the database is free, they go through.
    with session_scope(platform.engine) as session:
        assert session.scalars(select(Submission)).all() == []
        assert session.scalars(select(Observation)).all() == []
    assert (
        client.post(
            "/api/v1/submissions", json=body, headers=platform.bearer("industry")
        ).status_code
        == 200
    )


def test_every_connection_taken_answers_503_not_500(platform: Platform) -> None:
    """Many requests at once can take every connection of the pool for longer than its
    timeout (a burst of 50 writers did on PostgreSQL): that is a busy database too."""
    client = platform.client()
    small = create_engine(platform.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    client.app.state.sessions = sessionmaker(small, expire_on_commit=False)  # type: ignore[attr-defined]
    try:
        with small.connect():  # the only connection, taken
            answer = client.get("/api/v1/submissions", headers=platform.bearer("industry"))
        assert answer.status_code == 503, answer.text
        assert answer.json()["detail"] == {"zh": BUSY_ZH, "en": BUSY_EN}
        assert "retry-after" in answer.headers
        again = client.get("/api/v1/submissions", headers=platform.bearer("industry"))
        assert again.status_code == 200
    finally:
        small.dispose()


@contextmanager
def a_long_import(engine: Engine, periods: range) -> Iterator[None]:
    """Another writer adding these periods, committed on leaving (an import of a large file):
    on SQLite it holds the write lock meanwhile, on PostgreSQL the new period rows."""
    with engine.connect() as connection:
        for year in periods:
            connection.execute(
                insert(PeriodRow).values(code=str(year), frequency="A", year=year, index=1)
            )
        yield
        connection.commit()


@pytest.mark.slow
def test_writers_wait_their_turn_behind_a_long_write(platform: Platform, tmp_path: Path) -> None:
    """An import adding the periods 1990–2009 takes 7 s (on SQLite longer than the 5 s the
    driver used to wait): ten web writers and two CLI imports of those periods started meanwhile
    all wait their turn, then all succeed; no 5xx, no traceback."""
    writers = 10
    clients = [platform.client() for _ in range(writers)]
    periods = range(1990, 2010)
    files = [
        _observations_csv(tmp_path / f"{code}.csv", code, periods) for code in ("DE05", "DE06")
    ]

    def save(client: TestClient, n: int) -> Any:
        body = {
            "period": str(2040 + n),  # a new period each: the periods are created too
            "items": [{"indicator_code": "DE05", "region_code": "321200", "value": 60 + n}],
            "submit": True,
        }
        return client.post("/api/v1/submissions", json=body, headers=platform.bearer("industry"))

    command, url = Path(sys.executable).with_name("demonitor"), platform.url
    with ThreadPoolExecutor(writers) as pool:
        with a_long_import(platform.engine, periods):
            imports = [
                subprocess.Popen(
                    [str(command), "import", "observations", str(f), "--database-url", url],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for f in files
            ]
            futures = [pool.submit(save, c, n) for n, c in enumerate(clients)]
            time.sleep(7)
        answers = _all(futures)
        outputs = [p.communicate(timeout=DEADLINE)[0] for p in imports]
    assert [p.returncode for p in imports] == [0, 0], outputs
    assert all("Traceback" not in o for o in outputs)
    _no_5xx(answers)
    assert [a.status_code for a in answers] == [200] * writers, [a.text for a in answers]
    with session_scope(platform.engine) as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == writers
        assert session.scalar(select(func.count()).select_from(Observation)) == 40
