"""User administration, the audit log and the user/token/serve commands, through the real app."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from demonitor.cli import app as cli
from demonitor.core.permissions import Role
from demonitor.services import users as user_service
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import session_scope
from demonitor.store.models import AuditEntry, User
from demonitor.store.observations import audit
from demonitor.web.app import create_app
from demonitor.web.guard import declared_permission
from demonitor.web.routes import admin
from demonitor.web.settings import Settings

ADMIN = "root"
PASSWORD = "correct-horse-battery"  # of every user a test adds directly
HAILING = "321202"  # 海陵区
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ISSUED = re.compile(r'id="issued-password">([^<]+)<')

Browser = Callable[[], TestClient]


@pytest.fixture
def url(engine: Engine) -> str:
    """A seeded database with one administrator."""
    with session_scope(engine) as session:
        seed_reference(session, "tester")
        user_service.add_user(
            session, "tester", ADMIN, Role.ADMIN, password=PASSWORD, must_change_password=False
        )
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def web(url: str) -> Iterator[FastAPI]:
    application = create_app(Settings(database_url=url, secret_key="test"))
    yield application
    application.state.engine.dispose()  # PostgreSQL: let the test's schema be dropped


@pytest.fixture
def browser(web: FastAPI) -> Browser:
    """A new browser (its own cookie jar) on the one app."""
    return lambda: TestClient(web, follow_redirects=False)


def add_user(engine: Engine, username: str, role: Role, **details: Any) -> None:
    with session_scope(engine) as session:
        user_service.add_user(
            session,
            "tester",
            username,
            role,
            password=PASSWORD,
            must_change_password=False,
            **details,
        )


def csrf(client: TestClient) -> str:
    """The session's CSRF token, as any form carries it."""
    found = CSRF.search(client.get("/login").text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    """Sign in through the real form; a success is a 303 redirect."""
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf(client)},
    )


def post_form(client: TestClient, path: str, **fields: str) -> Response:
    return client.post(path, data={**fields, "csrf_token": csrf(client)})


def signed_in_admin(browser: Browser) -> TestClient:
    client = browser()
    assert sign_in(client, ADMIN).status_code == 303
    return client


def issued_password(response: Response) -> str:
    found = ISSUED.search(response.text)
    assert found is not None, response.text
    return found.group(1)


def count(engine: Engine, model: type[Any], *conditions: Any) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def user(engine: Engine, username: str) -> User:
    with session_scope(engine) as session:
        found = user_service.find_user(session, username)
        assert found is not None
        return found


# Users -----------------------------------------------------------------------------------------


def test_every_admin_route_declares_its_permission() -> None:
    assert len(admin.router.routes) >= 5  # the users' pages and API
    assert all(declared_permission(route) is not None for route in admin.router.routes)


def test_admin_adds_a_district_user_whose_generated_password_must_be_changed_first(
    engine: Engine, browser: Browser
) -> None:
    root = signed_in_admin(browser)
    assert root.get("/admin/users").status_code == 200
    added = post_form(
        root,
        "/admin/users",
        username="hailing",
        display_name="海陵区统计局",
        role="district",
        region=HAILING,
    )
    assert added.status_code == 200
    generated = issued_password(added)
    assert 'id="user-hailing"' in added.text and "海陵区" in added.text
    stored = user(engine, "hailing")
    assert (stored.role, stored.region_code, stored.must_change_password) == (
        "district",
        HAILING,
        True,
    )
    assert count(engine, AuditEntry, AuditEntry.actor == ADMIN, AuditEntry.entity == "user") == 1
    # The password is shown once: the list page does not carry it again.
    assert generated not in root.get("/admin/users").text

    district = browser()
    first = sign_in(district, "hailing", generated)
    assert first.status_code == 303 and first.headers["location"] == "/password"
    # Anything but the password page sends the user back to it until the password is changed.
    assert district.get("/audit").headers["location"] == "/password"
    assert district.get("/api/v1/me").json()["must_change_password"] is True
    changed = post_form(
        district,
        "/password",
        current=generated,
        new="sunny-river-2024",
        repeat="sunny-river-2024",
    )
    assert changed.status_code == 303
    assert sign_in(browser(), "hailing", generated).status_code == 401
    again = sign_in(browser(), "hailing", "sunny-river-2024")
    assert again.status_code == 303 and again.headers["location"] != "/password"


