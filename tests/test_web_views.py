"""What the dashboard shows agrees with the store's own computations and with hand figures."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from demonitor.core.permissions import Principal, Role
from demonitor.demo.database import build_demo
from demonitor.reports.accounts import region_accounts
from demonitor.reports.dashboard import (
    compute_districts,
    compute_overview,
    latest_period,
    pillars_of_indicators,
    visible_overview,
)
from demonitor.store.db import session_scope
from demonitor.web.charts import districts_charts, overview_charts
from demonitor.web.i18n import number, points, yi

EDITION = "nbs-de-2021-reconstructed"


def test_officials_read_money_in_yi_yuan_and_differences_in_points() -> None:
    assert yi(8_297_344.6) == "829.7"  # 万元 → 亿元, one decimal
    assert yi(None) == "—"
    assert number(11.5999) == "11.6"
    assert number(40.0) == "40"  # a count
    assert number(61.0, fixed=True) == "61.0"  # a rate in a column of rates
    assert points(11.6 - 13.5) == "-1.9个百分点"
    assert points(0.25, "en") == "+0.2 pp"


def test_pillars_follow_the_key_tasks_of_the_policy() -> None:
    pillar = pillars_of_indicators()
    assert pillar["DE03"] == "一"  # task 1, 关键技术攻关
    assert pillar["DE05"] == "二"  # task 4, 制造业数字化转型
    assert pillar["DE01"] == "三"  # tasks 7–9, the core industries
    assert "DE23" not in pillar  # the 泰 brands: a general target, tied to no task


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        build_demo(session, rows=300, seed=11)
    return engine


def test_the_overview_shows_the_accounts_and_the_progress_report(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        overview = compute_overview(session, EDITION, demo=True)
        account = region_accounts(session, EDITION, 2024, ["321200"])[0]
        assert latest_period(session).__str__() == "2025Q2"
    assert overview.share_year == 2024
    assert overview.share == pytest.approx(account.share)
    assert sum(c.value_added for c in overview.categories) == pytest.approx(
        account.core_value_added
    )
    assert len(overview.cards) == 23
    assert sum(sum(p.counts.values()) for p in overview.pillars) == 23
    charts = overview_charts(overview, "zh")
    assert charts["gauge"]["target"] == 13.5
    assert sum(i["value"] for i in charts["categories"]["items"]) == pytest.approx(
        account.core_value_added / 10_000, abs=0.05 * len(overview.categories)
    )
    public = visible_overview(overview, Principal(Role.PUBLIC), "321200")
    assert [c.code for c in public.cards] == ["DE01"]
    assert sum(sum(p.counts.values()) for p in public.pillars) == 1


def test_district_rows_add_up_to_the_city(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        data = compute_districts(session, EDITION, 2024)
    assert len(data.districts) == 6
    assert sum(r.core_value_added for r in data.districts) == pytest.approx(
        data.city.core_value_added
    )
    assert sum(r.gdp or 0 for r in data.districts) == pytest.approx(data.city.gdp, rel=1e-9)
    tiles = districts_charts(data, "zh")["tiles"]["tiles"]
    assert {(t["x"], t["y"]) for t in tiles} == {(1, 0), (1, 1), (2, 1), (0, 2), (1, 2), (2, 3)}


def test_a_districts_page_shows_the_values_it_reported_beside_the_citys(engine: Engine) -> None:
    from demonitor.reports.dashboard import district_indicators
    from demonitor.store.catalogue import seed_reference
    from demonitor.store.observations import ObservationStore, SeriesKey

    with session_scope(engine) as session:
        seed_reference(session, "test")
        store = ObservationStore(session, "test")
        store.record(SeriesKey("DE05", "321202", "2023"), 70.0)
        store.record(SeriesKey("DE05", "321202", "2024"), 72.5)
        store.record(SeriesKey("DE05", "321200", "2024"), 79.1)
        shown = {i.code: i for i in district_indicators(session, "321202")}
    assert (shown["DE05"].period, shown["DE05"].value, shown["DE05"].city_value) == (
        "2024", 72.5, 79.1,
    )  # fmt: skip
    assert (shown["DE04"].period, shown["DE04"].value) == (None, None)


def test_the_demo_districts_rates_centre_on_the_citys(demo_engine: Engine) -> None:
    from demonitor.store.observations import ObservationStore, SeriesKey

    districts = ("321202", "321203", "321204", "321281", "321282", "321283")
    with session_scope(demo_engine) as session:
        store = ObservationStore(session, "test")

        def value(region: str) -> float:
            found = store.latest(SeriesKey("DE05", region, "2024"))
            assert found is not None and found.value is not None and found.demo
            return found.value

        mean = sum(value(r) for r in districts) / len(districts)
        assert mean == pytest.approx(value("321200"), abs=0.05)  # each rounded to 0.1


def test_an_indicator_page_of_a_database_without_data_is_not_a_500(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Issue 10 (found while hardening): 序时进度 is known before any value, the completion is not.
    from fastapi.testclient import TestClient

    from demonitor.store.catalogue import seed_reference
    from demonitor.store.db import make_engine, session_scope, upgrade
    from demonitor.web.app import create_app
    from demonitor.web.settings import Settings

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        seed_reference(session, "t")
    client = TestClient(create_app(Settings.load(url)), raise_server_exceptions=False)
    answer = client.get("/indicators/DE01")
    assert answer.status_code == 200, answer.text[:500]
