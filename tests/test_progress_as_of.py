"""Progress as of any period and any vintage date (issue 9, items 1–4 and 8), on the database:
only values of periods that end by the as-of period count, 序时进度 is that period's, counts
take what was recognised by then, and a vintage date replays what was known."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from demonitor.core.credit_code import check_character
from demonitor.core.periods import Period
from demonitor.reports.accounts import region_accounts
from demonitor.reports.progress import progress_table
from demonitor.services.imports import import_data
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import make_engine, session_scope, upgrade
from demonitor.store.models import Enterprise, Recognition, Target
from demonitor.store.observations import ObservationStore, SeriesKey

EDITION = "nbs-de-2021-reconstructed"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The demo database (small register): annual data 2020–2024 and January–June 2024/2025."""
    from demonitor.demo.database import build_demo

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        build_demo(session, rows=300, seed=3)
    yield engine
    engine.dispose()


def rows(session: Session, as_of: str, **options: object) -> dict[str, object]:
    table = progress_table(session, EDITION, Period.parse(as_of), **options)  # type: ignore[arg-type]
    return {p.code: p for p in table.rows}


# 1. Periods that end by the as-of quarter ----------------------------------------------------


def test_as_of_a_quarter_annual_values_of_that_year_are_not_yet_known(demo: Engine) -> None:
    with session_scope(demo) as session:
        report = rows(session, "2024Q2")
        first_half = region_accounts(session, EDITION, Period.parse("2024Q2"), ["321200"])[0]
    # Before: DE01 11.6 "@2024" and DE02 25 "@2024", 序时进度 (2024 − 2022) / 3 = 0.667.
    de01, de02 = report["DE01"], report["DE02"]
    # DE01 is the January–June 2024 (累计) share from the accounts, at 2023.5 on the time axis.
    assert de01.current_period == "2024Q2"  # type: ignore[attr-defined]
    assert de01.current_value == pytest.approx(first_half.share)  # type: ignore[attr-defined]
    # DE02 has annual values only: the last full year, 2023 (12 units), labelled so.
    assert (de02.current_value, de02.current_period) == (12.0, "2023")  # type: ignore[attr-defined]
    assert "最新数据为2023" in de02.method  # type: ignore[attr-defined]
    # 序时进度 as of 2024Q2: (2023.5 − 2022) / (2025 − 2022) = 0.5 for every indicator.
    assert {round(p.schedule, 9) for p in report.values()} == {0.5}  # type: ignore[attr-defined]


def test_a_quarterly_value_is_used_before_the_annual_one(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "t")
        store = ObservationStore(session, "t")
        store.record(SeriesKey("DE04", "321200", "2022"), 55.0)
        store.record(SeriesKey("DE04", "321200", "2023"), 58.0)
        store.record(SeriesKey("DE04", "321200", "2024Q2"), 59.5)
        store.record(SeriesKey("DE04", "321200", "2024"), 61.0)
    with session_scope(engine) as session:
        de04 = rows(session, "2024Q2")["DE04"]
        annual = rows(session, "2024")["DE04"]
    assert (de04.current_value, de04.current_period) == (59.5, "2024Q2")  # type: ignore[attr-defined]
    assert (annual.current_value, annual.current_period) == (61.0, "2024")  # type: ignore[attr-defined]


# 2. Counts from recognition lists as of a date ----------------------------------------------


def credit_code(n: int) -> str:
    body = f"91321202MA1B{n:05d}"
    return body + check_character(body)


def register_and_recognitions(engine: Engine, tmp_path: Path, recorded: list[str]) -> Path:
    with session_scope(engine) as session:
        seed_reference(session, "t")
        for n in range(30):
            session.add(
                Enterprise(
                    credit_code=credit_code(n),
                    name=f"示范工厂{n}",
                    region_code="321202",
                    industry_code="3911",
                    business_scope="",
                )
            )
    # DE09 (智能制造示范工厂, target 28 by 2025 from 2022): 11 recognised in 2023, 10 in 2024,
    # in 2025 one on 15 March, five on 20 November and two with no date (counted from the end
    # of 2025), and one in the base year 2022 itself, which is not "since the base".
    lines = ["名单,统一社会信用代码,认定年份,认定日期,级别,备注"]
    n = 0
    for year, day, how_many in [
        (2022, "2022-06-01", 1),
        (2023, "2023-09-01", 11),
        (2024, "", 10),
        (2025, "2025-03-15", 1),
        (2025, "2025-11-20", 5),
        (2025, "", 2),
    ]:
        for _ in range(how_many):
            lines.append(f"智能制造示范工厂,{credit_code(n)},{year},{day},省,")
            recorded.append(credit_code(n))
            n += 1
    path = tmp_path / "recognitions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_counts_take_what_was_recognised_by_the_as_of_date(engine: Engine, tmp_path: Path) -> None:
    path = register_and_recognitions(engine, tmp_path, [])
    result = import_data(engine, "recognitions", path, "市工业和信息化局")
    assert not result.errors, result.errors
    with session_scope(engine) as session:
        dates = {r.credit_code: r.recognised_on for r in session.scalars(select(Recognition))}
        quarter = rows(session, "2025Q2")["DE09"]
        year = rows(session, "2025")["DE09"]
        before = rows(session, "2024")["DE09"]
    assert dates[credit_code(1)] == dt.date(2023, 9, 1)  # a dated row keeps its day
    assert dates[credit_code(12)] is None  # 2024 without a date
    # As of 2025Q2: 11 + 10 + 1 = 22 (the November ones and the undated 2025 ones are not yet
    # there). 序时进度 (2024.5 − 2022) / 3 = 0.833; CS 22 / 28 = 0.786; R = 0.943 → accelerate.
    # Before: the whole of 2025 was counted (29) and 序时进度 was 1.0.
    assert quarter.current_value == 22  # type: ignore[attr-defined]
    assert quarter.schedule == pytest.approx(2.5 / 3)  # type: ignore[attr-defined]
    assert quarter.assessment.ratio == pytest.approx((22 / 28) / (2.5 / 3))  # type: ignore[attr-defined]
    assert quarter.category == "acceleration_needed"  # type: ignore[attr-defined]
    assert year.current_value == 29 and year.category == "achieved"  # type: ignore[attr-defined]
    assert before.current_value == 21  # type: ignore[attr-defined]


