"""Database connection and migrations.

The database is named by ``DEMONITOR_DATABASE_URL`` (default: the SQLite file ``./demonitor.db``);
PostgreSQL works the same way (``postgresql+psycopg://…``). The schema is created and upgraded by
Alembic migrations shipped in the package, never by ``create_all``.

Concurrent writers on SQLite (one file, one writer at a time) wait their turn: a write
transaction starts with ``BEGIN IMMEDIATE`` at its first write (the sqlite3 driver begins a
transaction there, and only there; reads before it and read-only sessions take no lock, so they
never wait for a writer), and waits up to ``BUSY_TIMEOUT_SECONDS`` for the lock (the URL's
``?timeout=`` overrides it). A database still busy after that is ``database_busy``: the web
answers 503 with Retry-After, the CLI exits 2, both with ``BUSY_ZH`` / ``BUSY_EN``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import ColumnElement, Engine, TextClause, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from demonitor import config

DEFAULT_URL = config.DEFAULT_DATABASE_URL
MIGRATIONS = Path(__file__).with_name("migrations")

# How long a writer waits for another one on SQLite before giving up (the sqlite3 driver's own
# default is 5 s, less than a large import holds the file).
BUSY_TIMEOUT_SECONDS = 30.0
BUSY_ZH = "数据库忙，请稍后重试"
BUSY_EN = "the database is busy, please try again"
RETRY_AFTER_SECONDS = 5
# SQLite's SQLITE_BUSY and SQLITE_LOCKED (primary codes); PostgreSQL's lock_not_available
# (lock_timeout ran out), deadlock_detected, serialization_failure and too_many_connections:
# all worth a retry.
_SQLITE_BUSY_CODES = (5, 6)
_POSTGRES_RETRY_STATES = ("55P03", "40P01", "40001", "53300")


def database_url(url: str | None = None) -> str:
    return url or config.database_url()


def database_busy(error: BaseException) -> bool:
    """Whether ``error`` says another writer held the database longer than this one waited,
    or every connection of the pool stayed taken (``PoolTimeout``), so that trying again later
    is the remedy, rather than a fault."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_BUSY_CODES
    if getattr(original, "sqlstate", None) in _POSTGRES_RETRY_STATES:
        return True
    return "database is locked" in str(original)


def _sqlite_connect_args(url: str) -> dict[str, Any]:
    query = make_url(url).query
    wanted: dict[str, Any] = {
        # The driver begins a transaction before the first INSERT/UPDATE/DELETE; IMMEDIATE
        # takes the write lock there, waiting (busy timeout) behind a writer in progress.
        "isolation_level": "IMMEDIATE",
        "timeout": BUSY_TIMEOUT_SECONDS,
    }
    return {key: value for key, value in wanted.items() if key not in query}


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, future=True)
    engine = create_engine(url, future=True, connect_args=_sqlite_connect_args(url))

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(connection, _record):  # type: ignore[no-untyped-def]
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the database to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class DatabaseNotReady(RuntimeError):
    """The database is missing or older than this version of the platform."""


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(
        alembic_config(create_engine("sqlite://"))
    ).get_current_head()
    return str(head)


def ready_engine(url: str | None = None) -> Engine:
    """An engine on a database at the current schema revision, or a clear reason why not."""
    engine = make_engine(url)
    current = current_revision(engine)
    if current != head_revision():
        shown = engine.url.render_as_string(hide_password=True)
        if current is None:
            raise DatabaseNotReady(
                f"{shown}: 数据库尚未建立，请先运行 demonitor init / "
                "not initialised: run demonitor init"
            )
        raise DatabaseNotReady(
            f"{shown}: 数据库版本{current}低于{head_revision()}，请运行 demonitor db upgrade / "
            f"schema revision {current} is older than {head_revision()}: run demonitor db upgrade"
        )
    return engine


def upsert_insert(session: Session, model: type[Any]) -> Any:
    """An ``INSERT`` of ``model`` in the dialect of the session's database, so that the caller
    can add ``ON CONFLICT …`` (SQLite and PostgreSQL, the two the platform runs on)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(model)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(model)
    raise NotImplementedError(f"ON CONFLICT on {dialect}")  # pragma: no cover


def insert_unless_present(
    session: Session,
    model: type[Any],
    values: Mapping[str, Any],
    key: Sequence[str],
    where: ColumnElement[bool] | TextClause | None = None,
) -> Any | None:
    """``INSERT … ON CONFLICT (key) [WHERE where] DO NOTHING`` (SQLite and PostgreSQL): the new
    row's primary key, or None when a row with the same key — under the unique index on ``key``,
    partial with ``where`` — exists. A row with that key being written by another transaction
    is waited for (PostgreSQL waits for it to commit; SQLite for the write lock), so two
    writers adding the same row at once never fail: one adds it, the other adds nothing."""
    statement = upsert_insert(session, model)
    primary_key = model.__mapper__.primary_key[0]
    statement = (
        statement.values(**values)
        .on_conflict_do_nothing(index_elements=list(key), index_where=where)
        .returning(primary_key)
    )
    return session.execute(statement).scalar()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
