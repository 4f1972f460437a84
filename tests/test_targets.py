"""Targets, alarm thresholds and indicators' direction and level: the use case
(``services.targets``), ``demonitor target set`` and the office's level page, on SQLite and
PostgreSQL. Every change is audited with every changeable field before and after."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from demonitor.cli import app as cli
from demonitor.core.permissions import Principal, Role
from demonitor.services.targets import TargetChange, TargetError, set_level, set_target
from demonitor.services.users import add_user
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import session_scope
from demonitor.store.models import AuditEntry, Indicator, Target
from demonitor.web.app import create_app
from demonitor.web.settings import Settings

CITY = "321200"
SEEDER = "tester"
PASSWORD = "correct-horse-battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def url(engine: Engine) -> str:
    with session_scope(engine) as session:
        seed_reference(session, SEEDER)
    return engine.url.render_as_string(hide_password=False)


def entries(engine: Engine, entity: str) -> list[AuditEntry]:
    """The audit entries of an entity, but for the seeding's."""
    with session_scope(engine) as session:
        found = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity == entity, AuditEntry.actor != SEEDER)
                .order_by(AuditEntry.id)
            )
        )
        session.expunge_all()
        return found


def city_target(engine: Engine, code: str) -> Target:
    with session_scope(engine) as session:
        row = session.scalars(
            select(Target).where(Target.indicator_code == code, Target.region_code == CITY)
        ).one()
        session.expunge(row)
        return row


def indicator(engine: Engine, code: str) -> Indicator:
    with session_scope(engine) as session:
        row = session.get(Indicator, code)
        assert row is not None
        session.expunge(row)
        return row


# The use case ----------------------------------------------------------------------------------


def test_a_base_year_change_is_audited_with_the_base_year_before_and_after(
    engine: Engine, url: str
) -> None:
    with session_scope(engine) as session:
        result = set_target(
            session, TargetChange("DE05", CITY, "改用2023年基期", base_year=2023), "o"
        )
    assert result.changed
    assert city_target(engine, "DE05").base_year == 2023
    [entry] = entries(engine, "target")
    assert entry.entity_key == f"DE05/{CITY}" and entry.action == "revise"
    assert entry.before is not None and entry.after is not None
    assert (entry.before["base_year"], entry.after["base_year"]) == (2022, 2023)
    assert (
        set(entry.before)
        == set(entry.after)
        == {
            "target",
            "comparator",
            "tolerance",
            "alarm",
            "base_year",
        }
    )
    assert entry.reason == "改用2023年基期" and entry.actor == "o"


def test_direction_and_level_are_the_indicators_and_audited_as_its(
    engine: Engine, url: str
) -> None:
    # DE01's target is "about 13.5" (approx), which reads either way round.
    change = TargetChange("DE01", CITY, "口径调整", direction="lower", level="internal")
    with session_scope(engine) as session:
        set_target(session, change, "office")
    de01 = indicator(engine, "DE01")
    assert (de01.direction, de01.level) == (-1, "内部")
    assert entries(engine, "target") == []  # the target itself was not touched
    [entry] = entries(engine, "indicator")
    assert entry.entity_key == "DE01"
    assert entry.before == {"direction": 1, "level": "公开"}
    assert entry.after == {"direction": -1, "level": "内部"}


def test_a_direction_against_the_comparator_is_refused_and_nothing_written(
    engine: Engine, url: str
) -> None:
    # DE05 is "more than 80" (gt): lower-is-better needs le or lt with it.
    with session_scope(engine) as session, pytest.raises(TargetError) as refused:
        set_target(session, TargetChange("DE05", CITY, "r", direction="lower"), "office")
    assert refused.value.field == "comparator" and "应为le或lt" in refused.value.zh
    assert indicator(engine, "DE05").direction == 1 and entries(engine, "indicator") == []
    change = TargetChange("DE05", CITY, "r", direction="lower", comparator="lt", target=10.0)
    with session_scope(engine) as session:
        set_target(session, change, "office")
    assert indicator(engine, "DE05").direction == -1