def test_a_refused_user_is_explained_in_either_language_and_nothing_is_saved(
    engine: Engine, browser: Browser
) -> None:
    root = signed_in_admin(browser)
    users_before = count(engine, User)
    audit_before = count(engine, AuditEntry)
    no_region = post_form(root, "/admin/users", username="nowhere", role="district", region="")
    assert no_region.status_code == 400
    assert "区县用户须指定有效的区划代码" in no_region.text
    assert 'value="nowhere"' in no_region.text  # the form keeps what was typed
    root.cookies.set("lang", "en")
    duplicate = post_form(root, "/admin/users", username=ADMIN, role="office")
    assert duplicate.status_code == 400 and f"user {ADMIN} already exists" in duplicate.text
    wrong_region = post_form(root, "/admin/users", username="o2", role="office", region=HAILING)
    assert (
        wrong_region.status_code == 400 and "only district users have a region" in wrong_region.text
    )
    assert count(engine, User) == users_before
    assert count(engine, AuditEntry) == audit_before


def test_a_department_user_owns_the_indicators_typed_or_else_those_it_leads(
    engine: Engine, browser: Browser
) -> None:
    root = signed_in_admin(browser)
    typed = post_form(
        root,
        "/admin/users",
        username="industry",
        role="department",
        department="市工信局",
        indicators="de04, DE05",
    )
    assert typed.status_code == 200
    assert user(engine, "industry").indicators == "DE04,DE05"
    unknown = post_form(
        root, "/admin/users", username="other", role="department", department="x", indicators="ZZ9"
    )
    assert unknown.status_code == 400 and count(engine, User, User.username == "other") == 0


def test_only_an_administrator_manages_users(engine: Engine, browser: Browser) -> None:
    add_user(engine, "office", Role.OFFICE)
    office = browser()
    assert sign_in(office, "office").status_code == 303
    assert office.get("/admin/users").status_code == 403
    assert office.get("/api/v1/users").status_code == 403
    refused = office.post(
        "/api/v1/users",
        json={"username": "x1", "role": "admin"},
        headers={"x-csrf-token": csrf(office)},
    )
    assert refused.status_code == 403 and refused.json()["detail"]["en"]
    assert post_form(office, "/admin/users", username="x2", role="admin").status_code == 403
    assert post_form(office, f"/admin/users/{ADMIN}/disable", reason="coup").status_code == 403
    assert count(engine, User, User.username.in_(["x1", "x2"])) == 0
    assert not user(engine, ADMIN).disabled
    anonymous = browser()
    assert anonymous.get("/api/v1/users").status_code == 401
    assert anonymous.get("/admin/users").headers["location"].startswith("/login")


