"""Database connection and migrations.

The database is named by ``DEMONITOR_DATABASE_URL`` (default: the SQLite file ``./demonitor.db``);
PostgreSQL works the same way (``postgresql+psycopg://…``). The schema is created and upgraded by
Alembic migrations shipped in the package, never by ``create_all``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import ColumnElement, Engine, TextClause, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from demonitor import config

DEFAULT_URL = config.DEFAULT_DATABASE_URL
MIGRATIONS = Path(__file__).with_name("migrations")


def database_url(url: str | None = None) -> str:
    return url or config.database_url()


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    engine = create_engine(url, future=True)
    if url.startswith("sqlite"):

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
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        statement: Any = postgresql_insert(model)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(model)
    else:  # pragma: no cover - the platform runs on SQLite and PostgreSQL only
        raise NotImplementedError(f"insert_unless_present on {dialect}")
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
