"""The accounts as they stood on a date (issue 9, item 4): financials, rates, classifications and
GDP recorded after the vintage date do not count; without a date the newest ones do."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from accounts_data import EDITION, T0, T1, classify, enterprise, figures, rate
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from demonitor.cli import app
from demonitor.core.periods import Period
from demonitor.reports.accounts import accounts_table, breakdown, region_accounts
from demonitor.store.account_cells import (
    account_cells,
    compute_cells,
    latest_classifications,
    refresh_account_cells,
)
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import make_engine, session_scope, upgrade
from demonitor.store.observations import ObservationStore, SeriesKey

BETWEEN = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)  # after the first vintage, before the revision


def populate_with_a_revision(session: Session) -> None:
    """As first recorded (T0):
    - A, software in 海陵 (6513 → 030103), reports 增加值 400 (2023) and 450 (2024);
    - B, in 高港 (3982 → 010514), revenue 2000 and 2500 at the 3982 rate 0.20;
    - G, in 泰兴 (6520), not digital, reports 250 and 300;
    - city GDP 100,000 (2023) and 106,000 (2024), comparable growth 5.0 %.
    Revised at T1:
    - A's 2024 增加值 450 → 480; the 3982 rate 0.20 → 0.24;
    - G is reclassified as digital (6520 → 030401);
    - F, a new software firm in 姜堰 (030103), classified with 增加值 80 and 100;
    - city GDP 2024 106,000 → 107,000 and growth 5.0 → 5.5.
    """
    seed_reference(session, "t")
    enterprise(session, "A", "321202", "6513")
    enterprise(session, "B", "321203", "3982")
    enterprise(session, "G", "321283", "6520")
    classify(session, "A", "030103")
    classify(session, "B", "010514")
    classify(session, "G", None)
    for code, period, revenue, va in [
        ("A", "2023", 900, 400),
        ("A", "2024", 1000, 450),
        ("B", "2023", 2000, None),
        ("B", "2024", 2500, None),
        ("G", "2023", 500, 250),
        ("G", "2024", 600, 300),
    ]:
        figures(session, code, period, revenue, va)
    rate(session, "3982", 2020, 0.20)
    store = ObservationStore(session, "t")
    store.record(SeriesKey("GDP", "321200", "2023"), 100_000, at=T0)
    store.record(SeriesKey("GDP", "321200", "2024"), 106_000, at=T0)
    store.record(SeriesKey("GDP_growth", "321200", "2024"), 5.0, at=T0)
    # The revision.
    figures(session, "A", "2024", 1000, 480, at=T1, vintage=2)
    rate(session, "3982", 2020, 0.24, at=T1, vintage=2)
    classify(session, "G", "030401", at=T1, vintage=2)
    enterprise(session, "F", "321204", "6513")
    classify(session, "F", "030103", at=T1)
    figures(session, "F", "2023", None, 80, at=T1)
    figures(session, "F", "2024", None, 100, at=T1)
    store.record(SeriesKey("GDP", "321200", "2024"), 107_000, at=T1)
    store.record(SeriesKey("GDP_growth", "321200", "2024"), 5.5, at=T1)
    # The materialised cells hold the newest data: a vintage date must not read them.
    refresh_account_cells(session, EDITION)


def test_the_accounts_as_of_a_date_before_the_revision_are_the_old_figures(engine: Engine) -> None:
    with session_scope(engine) as session:
        populate_with_a_revision(session)
        then = region_accounts(session, EDITION, 2024, known_at=BETWEEN)
        now = region_accounts(session, EDITION, 2024)
        city_then = region_accounts(session, EDITION, 2024, ["321200"], known_at=BETWEEN)[0]
        table_then = accounts_table(session, EDITION, 2024, known_at=BETWEEN)
        categories_then = breakdown(session, EDITION, 2024, known_at=BETWEEN)
        categories_now = breakdown(session, EDITION, 2024)
        # The building blocks: classifications and cells by the date.
        assert latest_classifications(session, EDITION, known_at=BETWEEN) == {
            "A": "030103",
            "B": "010514",
        }
        assert set(latest_classifications(session, EDITION)) == {"A", "B", "F", "G"}
        old_cells = compute_cells(session, EDITION, Period(2024), known_at=BETWEEN)
        assert sum(c.value_added for c in old_cells.values()) == pytest.approx(950)
        assert sum(
            c.value_added for c in account_cells(session, EDITION, Period(2024)).values()
        ) == pytest.approx(1480)

    # Old, by hand: 2024 core = 450 (A) + 2500 × 0.20 (B) = 950; 2023 = 400 + 2000 × 0.20 = 800.
    city = then[0]
    assert city.region == "321200" and city_then == city
    assert city.core_value_added == pytest.approx(950)
    assert city.gdp == pytest.approx(106_000)
    assert city.share == pytest.approx(950 / 106_000 * 100)
    assert city.nominal_growth == pytest.approx(18.75)
    price = 106_000 / 100_000 / 1.05 * 100  # implicit GDP deflator 100.952…
    volume = (950 / 800) / (price / 100) * 100
    assert city.real_growth == pytest.approx(volume - 100)
    assert city.contribution is not None
    # ΔVA = 800 × (I/100 − 1) = 950 / 1.00952 − 800 = 141.04…; ΔGDP = 100,000 × 5 % = 5000.
    assert city.contribution.contribution_rate == pytest.approx(
        800 * (volume / 100 - 1) / 5000 * 100
    )
    assert city.contribution.gdp_growth == pytest.approx(5.0)
    assert (city.units, city.reported, city.estimated) == (2, 1, 1)
    assert table_then.rows[0] == city
    assert categories_then["03"] == pytest.approx(450)
    assert categories_then["01"] == pytest.approx(500)

    # New, by hand: 2024 = 480 + 2500 × 0.24 + 300 (G) + 100 (F) = 1480;
    # 2023 = 400 + 2000 × 0.24 + 250 + 80 = 1210; GDP 107,000 with 5.5 %.
    city = now[0]
    assert city.core_value_added == pytest.approx(1480)
    assert city.gdp == pytest.approx(107_000)
    assert city.share == pytest.approx(1480 / 107_000 * 100)
    assert city.nominal_growth == pytest.approx((1480 / 1210 - 1) * 100)
    assert city.contribution is not None
    assert city.contribution.gdp_growth == pytest.approx(5.5)
    assert city.units == 4
    assert categories_now["03"] == pytest.approx(480 + 300 + 100)
    assert categories_now["01"] == pytest.approx(600)
    # 姜堰 had no classified unit before the revision.
    jiangyan_then = next(r for r in then if r.region == "321204")
    assert (jiangyan_then.units, jiangyan_then.core_value_added) == (0, 0)
    assert next(r for r in now if r.region == "321204").core_value_added == pytest.approx(100)


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'vintage.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        populate_with_a_revision(session)
    engine.dispose()
    return url


def city_value_added(database: str, *options: str) -> float:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["account", "--period", "2024", "--format", "json", "--database-url", database, *options],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["accounts"]
    return float(next(r for r in rows if r["region_code"] == "321200")["core_value_added_10k_yuan"])


def test_cli_account_takes_a_vintage_date_counted_to_the_end_of_that_day(database: str) -> None:
    # The revision was recorded on 2025-05-01 at 10:00 UTC: the day before shows the old figure,
    # that day (to its end, UTC, as progress --vintage-date reads it) already the new one.
    assert city_value_added(database, "--vintage-date", "2025-04-30") == pytest.approx(950)
    assert city_value_added(database, "--vintage-date", "2025-05-01") == pytest.approx(1480)
    assert city_value_added(database) == pytest.approx(1480)
    runner = CliRunner()
    table = runner.invoke(
        app,
        ["account", "--period", "2024", "--vintage-date", "2025-04-30", "--database-url", database],
    )
    assert table.exit_code == 0, table.output
    assert "2025-04-30" in table.output  # the output says which vintage it shows
    refused = runner.invoke(
        app,
        ["account", "--period", "2024", "--vintage-date", "30.4.2025", "--database-url", database],
    )
    assert refused.exit_code == 2
    assert "--vintage-date" in refused.output and "YYYY-MM-DD" in refused.output