def test_the_users_api_never_shows_a_password_hash_and_creates_a_user_once(
    engine: Engine, browser: Browser
) -> None:
    with session_scope(engine) as session:
        _token, secret = user_service.create_token(session, "tester", ADMIN, "provisioning")
    machine = browser()
    bearer = {"authorization": f"Bearer {secret}"}
    listed = machine.get("/api/v1/users", headers=bearer)
    assert listed.status_code == 200
    assert [u["username"] for u in listed.json()] == [ADMIN]
    assert "password_hash" not in listed.json()[0] and "$argon2" not in listed.text

    created = machine.post(
        "/api/v1/users",
        json={"username": "leader1", "role": "leader", "display_name": "市领导"},
        headers=bearer,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["user"]["role"] == "leader" and body["user"]["must_change_password"] is True
    assert sign_in(browser(), "leader1", body["password"]).headers["location"] == "/password"

    duplicate = machine.post(
        "/api/v1/users", json={"username": "leader1", "role": "leader"}, headers=bearer
    )
    assert duplicate.status_code == 400
    assert duplicate.json()["detail"] == {
        "zh": "用户leader1已存在",
        "en": "user leader1 already exists",
    }
    public = machine.post(
        "/api/v1/users", json={"username": "anyone", "role": "public"}, headers=bearer
    )
    assert public.status_code == 400
    unknown_role = machine.post(
        "/api/v1/users", json={"username": "king", "role": "king"}, headers=bearer
    )
    assert unknown_role.status_code == 422
    assert count(engine, User) == 2


def test_disabling_a_user_ends_their_session_until_enabled(
    engine: Engine, browser: Browser
) -> None:
    add_user(engine, "leader", Role.LEADER)
    leader = browser()
    assert sign_in(leader, "leader").status_code == 303
    assert leader.get("/api/v1/me").status_code == 200
    root = signed_in_admin(browser)

    no_reason = post_form(root, "/admin/users/leader/disable", reason=" ")
    assert no_reason.status_code == 400 and not user(engine, "leader").disabled
    disabled = post_form(root, "/admin/users/leader/disable", reason="调离岗位")
    assert disabled.status_code == 303
    assert "已停用用户leader" in root.get("/admin/users").text
    assert user(engine, "leader").disabled
    assert leader.get("/api/v1/me").status_code == 401  # the open session is over
    assert sign_in(browser(), "leader").status_code == 401
    entry = count(
        engine, AuditEntry, AuditEntry.action == "disable", AuditEntry.reason == "调离岗位"
    )
    assert entry == 1

    assert post_form(root, "/admin/users/leader/enable").status_code == 303
    assert sign_in(browser(), "leader").status_code == 303


def test_an_administrator_cannot_disable_their_own_account(
    engine: Engine, browser: Browser
) -> None:
    root = signed_in_admin(browser)
    refused = post_form(root, f"/admin/users/{ADMIN}/disable", reason="oops")
    assert refused.status_code == 400 and "不能停用自己的账号" in refused.text
    assert not user(engine, ADMIN).disabled
    unknown = post_form(root, "/admin/users/ghost/disable", reason="gone")
    assert unknown.status_code == 400 and "用户ghost不存在" in unknown.text


def test_a_reset_replaces_the_old_password_and_ends_the_session(
    engine: Engine, browser: Browser
) -> None:
    add_user(engine, "stats", Role.STATISTICS)
    stats = browser()
    assert sign_in(stats, "stats").status_code == 303
    root = signed_in_admin(browser)
    reset = post_form(root, "/admin/users/stats/reset")
    assert reset.status_code == 200
    generated = issued_password(reset)
    assert stats.get("/api/v1/me").status_code == 401
    assert sign_in(browser(), "stats", PASSWORD).status_code == 401
    assert sign_in(browser(), "stats", generated).headers["location"] == "/password"


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(
    engine: Engine, browser: Browser
) -> None:
    add_user(engine, "leader", Role.LEADER)
    root = signed_in_admin(browser)
    audit_before = count(engine, AuditEntry)
    no_token = root.post("/admin/users", data={"username": "sneaky", "role": "admin"})
    assert no_token.status_code == 403
    forged = root.post("/admin/users/leader/disable", data={"reason": "x", "csrf_token": "forged"})
    assert forged.status_code == 403
    assert root.post("/admin/users/leader/reset").status_code == 403
    json_without = root.post("/api/v1/users", json={"username": "sneaky", "role": "admin"})
    assert json_without.status_code == 403
    assert count(engine, User, User.username == "sneaky") == 0
    assert not user(engine, "leader").disabled
    assert sign_in(browser(), "leader").status_code == 303  # password unchanged
    assert count(engine, AuditEntry) == audit_before


# Audit log -------------------------------------------------------------------------------------


def _record(engine: Engine) -> None:
    """Entries of two actors on two entities; 23:30 and 00:30 China time straddle a midnight."""
    late = dt.datetime(2024, 3, 1, 15, 30, tzinfo=dt.UTC)  # 2024-03-01 23:30 UTC+8
    after_midnight = dt.datetime(2024, 3, 1, 16, 30, tzinfo=dt.UTC)  # 2024-03-02 00:30 UTC+8
    with session_scope(engine) as session:
        audit(
            session,
            "wang",
            "revise",
            "observation",
            "DE04/321202/2023",
            {"value": 1.5},
            {"value": 1.75},
            "数据更正",
            at=late,
        )
        audit(
            session,
            "wang",
            "insert",
            "target",
            "DE04/321202",
            None,
            {"target": 10},
            at=after_midnight,
        )
        audit(
            session,
            "li",
            "revise",
            "observation",
            "DE05/321203/2023",
            {"value": 2},
            {"value": 3},
            at=after_midnight,
        )


def test_the_audit_log_filters_by_actor_entity_key_and_china_dates(
    engine: Engine, browser: Browser
) -> None:
    _record(engine)
    add_user(engine, "office", Role.OFFICE)
    office = browser()
    assert sign_in(office, "office").status_code == 303

    shown = office.get("/audit", params={"actor": "wang", "entity": "observation"})
    assert shown.status_code == 200
    assert "DE04/321202/2023" in shown.text and "DE05/321203/2023" not in shown.text
    assert "2024-03-01 23:30:00" in shown.text  # in China time
    assert '{"value":1.5}' in shown.text.replace("&#34;", '"') and "数据更正" in shown.text

    api = office.get("/api/v1/audit", params={"actor": "wang"}).json()
    assert api["total"] == 2
    assert [e["entity"] for e in api["entries"]] == ["target", "observation"]  # newest first
    by_key = office.get("/api/v1/audit", params={"key": "de05/"}).json()
    assert [e["actor"] for e in by_key["entries"]] == ["li"]
    one_day = {"date_from": "2024-03-02", "date_to": "2024-03-02"}
    on_the_2nd = office.get("/api/v1/audit", params=one_day).json()
    assert {e["entity_key"] for e in on_the_2nd["entries"]} == {
        "DE04/321202",
        "DE05/321203/2023",
    }
    # Blank fields of the filter form are no filter.
    blank = office.get("/audit", params={"actor": "", "date_from": "", "date_to": "2024-03-01"})
    assert blank.status_code == 200 and "DE04/321202/2023" in blank.text
    assert "DE05/321203/2023" not in blank.text

    assert office.get("/audit", params={"date_from": "2024-13-01"}).status_code == 400
    bad = office.get("/api/v1/audit", params={"date_to": "yesterday"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["detail"]["en"]


def test_the_audit_log_is_paged_newest_first(engine: Engine, browser: Browser) -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with session_scope(engine) as session:
        for n in range(230):
            audit(
                session,
                "bulk",
                "insert",
                "observation",
                f"k{n:03d}",
                None,
                None,
                at=start + dt.timedelta(minutes=n),
            )
    root = signed_in_admin(browser)
    first = root.get("/api/v1/audit", params={"actor": "bulk"}).json()
    assert (first["total"], first["pages"], len(first["entries"])) == (230, 3, 100)
    assert first["entries"][0]["entity_key"] == "k229"
    last = root.get("/api/v1/audit", params={"actor": "bulk", "page": 3}).json()
    assert len(last["entries"]) == 30 and last["entries"][-1]["entity_key"] == "k000"
    page_two = root.get("/audit", params={"actor": "bulk", "page": 2})
    assert "k129" in page_two.text and "k130" not in page_two.text
    assert "actor=bulk&amp;page=3" in page_two.text  # the next link keeps the filter
    assert root.get("/api/v1/audit", params={"page": 0}).status_code == 422


def test_only_admin_and_office_read_the_audit_log(engine: Engine, browser: Browser) -> None:
    add_user(engine, "hailing", Role.DISTRICT, region=HAILING)
    add_user(engine, "leader", Role.LEADER)
    for username in ("hailing", "leader"):
        client = browser()
        assert sign_in(client, username).status_code == 303
        assert client.get("/audit").status_code == 403
        assert client.get("/api/v1/audit").status_code == 403
    assert signed_in_admin(browser).get("/audit").status_code == 200
    assert browser().get("/api/v1/audit").status_code == 401


# Commands --------------------------------------------------------------------------------------


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1].strip()


def test_user_commands_add_disable_reset_and_list(engine: Engine, url: str) -> None:
    runner = CliRunner()
    database = ["--database-url", url]
    added = runner.invoke(
        cli, ["user", "add", "hailing", "--role", "district", "--region", HAILING, *database]
    )
    assert added.exit_code == 0, added.output
    generated = last_line(added.output)
    with session_scope(engine) as session:
        signed = user_service.sign_in(session, "hailing", generated)
        assert signed.user is not None and signed.user.must_change_password
    actors = {e for e in _actors(engine, "hailing")}
    assert len(actors) == 1 and actors.pop().startswith("cli:")

    department = runner.invoke(
        cli,
        [
            "user",
            "add",
            "industry",
            "--role",
            "department",
            "--department",
            "市工信局",
            "--indicators",
            "DE04,DE05",
            "--display-name",
            "工信局",
            *database,
        ],
    )
    assert department.exit_code == 0, department.output
    assert user(engine, "industry").indicators == "DE04,DE05"

    refused = runner.invoke(cli, ["user", "add", "x", "--role", "emperor", *database])
    assert refused.exit_code == 2 and "unknown role" in refused.output
    no_region = runner.invoke(cli, ["user", "add", "x", "--role", "district", *database])
    assert no_region.exit_code == 2 and "region" in no_region.output

    assert runner.invoke(cli, ["user", "disable", "hailing", *database]).exit_code != 0
    disabled = runner.invoke(cli, ["user", "disable", "hailing", "--reason", "离职", *database])
    assert disabled.exit_code == 0 and user(engine, "hailing").disabled
    listed = runner.invoke(cli, ["user", "list", *database])
    assert listed.exit_code == 0
    assert (
        "hailing" in listed.output and "disabled" in listed.output and "DE04,DE05" in listed.output
    )
    assert runner.invoke(cli, ["user", "enable", "hailing", *database]).exit_code == 0
    assert not user(engine, "hailing").disabled

    reset = runner.invoke(cli, ["user", "reset", "hailing", *database])
    assert reset.exit_code == 0
    renewed = last_line(reset.output)
    assert renewed != generated
    with session_scope(engine) as session:
        assert user_service.sign_in(session, "hailing", generated).user is None
        assert user_service.sign_in(session, "hailing", renewed).user is not None
    missing = runner.invoke(cli, ["user", "reset", "ghost", *database])
    assert missing.exit_code == 2 and "no user ghost" in missing.output


def _actors(engine: Engine, username: str) -> list[str]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry.actor).where(
                    AuditEntry.entity == "user", AuditEntry.entity_key == username
                )
            )
        )