def test_a_change_that_changes_nothing_is_not_audited(engine: Engine, url: str) -> None:
    with session_scope(engine) as session:
        result = set_level(session, "DE05", "内部", "确认", "office", None)
    assert not result.changed
    assert entries(engine, "indicator") == []


def test_a_new_target_of_a_district_starts_from_the_citys_terms(engine: Engine, url: str) -> None:
    with session_scope(engine) as session:
        set_target(session, TargetChange("DE13", "321202", "分解到区", alarm=50), "o")
        row = session.scalars(select(Target).where(Target.region_code == "321202")).one()
        assert (row.indicator_code, row.alarm_threshold) == ("DE13", 50)
    [entry] = entries(engine, "target")
    assert entry.action == "insert" and entry.before is None
    assert entry.after is not None and entry.after["alarm"] == 50


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (TargetChange("DE05", CITY, " ", alarm=78), "reason"),
        (TargetChange("DE05", CITY, "r"), "target"),  # nothing to change
        (TargetChange("DE05", CITY, "r", comparator="le"), "comparator"),
        (TargetChange("DE05", CITY, "r", tolerance=-0.1), "tolerance"),
        (TargetChange("DE05", CITY, "r", target=float("nan")), "target"),
        (TargetChange("DE05", CITY, "r", base_year=2025), "base_year"),
        (TargetChange("DE05", CITY, "r", base_year=1990), "base_year"),
        (TargetChange("DE05", CITY, "r", direction="up"), "direction"),
        (TargetChange("DE05", CITY, "r", level="秘密"), "level"),
        (TargetChange("DE99", CITY, "r", alarm=1), "indicator"),
        (TargetChange("DE05", "999999", "r", alarm=1), "region"),
    ],
)
def test_bad_input_is_refused_in_both_languages_and_changes_nothing(
    engine: Engine, url: str, change: TargetChange, field: str
) -> None:
    with pytest.raises(TargetError) as refused, session_scope(engine) as session:
        set_target(session, change, "office")
    assert refused.value.field == field
    assert refused.value.zh and refused.value.en and refused.value.zh != refused.value.en
    assert entries(engine, "target") == entries(engine, "indicator") == []
    assert city_target(engine, "DE05").base_year == 2022


def test_only_the_office_and_admin_change_levels(engine: Engine, url: str) -> None:
    for role in (Role.STATISTICS, Role.LEADER, Role.DEPARTMENT):
        with pytest.raises(TargetError), session_scope(engine) as session:
            set_level(
                session,
                "DE05",
                "公开",
                "r",
                "x",
                Principal(role, "x", indicators=frozenset({"DE05"})),
            )
    with session_scope(engine) as session:
        set_level(session, "DE05", "涉密", "r", "office", Principal(Role.OFFICE, "office"))
    assert indicator(engine, "DE05").level == "涉密"


# The command -----------------------------------------------------------------------------------


def test_target_set_changes_base_year_direction_and_level_with_a_reason(
    engine: Engine, url: str
) -> None:
    runner = CliRunner()
    done = runner.invoke(
        cli,
        [
            "target",
            "set",
            "DE05",
            "--base-year",
            "2023",
            "--direction",
            "lower",
            "--comparator",
            "lt",
            "--level",
            "公开",
            "--reason",
            "领导小组会议决定",
            "--actor",
            "office",
            "--database-url",
            url,
        ],
    )
    assert done.exit_code == 0, done.output
    assert "base_year" in done.output and "公开" in done.output
    assert city_target(engine, "DE05").base_year == 2023
    de05 = indicator(engine, "DE05")
    assert (de05.direction, de05.level) == (-1, "公开")
    [target] = entries(engine, "target")
    assert target.before is not None and target.after is not None
    assert (target.before["base_year"], target.after["base_year"]) == (2022, 2023)
    [terms] = entries(engine, "indicator")
    assert terms.after == {"direction": -1, "level": "公开"}
    assert {target.actor, terms.actor} == {"office"}
    assert {target.reason, terms.reason} == {"领导小组会议决定"}