def test_a_recognition_date_outside_its_year_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = register_and_recognitions(engine, tmp_path, [])
    text = path.read_text(encoding="utf-8").replace("2025-03-15", "2024-03-15", 1)
    text = text.replace("2025-11-20", "20/11/2025", 1)
    path.write_text(text, encoding="utf-8")
    result = import_data(engine, "recognitions", path, "t")
    messages = [(e.column, e.reason_zh) for e in result.errors]
    assert any(c == "recognised_on" and "不在认定年份2025内" in zh for c, zh in messages)
    assert any(c == "recognised_on" and "应写作2024-11-28" in zh for c, zh in messages)
    with session_scope(engine) as session:
        assert session.scalars(select(Recognition)).first() is None  # nothing half-written


# 4. Vintage dates ---------------------------------------------------------------------------


def test_counts_replay_what_was_known_on_a_vintage_date(engine: Engine, tmp_path: Path) -> None:
    path = register_and_recognitions(engine, tmp_path, [])
    with session_scope(engine) as session:
        store = ObservationStore(session, "t")
        store.record(SeriesKey("DE09", "321200", "2022"), 0.0)
        store.record(SeriesKey("DE09", "321200", "2024"), 18.0)  # reported before the list
    known_before = dt.datetime.now(dt.UTC)
    assert not import_data(engine, "recognitions", path, "t").errors
    with session_scope(engine) as session:
        then = rows(session, "2024", known_at=known_before)["DE09"]
        now = rows(session, "2024")["DE09"]
    # Before the list was imported the count came from the reported value; after, from the list.
    assert then.current_value == 18.0  # type: ignore[attr-defined]
    assert now.current_value == 21.0  # type: ignore[attr-defined]


# 8. Any base year ---------------------------------------------------------------------------


def test_a_base_year_without_data_uses_the_first_value_after_it(demo: Engine) -> None:
    with session_scope(demo) as session:
        session.execute(update(Target).values(base_year=2020))
        try:
            report = rows(session, "2024")
        finally:
            session.rollback()
    rates = [p for p in report.values() if p.kind == "ratio" and p.code != "DE01"]  # type: ignore[attr-defined]
    # Before: 12 rate indicators were no_data ("one data point only") although they had
    # 2022–2024; now the 2022 value is the base and the method text says so.
    assert len(rates) == 13
    assert not [p.code for p in rates if p.category == "no_data"]  # type: ignore[attr-defined]
    de04 = report["DE04"]
    assert de04.base_value == 55.0 and de04.base_time == 2022.0  # type: ignore[attr-defined]
    assert "基期2020年无数据，以2022值为基期" in de04.method  # type: ignore[attr-defined]


# 3. Every figure shows its own period ---------------------------------------------------------


def test_the_overview_shows_the_year_to_date_share_beside_the_full_year(demo: Engine) -> None:
    from demonitor.reports.dashboard import build_overview

    with session_scope(demo) as session:
        overview = build_overview(session, EDITION)
        ytd = region_accounts(session, EDITION, Period.parse("2025Q2"), ["321200"])[0]
        year_before = region_accounts(session, EDITION, Period.parse("2024Q2"), ["321200"])[0]
        full_year = region_accounts(session, EDITION, 2024, ["321200"])[0]
    # Before: "数据截至2025Q2" above 2024 figures, and the January–June 2025 share nowhere.
    assert overview.as_of == "2025Q2" and overview.share_year == 2024
    assert overview.share == pytest.approx(full_year.share)
    assert overview.share_ytd_period == "2025Q2"
    assert overview.share_ytd_label_zh == "2025年1—6月"
    assert overview.share_ytd == pytest.approx(ytd.share)
    assert overview.share_ytd_year_before == pytest.approx(year_before.share)
    periods = {card.code: card.period for card in overview.cards}
    assert periods["DE01"] == "2025Q2" and periods["DE04"] == "2024"


def test_a_latest_period_of_q4_is_a_full_year(engine: Engine) -> None:
    from demonitor.reports.common import latest_year

    with session_scope(engine) as session:
        seed_reference(session, "t")
        ObservationStore(session, "t").record(
            SeriesKey("GDP", "321200", "2024Q4", cumulative=True), 6_900_000.0
        )
    with session_scope(engine) as session:
        assert latest_year(session) == 2024  # before: 2023