def test_token_commands_create_a_working_token_and_revoke_it(url: str, browser: Browser) -> None:
    runner = CliRunner()
    database = ["--database-url", url]
    created = runner.invoke(cli, ["token", "create", ADMIN, "--name", "etl", *database])
    assert created.exit_code == 0, created.output
    secret = last_line(created.output)
    token_id = re.search(r"id (\d+)", created.output)
    assert token_id is not None
    bearer = {"authorization": f"Bearer {secret}"}
    assert browser().get("/api/v1/me", headers=bearer).json()["username"] == ADMIN
    listed = runner.invoke(cli, ["token", "list", *database])
    assert "etl" in listed.output and secret not in listed.output
    revoked = runner.invoke(cli, ["token", "revoke", token_id.group(1), *database])
    assert revoked.exit_code == 0
    assert browser().get("/api/v1/me", headers=bearer).status_code == 401
    assert runner.invoke(cli, ["token", "create", "ghost", "--name", "x", *database]).exit_code == 2


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """uvicorn.run, recorded instead of run; serve's environment restored afterwards."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda app, **options: calls.append({"app": app, **options})
    )
    monkeypatch.setenv("DEMONITOR_DATABASE_URL", "sqlite:///nowhere.db")
    monkeypatch.setenv("DEMONITOR_INSECURE_COOKIES", "0")
    monkeypatch.setenv("DEMONITOR_SERVE_SECURE_COOKIES", "")
    return calls


def served_settings() -> Settings:
    """The settings a uvicorn worker of ``serve`` would build its app with."""
    from demonitor.web.app import app_from_environment

    application = app_from_environment()
    application.state.engine.dispose()
    settings: Settings = application.state.settings
    return settings


def test_serve_sends_cookies_over_https_only_beyond_loopback(
    url: str, served: list[dict[str, Any]]
) -> None:
    runner = CliRunner()
    local = runner.invoke(cli, ["serve", "--database-url", url, "--port", "8123"])
    assert local.exit_code == 0, local.output
    assert "http://127.0.0.1:8123/" in local.output
    assert served[-1]["port"] == 8123 and served[-1]["factory"] is True
    assert served_settings().secure_cookies is False
    assert served_settings().database_url == url

    network = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--database-url", url])
    assert network.exit_code == 0 and "warning" not in network.output
    assert served_settings().secure_cookies is True

    plain = runner.invoke(
        cli, ["serve", "--host", "0.0.0.0", "--no-secure-cookies", "--database-url", url]
    )
    assert plain.exit_code == 0 and "warning" in plain.output
    assert served_settings().secure_cookies is False
    assert served[-1]["workers"] == 1


def test_serve_refuses_a_database_that_is_not_ready(
    tmp_path: Any, served: list[dict[str, Any]]
) -> None:
    missing = f"sqlite:///{tmp_path / 'new.db'}"
    refused = CliRunner().invoke(cli, ["serve", "--database-url", missing])
    assert refused.exit_code == 2 and "demonitor init" in refused.output
    assert served == []