@pytest.mark.parametrize(
    ("arguments", "option"),
    [
        (["--level", "秘密", "--reason", "r"], "--level"),
        (["--direction", "up", "--reason", "r"], "--direction"),
        (["--base-year", "2030", "--reason", "r"], "--base-year"),
        (["--level", "公开"], "--reason"),
    ],
)
def test_target_set_refuses_bad_input_with_exit_code_2_in_both_languages(
    engine: Engine, url: str, arguments: list[str], option: str
) -> None:
    refused = CliRunner().invoke(cli, ["target", "set", "DE05", *arguments, "--database-url", url])
    assert refused.exit_code == 2
    assert option in refused.output and " / " in refused.output
    assert entries(engine, "target") == entries(engine, "indicator") == []
    assert indicator(engine, "DE05").level == "内部"


# The level page --------------------------------------------------------------------------------


@pytest.fixture
def client(url: str, engine: Engine) -> Iterator[TestClient]:
    with session_scope(engine) as session:
        add_user(session, "t", "office", Role.OFFICE, password=PASSWORD, must_change_password=False)
        add_user(
            session, "t", "stats", Role.STATISTICS, password=PASSWORD, must_change_password=False
        )
    application = create_app(Settings(database_url=url, secret_key="test"))
    yield TestClient(application, follow_redirects=False)
    application.state.engine.dispose()


def csrf(client: TestClient) -> str:
    found = CSRF.search(client.get("/login").text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, username: str) -> None:
    answer = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf(client)}
    )
    assert answer.status_code == 303


def public_cards(client: TestClient) -> list[str]:
    anonymous = TestClient(client.app)
    return [card["code"] for card in anonymous.get("/api/v1/overview").json()["cards"]]


def test_the_office_changes_a_level_on_the_page_and_the_public_then_sees_the_card(
    client: TestClient, engine: Engine
) -> None:
    assert "DE05" not in public_cards(client)
    sign_in(client, "office")
    listed = client.get("/admin/indicators")
    assert listed.status_code == 200 and 'id="level-form-DE05"' in listed.text
    no_reason = client.post(
        "/admin/indicators/DE05", data={"level": "公开", "reason": " ", "csrf_token": csrf(client)}
    )
    assert no_reason.status_code == 400 and "须写明修改理由" in no_reason.text
    forged = client.post(
        "/admin/indicators/DE05", data={"level": "公开", "reason": "r", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert indicator(engine, "DE05").level == "内部"
    done = client.post(
        "/admin/indicators/DE05",
        data={"level": "公开", "reason": "对外发布", "csrf_token": csrf(client)},
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/indicators"
    assert "指标DE05已改为公开" in client.get("/admin/indicators").text
    assert "DE05" in public_cards(client)
    [entry] = entries(engine, "indicator")
    assert (entry.actor, entry.reason, entry.after) == (
        "office",
        "对外发布",
        {"direction": 1, "level": "公开"},
    )


def test_the_json_twin_changes_a_level_and_refuses_other_roles(
    client: TestClient, engine: Engine
) -> None:
    sign_in(client, "office")
    token = csrf(client)
    headers = {"X-CSRF-Token": token}
    listed = client.get("/api/v1/admin/indicators").json()
    assert {"code": "DE01", "level": "公开"}.items() <= listed[0].items()
    changed = client.post(
        "/api/v1/admin/indicators/DE01",
        json={"level": "internal", "reason": "暂不公开"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["level"] == "内部"
    assert "DE01" not in public_cards(client)
    unknown = client.post(
        "/api/v1/admin/indicators/DE99", json={"level": "公开", "reason": "r"}, headers=headers
    )
    assert unknown.status_code == 404 and unknown.json()["detail"]["en"]
    stats = TestClient(client.app, follow_redirects=False)
    sign_in(stats, "stats")
    refused = stats.post(
        "/api/v1/admin/indicators/DE01",
        json={"level": "公开", "reason": "r"},
        headers={"X-CSRF-Token": csrf(stats)},
    )
    assert refused.status_code == 403
    assert indicator(engine, "DE01").level == "内部"
