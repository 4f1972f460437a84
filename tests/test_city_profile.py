"""The city profile: one folder of data per city, selected by DEMONITOR_CITY.

Loading and checking it, adding an indicator as one row plus its data, and a made-up second
city of three districts seeded into a database.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from demonitor.cli import app
from demonitor.core.periods import Period
from demonitor.reference.city import (
    CityProfileError,
    RecognitionSource,
    load_city,
    packaged_cities,
    resolve_city,
)
from demonitor.reference.digital_economy import DEFAULT_EDITION
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import alembic_config, head_revision, make_engine, session_scope
from demonitor.store.models import AuditEntry, Indicator, Region, Target
from demonitor.store.observations import ObservationStore, SeriesKey

SECOND_CITY = Path(__file__).parent / "fixtures" / "cities" / "yangli"


@pytest.fixture(autouse=True)
def default_city(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMONITOR_CITY", raising=False)


def copy_of_taizhou(tmp_path: Path) -> Path:
    folder = tmp_path / "taizhou-copy"
    shutil.copytree(resolve_city("taizhou"), folder)
    return folder


def rewrite(path: Path, change: dict[tuple[int, str], str]) -> None:
    """Set cells of a CSV: (row as numbered in error messages, header = 1; column) → value."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for (number, column), value in change.items():
        rows[number - 2][column] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def append(path: Path, row: dict[str, str]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, header, lineterminator="\n").writerow(row)


def test_the_taizhou_profile_holds_what_the_code_used_to() -> None:
    assert packaged_cities() == ["taizhou"]
    city = load_city()
    assert (city.name, city.code, city.name_zh, city.edition) == (
        "taizhou",
        "321200",
        "泰州市",
        DEFAULT_EDITION,
    )
    assert (city.base_year, city.target_year) == (2022, 2025)
    assert city.regions.city().code == city.code and len(list(city.regions)) == 8
    assert len(city.indicators) == 23 and city.codes()[0] == "DE01"
    de01 = city.indicator("DE01")
    assert (de01.source, de01.level, de01.natural_limit, de01.tolerance) == (
        "accounts",
        "公开",
        None,
        0.3,
    )
    assert de01.computed_from_accounts and not de01.submitted
    assert city.not_submitted() == ("DE01",)
    assert city.collected_by_district() == ("DE04", "DE05", "DE06", "DE12", "DE13", "DE15", "DE16")
    assert city.counted_from_recognitions()["DE02"] == RecognitionSource("高新技术企业", True)
    assert set(city.counted_from_recognitions()) == {"DE02", "DE07", "DE08", "DE09", "DE10"}
    rates = [s for s in city.indicators if s.unit == "%" and s.code != "DE01"]
    assert {s.natural_limit for s in rates} == {100.0}
    assert {s.level for s in city.indicators[1:]} == {"内部"}
    assert all(s.base_year == 2022 and s.direction == "higher" for s in city.indicators)
    counts = {s.code for s in city.indicators if s.measure == "count_since_base"}
    # DE23 counts the 「泰」 brands in existence (one at the base), not those built since (issue 9)
    assert counts == {s.code for s in city.indicators if s.kind == "count_cumulative"} - {"DE23"}
    assert city.indicator("DE23").measure == "stock"
    assert city.indicator("DE18").aspirational and not city.indicator("DE17").aspirational
    assert city.tile_positions()["321281"] == (1, 0)  # 兴化 in the north
    assert set(city.tile_positions()) == {r.code for r in city.regions.county_level()}
    assert city.demo.years == (2020, 2021, 2022, 2023, 2024) and city.demo.seed == 2025
    assert city.demo.indicator_paths["DE05"] == {2022: 72.0, 2023: 75.6, 2024: 79.1}
    with pytest.raises(KeyError, match="unknown indicator"):
        city.indicator("DE99")


def test_the_setting_names_a_packaged_profile_or_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMONITOR_CITY", str(SECOND_CITY))
    assert load_city().code == "999900"
    monkeypatch.setenv("DEMONITOR_CITY", "taizhou")
    assert load_city().code == "321200"
    monkeypatch.setenv("DEMONITOR_CITY", str(tmp_path / "nowhere"))
    with pytest.raises(CityProfileError) as error:
        load_city()
    assert "taizhou" in str(error.value) and "city.toml" in str(error.value)


