"""Value-added accounts and progress from stored microdata, against hand calculations."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from demonitor.core.accounts import roll_up
from demonitor.core.periods import Period
from demonitor.reports.accounts import region_accounts
from demonitor.store.account_cells import account_cells
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import session_scope
from demonitor.store.models import Classification, Enterprise, Financial, ValueAddedRate
from demonitor.store.observations import ObservationStore, SeriesKey, ensure_period

EDITION = "nbs-de-2021-reconstructed"
NOW = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def enterprise(session: Session, code: str, region: str, industry: str, de: str | None) -> None:
    session.add(
        Enterprise(
            credit_code=code,
            name=code,
            region_code=region,
            industry_code=industry,
            business_scope="",
        )
    )
    session.flush()
    session.add(
        Classification(
            credit_code=code,
            edition=EDITION,
            de_code=de,
            status="classified" if de else "not_digital",
            method="test",
            vintage=1,
            recorded_at=NOW,
            recorded_by="t",
        )
    )


def figures(
    session: Session, code: str, year: int, revenue: float | None, value_added: float | None
) -> None:
    session.add(
        Financial(
            credit_code=code,
            period=ensure_period(session, str(year)),
            revenue=revenue,
            value_added=value_added,
            vintage=1,
            recorded_at=NOW,
            recorded_by="t",
        )
    )


def populate(session: Session) -> None:
    seed_reference(session, "t")
    # A software firm in 海陵 reports its value added; a component maker in the 医药高新区 zone
    # (counted under 高港) is estimated from its class rate; an internet retailer in 高港 from its
    # division rate; a chemical firm is not digital; one digital firm has no figures at all.
    enterprise(session, "A", "321202", "6513", "030103")
    enterprise(session, "B", "321271", "3982", "010514")
    enterprise(session, "C", "321203", "5292", "040202")
    enterprise(session, "D", "321283", "2614", None)
    enterprise(session, "E", "321204", "6520", "030401")
    for code, year, revenue, va in [
        ("A", 2023, 900, 400),
        ("A", 2024, 1000, 450),
        ("B", 2023, 2000, None),
        ("B", 2024, 2500, None),
        ("C", 2023, 500, None),
        ("C", 2024, 600, None),
        ("D", 2024, 9000, 3000),
    ]:
        figures(session, code, year, revenue, va)
    for industry, rate in (("3982", 0.2), ("52", 0.1), ("5292", None)):
        if rate is not None:
            session.add(
                ValueAddedRate(
                    industry_code=industry, year=2020, rate=rate, recorded_at=NOW, recorded_by="t"
                )
            )
    store = ObservationStore(session, "t")
    for region, gdp_2023, gdp_2024, growth in (
        ("321200", 100_000, 106_000, 5.0),
        ("321202", 20_000, 21_000, 4.0),
    ):
        store.record(SeriesKey("GDP", region, "2023"), gdp_2023)
        store.record(SeriesKey("GDP", region, "2024"), gdp_2024)
        store.record(SeriesKey("GDP_growth", region, "2024"), growth)
    session.flush()


def test_value_added_by_region_and_category_by_hand(engine: Engine) -> None:
    with session_scope(engine) as session:
        populate(session)
        cells = roll_up(account_cells(session, EDITION, Period(2024)), 2)
        # 海陵 03: reported 450. 高港 01: zone firm B, 2500 × 0.2 = 500. 高港 04: C, 600 × 0.1 = 60.
        assert cells[("321202", "03")].value_added == pytest.approx(450)
        assert cells[("321202", "03")].reported == 1
        assert cells[("321203", "01")].value_added == pytest.approx(500)
        assert cells[("321203", "04")].value_added == pytest.approx(60)
        assert cells[("321203", "04")].estimated == 1
        assert cells[("321204", "03")].missing == 1  # E has no figures: counted
        assert ("321283", "05") not in cells  # D is not a digital unit


def test_share_growth_and_contribution_by_hand(engine: Engine) -> None:
    with session_scope(engine) as session:
        populate(session)
        city, hailing = region_accounts(session, EDITION, 2024, ["321200", "321202"])
    # City core VA 2024 = 450 + 500 + 60 = 1010; 2023 = 400 + 2000×0.2 + 500×0.1 = 850.
    assert city.core_value_added == pytest.approx(1010)
    assert city.share == pytest.approx(1010 / 106_000 * 100)
    assert city.nominal_growth == pytest.approx((1010 / 850 - 1) * 100)
    # GDP deflator: (106000/100000) / 1.05 × 100 = 100.952…; core volume index =
    # (1010/850) / 1.00952 × 100; ΔVA = 850 × (I/100 − 1); ΔGDP = 100000 × 0.05 = 5000.
    price = 106_000 / 100_000 / 1.05 * 100
    volume = (1010 / 850) / (price / 100) * 100
    assert city.real_growth == pytest.approx(volume - 100)
    assert city.contribution is not None
    assert city.contribution.contribution_rate == pytest.approx(
        850 * (volume / 100 - 1) / 5000 * 100
    )
    assert city.contribution.pull == pytest.approx(5.0 * city.contribution.contribution_rate / 100)
    assert (city.units, city.reported, city.estimated, city.missing) == (4, 1, 2, 1)
    assert hailing.core_value_added == pytest.approx(450)
    assert hailing.share == pytest.approx(450 / 21_000 * 100)


@pytest.mark.slow
def test_the_demo_database_follows_its_documented_paths(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from demonitor.demo.database import build_demo
    from demonitor.reference.city import load_city
    from demonitor.reports.progress import progress_table
    from demonitor.store.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        summary = build_demo(session, rows=1500, seed=11)
    demo = load_city().demo
    assert demo.revision is not None
    assert summary.enterprises > 1400 and summary.classified > 200
    with session_scope(engine) as session:
        for year, share in demo.core_share_path.items():
            city = region_accounts(session, EDITION, year, ["321200"])[0]
            assert city.share == pytest.approx(share), year
        # The published figures are stored as such; 2021 is chained from published growth.
        store = ObservationStore(session, "t")
        gdp_2022 = store.latest(SeriesKey("GDP", "321200", "2022"))
        assert gdp_2022 is not None and gdp_2022.value == pytest.approx(6401.77 * 10_000)
        assert not gdp_2022.demo and "published" in gdp_2022.note
        gdp_2021 = store.latest(SeriesKey("GDP", "321200", "2021"))
        assert gdp_2021 is not None and gdp_2021.demo
        revision = demo.revision
        key = SeriesKey(revision.indicator, "321200", revision.period)
        assert [v.value for v in store.vintages(key)] == [revision.first, revision.revised]
        for year in (2020, 2024):
            districts = sum(
                (store.latest(SeriesKey("GDP", code, str(year))) or gdp_2022).value or 0
                for code in ("321202", "321203", "321204", "321281", "321282", "321283")
            )
            city_gdp = store.latest(SeriesKey("GDP", "321200", str(year)))
            assert city_gdp is not None and districts == pytest.approx(city_gdp.value)
        report = {p.code: p for p in progress_table(session, EDITION, Period.parse("2024Q4")).rows}
    assert len(report) == 23
    assert report["DE01"].current_value == pytest.approx(demo.core_share_path[2024])
    assert report["DE05"].current_value == demo.indicator_paths["DE05"][2024]
    assert report["DE14"].category == "achieved"
    assert report["DE21"].lagging


def test_alerts_say_why(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from demonitor.demo.database import build_demo
    from demonitor.reports.progress import progress_table
    from demonitor.store.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        build_demo(session, rows=300, seed=3)
        found = {a.code: a for a in progress_table(session, EDITION, Period(2024)).alerts}
        statcan = {
            a.code: a
            for a in progress_table(session, EDITION, Period(2024), method="statcan").alerts
        }
    # DE21: 40, 45, 48 (2022–2024) against 100 %. ESCAP (the default): OLS slope 4 a year
    # through (2023, 44.33), so 52.33 in 2025; gap (100 − 52.33) / (100 − 40) = 79 %.
    assert "DE21" in found
    assert any("2025年约52.33" in r and "差距79%" in r for r in found["DE21"].reasons_zh)
    assert any("触警阈值60" in r for r in found["DE21"].reasons_zh)
    # StatCan: 40 → 48 over 2 of 3 years gives R = 0.27 (CAGR 9.54 % against 35.7 % required).
    assert any("R=0.27" in r for r in statcan["DE21"].reasons_zh)
    # DE17: 60, 75, 82 towards ">95". Its StatCan ratio is on pace (R 1.02), but the trend
    # reaches only 94.33 by 2025 (slope 11, 72.33 + 2 × 11), which is not above 95: ESCAP asks
    # to accelerate, and says on which projection. 82 is above its alarm threshold of 80.
    assert "DE17" not in statcan
    assert any("2025年约94.33" in r for r in found["DE17"].reasons_zh)
    assert "DE14" not in found  # achieved


def test_quarterly_data_move_the_schedule(engine: Engine) -> None:
    from demonitor.reports.progress import progress_table

    with session_scope(engine) as session:
        seed_reference(session, "t")
        store = ObservationStore(session, "t")
        store.record(SeriesKey("DE04", "321200", "2022"), 55.0)
        store.record(SeriesKey("DE04", "321200", "2024"), 61.0)
        store.record(SeriesKey("DE04", "321200", "2025Q2"), 63.0)
        report = {p.code: p for p in progress_table(session, EDITION, Period.parse("2025Q2")).rows}
    de04 = report["DE04"]
    assert de04.current_value == 63.0 and de04.current_period == "2025Q2"
    assert de04.assessment is not None
    # 2025Q2 ends at 2024.5 on the axis where 2022 ends at 2022: 序时进度 = 2.5 / 3.
    assert de04.assessment.time_elapsed == pytest.approx(2.5 / 3)
    assert de04.assessment.current_status == pytest.approx((63 - 55) / (65 - 55))
    achieved = (63 / 55) ** (1 / 2.5) - 1
    required = (65 / 55) ** (1 / 3) - 1
    assert de04.assessment.ratio == pytest.approx(achieved / required)


def test_targets_and_alarms_are_set_with_a_reason_and_vintage_dates_replay_the_past(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    from sqlalchemy import select
    from typer.testing import CliRunner

    from demonitor.cli import app
    from demonitor.demo.database import build_demo
    from demonitor.store.db import make_engine, upgrade
    from demonitor.store.models import AuditEntry, Target

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        build_demo(session, rows=300, seed=5)
    runner = CliRunner()
    refused = runner.invoke(app, ["target", "set", "DE05", "--alarm", "78", "--database-url", url])
    assert refused.exit_code == 2 and "--reason" in refused.output
    done = runner.invoke(
        app,
        [
            "target",
            "set",
            "DE05",
            "--alarm",
            "78",
            "--reason",
            "领导小组会议决定",
            "--database-url",
            url,
        ],
    )
    assert done.exit_code == 0, done.output
    district = runner.invoke(
        app,
        [
            "target",
            "set",
            "DE13",
            "--region",
            "321202",
            "--target",
            "100",
            "--reason",
            "分解到区",
            "--database-url",
            url,
        ],
    )
    assert district.exit_code == 0, district.output
    with session_scope(engine) as session:
        de05 = session.scalars(select(Target).where(Target.indicator_code == "DE05")).one()
        assert de05.alarm_threshold == 78
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "target").order_by(AuditEntry.id)
        ).first()
        assert entry is not None and entry.reason == "领导小组会议决定"
        assert entry.before is not None and entry.before["alarm"] is None
        assert (
            session.scalars(select(Target).where(Target.region_code == "321202"))
            .one()
            .indicator_code
            == "DE13"
        )
    # DE05 for 2023 was 75.0 until revised to 75.6 on 2024-06-30: the past can be replayed.
    before = runner.invoke(
        app,
        [
            "progress",
            "--as-of",
            "2023",
            "--vintage-date",
            "2024-03-01",
            "--format",
            "json",
            "--database-url",
            url,
        ],
    )
    after = runner.invoke(
        app, ["progress", "--as-of", "2023", "--format", "json", "--database-url", url]
    )
    import json

    value_then = {r["code"]: r for r in json.loads(before.output)}["DE05"]["current_value"]
    value_now = {r["code"]: r for r in json.loads(after.output)}["DE05"]["current_value"]
    assert (value_then, value_now) == (75.0, 75.6)


def test_quarterly_forecasts_use_single_quarters_from_cumulative_figures(engine: Engine) -> None:
    from demonitor.store.forecasting import NotEnoughData, forecast_quarters, single_quarters

    with session_scope(engine) as session:
        seed_reference(session, "t")
        store = ObservationStore(session, "t")
        # Two published 2023 quarters (亿元 → 万元) and a gap in 2024: too few for a forecast.
        store.record(SeriesKey("GDP", "321200", "2023Q1", cumulative=True), 16_510_000)
        store.record(SeriesKey("GDP", "321200", "2023Q2", cumulative=True), 32_087_800)
        quarters = single_quarters(session, "GDP", "321200")
        # Hand: 2023Q2 = 3208.78 − 1651 = 1557.78 亿元.
        assert quarters[Period.parse("2023Q2")] == pytest.approx(15_577_800)
        with pytest.raises(NotEnoughData, match="至少需要8个"):
            forecast_quarters(session, "GDP", "321200", horizon=4)
        for year in (2021, 2022):
            for quarter, cumulative in enumerate((100.0, 210.0, 330.0, 460.0), start=1):
                store.record(
                    SeriesKey("GDP", "321200", f"{year}Q{quarter}", cumulative=True),
                    cumulative * (1 + (year - 2021) * 0.05),
                )
        store.record(SeriesKey("GDP", "321200", "2023Q3", cumulative=True), 48_000_000)
        # 2023 still starts a run, but 2022Q4 → 2023Q1 joins it: 11 consecutive quarters.
        assert len(single_quarters(session, "GDP", "321200")) == 11
        result = forecast_quarters(session, "GDP", "321200", horizon=2, method="arima")
    assert [str(p) for p in result.periods] == ["2023Q4", "2024Q1"]
    assert len(result.forecast.mean) == 2


def test_quarterly_accounts_are_cumulative_against_the_same_period_a_year_before(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "t")
        enterprise(session, "A", "321202", "6513", "030103")
        figures(session, "A", 2023, None, None)  # annual rows do not enter quarterly accounts
        session.add_all(
            [
                Financial(
                    credit_code="A",
                    period=ensure_period(session, "2023Q2"),
                    revenue=None,
                    value_added=200.0,
                    vintage=1,
                    recorded_at=NOW,
                    recorded_by="t",
                ),
                Financial(
                    credit_code="A",
                    period=ensure_period(session, "2024Q2"),
                    revenue=None,
                    value_added=230.0,
                    vintage=1,
                    recorded_at=NOW,
                    recorded_by="t",
                ),
            ]
        )
        store = ObservationStore(session, "t")
        store.record(SeriesKey("GDP", "321200", "2023Q2", cumulative=True), 30_000)
        store.record(SeriesKey("GDP", "321200", "2024Q2", cumulative=True), 31_800)
        store.record(SeriesKey("GDP_growth", "321200", "2024Q2", cumulative=True), 5.0)
        session.flush()
        city = region_accounts(session, EDITION, Period.parse("2024Q2"), ["321200"])[0]
    # January–June: VA 230 against 200; GDP 31,800 against 30,000 with 5 % comparable growth.
    assert city.period == "2024Q2"
    assert city.core_value_added == pytest.approx(230)
    assert city.share == pytest.approx(230 / 31_800 * 100)
    price = 31_800 / 30_000 / 1.05 * 100
    volume = (230 / 200) / (price / 100) * 100
    assert city.contribution is not None
    assert city.contribution.contribution_rate == pytest.approx(
        200 * (volume / 100 - 1) / 1500 * 100
    )


@pytest.mark.slow
def test_every_output_of_a_demo_database_says_it_is_synthetic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from demonitor.cli import app
    from demonitor.demo.database import build_demo
    from demonitor.store.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        build_demo(session, rows=300, seed=9)
    runner = CliRunner()
    for command in (["account", "--period", "2024"], ["progress", "--as-of", "2024"], ["forecast"]):
        result = runner.invoke(app, [*command, "--database-url", url])
        assert result.exit_code == 0, result.output
        assert "演示数据" in result.output and "synthetic" in result.output
    rows = json.loads(
        runner.invoke(
            app, ["progress", "--as-of", "2024", "--format", "json", "--database-url", url]
        ).output
    )
    assert all(row["demo_data"] for row in rows)
    de02 = next(row for row in rows if row["code"] == "DE02")
    # 40 by 2025 from 2022: two thirds of the time gone by 2024, so 26.67 expected by now.
    assert de02["expected_by_now"] == pytest.approx(80 / 3)
