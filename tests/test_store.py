"""Storage on SQLite and PostgreSQL: migrations, seeding, vintages, as-of queries, audit log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select

from demonitor.store.catalogue import seed_reference
from demonitor.store.db import (
    current_revision,
    head_revision,
    make_engine,
    session_scope,
    upgrade,
)
from demonitor.store.models import AuditEntry, Indicator, Observation, Region, Target
from demonitor.store.observations import ObservationStore, SeriesKey


def test_migrations_create_every_table(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {
        "regions",
        "periods",
        "enterprises",
        "classifications",
        "indicators",
        "targets",
        "observations",
        "import_batches",
        "audit_log",
        "users",
        "api_tokens",
        "submissions",
        "submission_items",
        "account_cells",
        "account_builds",
        "alembic_version",
    } <= tables
    upgrade(engine)  # upgrading again is harmless
    assert current_revision(engine) == head_revision()


def test_seeding_adds_the_policy_catalogue_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert seed_reference(session, "tester") > 0
    with session_scope(engine) as session:
        assert seed_reference(session, "tester") == 0
        assert session.scalar(select(func.count()).select_from(Indicator)) == 23
        assert session.scalar(select(func.count()).select_from(Region)) == 8
        de01 = session.scalars(select(Target).where(Target.indicator_code == "DE01")).one()
        assert (de01.target, de01.comparator, de01.tolerance) == (13.5, "approx", 0.3)
        de18 = session.scalars(select(Target).where(Target.indicator_code == "DE18")).one()
        assert de18.aspirational  # 力争
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 8 + 23


def test_a_changed_value_is_a_new_vintage_and_nothing_is_lost(engine: Engine) -> None:
    key = SeriesKey("GDP", "321200", "2023")
    first = dt.datetime(2024, 1, 20, tzinfo=dt.UTC)
    second = dt.datetime(2024, 12, 30, tzinfo=dt.UTC)
    with session_scope(engine) as session:
        seed_reference(session, "tester")
        store = ObservationStore(session, "统计局")
        assert store.record(key, 6731.66, unit="亿元", at=first) is not None
        assert store.record(key, 6731.66, unit="亿元") is None  # same value: idempotent
        revised = store.record(key, 6800.0, unit="亿元", reason="五经普修订", at=second)
        assert revised is not None and revised.vintage == 2
    with session_scope(engine) as session:
        store = ObservationStore(session, "reader")
        latest = store.latest(key)
        assert latest is not None and latest.value == 6800.0 and latest.reason == "五经普修订"
        as_of = store.latest(key, as_of=dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
        assert as_of is not None and as_of.value == 6731.66 and as_of.vintage == 1
        assert [o.value for o in store.vintages(key)] == [6731.66, 6800.0]
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "observation").order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries] == ["insert", "revise"]
        assert entries[1].before == {"value": 6731.66, "note": "", "vintage": 1}
        assert entries[1].after == {"value": 6800.0, "note": "", "vintage": 2}


def test_cumulative_and_single_period_values_are_separate_series(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "tester")
        store = ObservationStore(session, "统计局")
        store.record(SeriesKey("GDP", "321200", "2023Q2", cumulative=True), 3208.78)
        store.record(SeriesKey("GDP", "321200", "2023q2"), 1557.78)
    with session_scope(engine) as session:
        store = ObservationStore(session, "reader")
        cumulative = store.latest(SeriesKey("GDP", "321200", "2023Q2", cumulative=True))
        single = store.latest(SeriesKey("GDP", "321200", "2023Q2"))
        assert cumulative is not None and cumulative.value == 3208.78
        assert single is not None and single.value == 1557.78 and single.period == "2023Q2"


def test_a_failed_transaction_writes_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "tester")
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        ObservationStore(session, "统计局").record(SeriesKey("GDP", "321200", "2024"), 1.0)
        raise RuntimeError("the import failed half-way")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 0
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.entity == "observation")
            )
            == 0
        )


def test_init_command_creates_and_seeds_a_database(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from demonitor.cli import app

    url = f"sqlite:///{tmp_path / 'demonitor.db'}"
    runner = CliRunner()
    first = runner.invoke(app, ["init", "--database-url", url])
    assert first.exit_code == 0, first.output
    assert f"revision {head_revision()}" in first.output and "54" in first.output
    again = runner.invoke(app, ["init", "--database-url", url])
    assert again.exit_code == 0 and " 0 " in again.output
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0


def test_commands_refuse_an_outdated_or_missing_database(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from demonitor.cli import app

    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'old.db'}"
    missing = runner.invoke(app, ["progress", "--as-of", "2024", "--database-url", url])
    assert missing.exit_code == 2 and "demonitor init" in missing.output
    engine = make_engine(url)
    upgrade(engine, "0002")
    old = runner.invoke(app, ["account", "--period", "2024", "--database-url", url])
    assert old.exit_code == 2 and "demonitor db upgrade" in old.output
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    assert current_revision(engine) == head_revision()


def test_the_migrations_build_exactly_the_models(engine: Engine) -> None:
    """A model changed without a migration would differ here (Alembic's autogenerate diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from demonitor.store.models import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