def test_bad_rows_are_named_by_file_row_column_and_reason(tmp_path: Path) -> None:
    folder = copy_of_taizhou(tmp_path)
    rewrite(
        folder / "indicators.csv",
        {
            (3, "direction"): "sideways",
            (4, "level"): "秘密",
            (5, "source"): "recognitions",
            (6, "natural_limit"): "50",  # DE05's target is 80
            (7, "measure"): "count_since_base",  # DE06 is a rate
            (8, "base_year"): "22",
            (9, "comparator"): "le",  # DE08 is higher is better
            (10, "direction"): "lower",  # DE09 is "at least 28" (ge)
        },
    )
    rewrite(folder / "tiles.csv", {(2, "column"): "-1", (3, "code"): "321271"})
    with pytest.raises(CityProfileError) as raised:
        load_city(str(folder))
    found = {(Path(p.file).name, p.row, p.column): p for p in raised.value.problems}
    direction = found["indicators.csv", 3, "direction"]
    assert "sideways" in direction.zh and "higher, lower" in direction.en
    assert "公开/内部/涉密" in found["indicators.csv", 4, "level"].zh
    assert "recognitions:<list name>" in found["indicators.csv", 5, "source"].en
    assert "natural limit 50" in found["indicators.csv", 6, "natural_limit"].en
    assert ("indicators.csv", 7, "measure") in found
    assert "four-digit year" in found["indicators.csv", 8, "base_year"].en
    assert "not le" in found["indicators.csv", 9, "comparator"].en
    assert "takes le or lt, not ge" in found["indicators.csv", 10, "comparator"].en
    assert ("tiles.csv", 2, "column") in found
    assert "county-level" in found["tiles.csv", 3, "code"].en  # a zone has no tile
    message = str(raised.value)
    assert "indicators.csv 第3行 列direction" in message
    assert "indicators.csv row 3, column direction" in message


