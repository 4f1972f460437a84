"""Units registered at the city code, or in a zone that no county-level unit administers (issue 9,
item 10): they count in the city total and are shown as one row 市本级（未分到市(区)）, so that
city total = Σ districts + unallocated = Σ breakdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from accounts_data import EDITION, classify, enterprise, figures
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from demonitor.cli import app
from demonitor.reports.accounts import UNALLOCATED, accounts_table, region_accounts
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import make_engine, session_scope, upgrade
from demonitor.store.models import Region

TEN_THOUSAND_YI = 100_000_000.0  # 10,000 亿元 in 万元


def populate(session: Session) -> None:
    """海陵 A reports 450; H, registered at the city code 321200, reports 10,000 亿元 in category
    03; Z sits in a zone 321291 that no county-level unit administers and reports 200 (01)."""
    seed_reference(session, "t")
    session.add(
        Region(
            code="321291",
            name_zh="测试园区",
            name_en="Test park",
            level="zone",
            parent="321200",
            administered_with=None,
        )
    )
    session.flush()
    for code, region, industry, de, va in [
        ("A", "321202", "6513", "030103", 450.0),
        ("H", "321200", "6513", "030103", TEN_THOUSAND_YI),
        ("Z", "321291", "3982", "010514", 200.0),
    ]:
        enterprise(session, code, region, industry)
        classify(session, code, de)
        figures(session, code, "2024", None, va)


def test_city_total_counts_unallocated_units_and_equals_the_breakdown(engine: Engine) -> None:
    with session_scope(engine) as session:
        populate(session)
        table = accounts_table(session, EDITION, 2024)
        city_only = region_accounts(session, EDITION, 2024, ["321200"])[0]
        # region_accounts gives the city and its county-level units unless asked for the row.
        default = region_accounts(session, EDITION, 2024)
        asked = region_accounts(session, EDITION, 2024, ["321200", UNALLOCATED])
        city_table = accounts_table(session, EDITION, 2024, "321200")
    city = table.rows[0]
    # By hand: 450 + 100,000,000 + 200 = 100,000,650 万元.
    assert city.region == "321200" and not city.unallocated
    assert city.core_value_added == pytest.approx(100_000_650)
    assert city.by_category["03"] == pytest.approx(100_000_450)
    assert city.by_category["01"] == pytest.approx(200)
    assert city.units == 3
    assert city_only.core_value_added == pytest.approx(100_000_650)
    unallocated = [r for r in table.rows if r.unallocated]
    assert len(unallocated) == 1 and unallocated[0].region == UNALLOCATED
    assert unallocated[0].core_value_added == pytest.approx(100_000_200)
    assert unallocated[0].units == 2
    assert unallocated[0].gdp is None and unallocated[0].share is None
    assert not any(r.unallocated for r in default) and len(default) == 7
    assert default[0].core_value_added == pytest.approx(100_000_650)
    assert asked[1] == unallocated[0]
    assert [r.region for r in city_table.rows] == ["321200", UNALLOCATED]
    districts = [r for r in table.rows[1:] if not r.unallocated]
    assert sum(r.core_value_added for r in districts) == pytest.approx(450)
    # The identity the output now keeps: city = Σ districts + unallocated = Σ breakdown (01–04).
    assert city.core_value_added == pytest.approx(sum(r.core_value_added for r in table.rows[1:]))
    assert city.core_value_added == pytest.approx(
        sum(v for code, v in table.breakdown.items() if code in ("01", "02", "03", "04"))
    )
    assert not [w for w in table.warnings if "Σ" in w.zh]  # nothing to flag: the sums hold


def test_no_unallocated_row_without_such_units(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "t")
        enterprise(session, "A", "321202", "6513")
        classify(session, "A", "030103")
        figures(session, "A", "2024", None, 450.0)
        # A unit in the zone that 高港 administers counts in 高港, as before.
        enterprise(session, "B", "321271", "3982")
        classify(session, "B", "010514")
        figures(session, "B", "2024", None, 50.0)
        rows = region_accounts(session, EDITION, 2024)
    assert not any(r.unallocated for r in rows)
    assert [r.region for r in rows][:2] == ["321200", "321202"]
    assert next(r for r in rows if r.region == "321203").core_value_added == pytest.approx(50)
    assert rows[0].core_value_added == pytest.approx(500)


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'unallocated.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        populate(session)
    engine.dispose()
    return url


def test_account_output_shows_the_unallocated_row(database: str) -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["account", "--period", "2024", "--database-url", database])
    assert table.exit_code == 0, table.output
    assert "市本级（未分到市(区)）" in table.output
    assert "not allocated to a district" in table.output
    # 10,000 亿元 + 200 万元 = 10,000.0 亿元 as printed; the city 10,000.1.
    line = next(x for x in table.output.splitlines() if "市本级" in x and "10,000" in x)
    assert "10,000.0" in line
    document = json.loads(
        runner.invoke(
            app, ["account", "--period", "2024", "--format", "json", "--database-url", database]
        ).output
    )
    rows = document["accounts"]
    unallocated = [r for r in rows if r["unallocated"]]
    assert len(unallocated) == 1
    assert unallocated[0]["region"] == "市本级（未分到市(区)）"
    assert unallocated[0]["region_code"] == "unallocated"
    assert unallocated[0]["core_value_added_10k_yuan"] == pytest.approx(100_000_200)
    city = next(r for r in rows if r["region_code"] == "321200")
    assert city["core_value_added_10k_yuan"] == pytest.approx(100_000_650)
    assert sum(r["core_value_added_10k_yuan"] for r in rows if r is not city) == pytest.approx(
        100_000_650
    )
    assert sum(document["category"].values()) == pytest.approx(100_000_650)


def test_the_districts_view_shows_the_unallocated_row_so_the_city_adds_up(engine: Engine) -> None:
    from demonitor.reports.dashboard import compute_districts

    with session_scope(engine) as session:
        populate(session)
        view = compute_districts(session, EDITION, 2024)
    assert view.unallocated is not None and view.unallocated.code == UNALLOCATED
    assert view.unallocated.name_zh == "市本级（未分到市(区)）"
    assert view.city.core_value_added == pytest.approx(
        sum(d.core_value_added for d in view.districts) + view.unallocated.core_value_added
    )
    assert UNALLOCATED not in {d.code for d in view.districts}
