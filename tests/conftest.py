from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from demonitor.core.classify import ClassificationRules
from demonitor.engine.rules import load_classification_rules
from demonitor.store.db import make_engine, upgrade

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REGISTER_HEADER = ["credit_code", "name", "region_code", "industry_code", "business_scope"]


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own DEMONITOR_HOME, so loaded editions never leak between tests."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DEMONITOR_HOME", str(home))
    monkeypatch.delenv("DEMONITOR_DE_EDITION", raising=False)
    monkeypatch.delenv("DEMONITOR_REGIONS", raising=False)
    return home


@pytest.fixture(scope="session")
def rules() -> ClassificationRules:
    return load_classification_rules()


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}: tests need it beside the project")
    return SHARED


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """Copies of ../shared files the tests read (see tests/fixtures/README.md)."""
    return FIXTURES


WriteRegister = Callable[..., Path]


@pytest.fixture
def write_register(tmp_path: Path) -> WriteRegister:
    """Write rows (lists in REGISTER_HEADER order) to a CSV and return its path."""

    def write(
        rows: list[list[str]],
        header: list[str] | None = None,
        name: str = "register.csv",
        encoding: str = "utf-8",
    ) -> Path:
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header or REGISTER_HEADER)
            writer.writerows(rows)
        return path

    return write


POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database; on PostgreSQL a schema of its own, dropped afterwards."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{POSTGRES}?options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