def test_a_profile_must_agree_with_itself(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(SECOND_CITY, folder)
    settings = (folder / "city.toml").read_text(encoding="utf-8")
    (folder / "city.toml").write_text(
        settings.replace('code = "999900"', 'code = "999999"') + "colour = 'blue'\n",
        encoding="utf-8",
    )
    append(folder / "indicators.csv", {**_row(folder, "YL04"), "code": "YL04"})
    rewrite(folder / "regions.csv", {(3, "parent"): "888800"})
    (folder / "tiles.csv").write_text("code,column,row\n999901,0,0\n999902,0,0\n", "utf-8")
    with pytest.raises(CityProfileError) as raised:
        load_city(str(folder))
    reasons = [(Path(p.file).name, p.row, p.column, p.en) for p in raised.value.problems]
    assert ("city.toml", 0, "city.code") in [r[:3] for r in reasons]
    assert ("indicators.csv", 6, "code", "duplicate code YL04") in reasons
    assert ("regions.csv", 3, "parent", "refers to unknown region 888800") in reasons
    assert any(r[:3] == ("tiles.csv", 3, "column") and "taken" in r[3] for r in reasons)
    assert ("city.toml", 0, "city.colour", "unknown setting") in reasons


def _row(folder: Path, code: str) -> dict[str, str]:
    with (folder / "indicators.csv").open(encoding="utf-8", newline="") as handle:
        return next(r for r in csv.DictReader(handle) if r["code"] == code)


def test_adding_an_indicator_is_one_row_plus_its_data(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy_of_taizhou(tmp_path)
    append(
        folder / "indicators.csv",
        {
            **_row(folder, "DE21"),
            "code": "DE24",
            "name_zh": "数据要素登记率",
            "name_en": "Registered data assets rate",
            "target": "60",
            "wording_zh": "数据要素登记率达到60%",
            "level": "公开",
        },
    )
    monkeypatch.setenv("DEMONITOR_CITY", str(folder))
    with session_scope(engine) as session:
        assert seed_reference(session, "tester") == 8 + 24 * 2
        indicator = session.get(Indicator, "DE24")
        assert indicator is not None and indicator.name_zh == "数据要素登记率"
        assert (indicator.level, indicator.natural_limit, indicator.source) == (
            "公开",
            100.0,
            "observations",
        )
        target = session.scalars(select(Target).where(Target.indicator_code == "DE24")).one()
        assert (target.region_code, target.base_year, target.target, target.comparator) == (
            "321200",
            2022,
            60.0,
            "ge",
        )
        # … plus its data: the progress report follows it like any other indicator.
        store = ObservationStore(session, "tester")
        for year, value in ((2022, 30.0), (2023, 40.0), (2024, 50.0)):
            store.record(SeriesKey("DE24", "321200", str(year)), value)
    from demonitor.reports.progress import progress_table

    with session_scope(engine) as session:
        report = {p.code: p for p in progress_table(session, DEFAULT_EDITION, Period(2024)).rows}
    assert len(report) == 24
    assert report["DE24"].current_value == 50.0 and report["DE24"].base_value == 30.0
    assert report["DE24"].category == "on_track"


def test_a_second_city_of_three_districts_is_data(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMONITOR_CITY", str(SECOND_CITY))
    with session_scope(engine) as session:
        assert seed_reference(session, "tester") == 4 + 4 * 2
    with session_scope(engine) as session:
        assert seed_reference(session, "tester") == 0
        regions = {r.code: r for r in session.scalars(select(Region))}
        assert set(regions) == {"999900", "999901", "999902", "999981"}
        assert [c for c, r in regions.items() if r.level == "city"] == ["999900"]
        indicators = {i.code: i for i in session.scalars(select(Indicator))}
        assert set(indicators) == {"YL01", "YL02", "YL03", "YL04"}
        assert indicators["YL01"].source == "accounts" and indicators["YL01"].level == "公开"
        assert indicators["YL02"].source == "recognitions:高新技术企业:digital_only"
        assert indicators["YL03"].collected_by == "district"
        assert indicators["YL03"].frequency == "Q" and indicators["YL03"].missing_base == (
            "first_value"
        )
        assert indicators["YL04"].level == "涉密"
        targets = {t.indicator_code: t for t in session.scalars(select(Target))}
        assert {t.region_code for t in targets.values()} == {"999900"}
        assert {t.base_year for t in targets.values()} == {2023}
        assert {t.target_year for t in targets.values()} == {2027}
        assert targets["YL01"].tolerance == 0.5 and targets["YL03"].aspirational


def test_init_seeds_the_city_the_setting_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMONITOR_CITY", str(SECOND_CITY))
    url = f"sqlite:///{tmp_path / 'yangli.db'}"
    result = CliRunner().invoke(app, ["init", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.output and " 12 " in result.output
    engine = make_engine(url)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Indicator)) == 4
        city = session.scalars(select(Region).where(Region.level == "city")).one()
        assert city.name_zh == "样例市"
    engine.dispose()


def test_0006_upgrades_a_seeded_0005_database_and_init_aligns_it(engine: Engine) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "0005")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO indicators (code, section, name_zh, name_en, unit, kind, owner_zh,"
                " frequency, direction, level) VALUES"
                " ('DE01', '一', '占比', 'share', '%', 'ratio', '统计局', 'A', 1, '公开'),"
                " ('DE02', '一', '企业数', 'count', '家', 'count_cumulative', '科技局', 'A', 1,"
                " '内部'),"
                " ('DE22', '二.14', '双千兆', 'dual gigabit', '是/否', 'milestone', '工信局', 'A',"
                " 1, '内部')"
            )
        )
    command.upgrade(config, "head")
    with session_scope(engine) as session:
        rows = {i.code: i for i in session.scalars(select(Indicator))}
        assert (rows["DE01"].measure, rows["DE01"].missing_base, rows["DE01"].source) == (
            "stock",
            "no_assessment",
            "observations",
        )
        assert (rows["DE02"].measure, rows["DE02"].missing_base) == ("count_since_base", "zero")
        assert rows["DE22"].missing_base == "zero"
    with session_scope(engine) as session:
        seed_reference(session, "tester")  # what demonitor init does after an upgrade
    with session_scope(engine) as session:
        de01 = session.get(Indicator, "DE01")
        assert de01 is not None and (de01.source, de01.natural_limit) == ("accounts", None)
        assert de01.name_zh == "占比"  # names and owners stay the office's
        de02 = session.get(Indicator, "DE02")
        assert de02 is not None and de02.source == "recognitions:高新技术企业:digital_only"
        updates = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "indicator", AuditEntry.action == "update")
        )
        assert updates == 3
    command.downgrade(config, "0005")
    command.upgrade(config, "head")


def test_a_second_city_has_its_own_accounts_and_dashboard(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The accounts, the overview and the district comparison of a city no code names."""
    import datetime as dt

    from demonitor.reports.accounts import accounts_table
    from demonitor.reports.dashboard import build_overview, compute_districts
    from demonitor.store.models import Classification, Enterprise, Financial
    from demonitor.store.observations import audit, ensure_period

    monkeypatch.setenv("DEMONITOR_CITY", str(SECOND_CITY))
    now = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    # Two software firms (东城, 南湖) and a farm; revenue and reported value added in 万元.
    units = [("A1", "999901", "6513", "030101"), ("B2", "999981", "6511", "030101")]
    with session_scope(engine) as session:
        seed_reference(session, "tester")
        for year in (2023, 2024):
            ensure_period(session, str(year))
        for code, region, industry, de_code in [*units, ("C3", "999902", "0111", None)]:
            credit = code.ljust(18, "0")
            session.add(Enterprise(credit_code=credit, name=code, region_code=region,
                                   industry_code=industry, business_scope=""))  # fmt: skip
            session.flush()
            session.add(Classification(credit_code=credit, edition=DEFAULT_EDITION,
                                       de_code=de_code, method="industry_code",
                                       status="classified" if de_code else "unclassified",
                                       recorded_by="tester"))  # fmt: skip
        for (code, *_), (va_2023, va_2024) in zip(units, [(100, 150), (300, 330)], strict=True):
            for year, value in ((2023, va_2023), (2024, va_2024)):
                session.add(Financial(credit_code=code.ljust(18, "0"), period=str(year),
                                      revenue=value * 4, value_added=value, vintage=1,
                                      recorded_at=now, recorded_by="tester"))  # fmt: skip
        session.flush()
        audit(session, "tester", "insert", "financial", "yangli", None, None)
        store = ObservationStore(session, "tester")
        store.record(SeriesKey("GDP", "999900", "2023"), 8000.0)
        store.record(SeriesKey("GDP", "999900", "2024"), 9600.0)
        store.record(SeriesKey("GDP_growth", "999900", "2024"), 10.0)
    with session_scope(engine) as session:
        table = accounts_table(session, DEFAULT_EDITION, 2024)
        overview = build_overview(session, DEFAULT_EDITION)
        districts = compute_districts(session, DEFAULT_EDITION, 2024)
    city = next(r for r in table.rows if r.region == "999900")
    # 150 + 330 = 480 of 9,600 = 5 %; 2023: 400, so +20 % nominal.
    assert city.core_value_added == pytest.approx(480)
    assert city.share == pytest.approx(5.0)
    assert city.nominal_growth == pytest.approx(20.0)
    assert [r.region for r in table.rows] == ["999900", "999901", "999902", "999981"]
    assert overview.share == pytest.approx(5.0) and overview.share_target == 12.0
    assert {c.code for c in overview.cards} == {"YL01", "YL02", "YL03", "YL04"}
    assert {d.code: d.tile for d in districts.districts} == {
        "999901": (1, 0),
        "999902": (0, 0),
        "999981": (0, 1),
    }


def test_the_progress_method_is_a_setting_of_the_profile(tmp_path: Path) -> None:
    from demonitor.core.progress import RATE_METHODS
    from demonitor.reference.city import PROGRESS_METHODS

    assert PROGRESS_METHODS == RATE_METHODS  # reference cannot import core: one list each
    assert load_city().progress_method == "escap"
    folder = copy_of_taizhou(tmp_path)
    settings = folder / "city.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace('progress_method = "escap"', 'progress_method = "statcan"'), encoding="utf-8"
    )
    assert load_city(str(folder)).progress_method == "statcan"
    settings.write_text(
        text.replace('progress_method = "escap"', 'progress_method = "guess"'), encoding="utf-8"
    )
    with pytest.raises(CityProfileError) as raised:
        load_city(str(folder))
    assert "city.progress_method" in str(raised.value) and "escap" in str(raised.value)
