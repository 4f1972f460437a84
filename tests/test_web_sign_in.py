"""Signing in: throttling, session expiry, no open redirect, and the headers of every answer.

More on throttling, sessions and tokens: tests/test_sign_in_hardening.py."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from demonitor.core.permissions import Role
from demonitor.services.users import BACK_OFF_MINUTES, MAX_FAILURES, add_user, sign_in
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import make_engine, session_scope, upgrade
from demonitor.web.app import create_app
from demonitor.web.settings import Settings

PASSWORD = "Correct-horse-2025"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _sign_in(client: TestClient, password: str = PASSWORD, next: str = "/") -> object:
    token = _csrf(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": "office", "password": password, "csrf_token": token, "next": next},
        follow_redirects=False,
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        seed_reference(session, "test")
        add_user(
            session, "test", "office", Role.OFFICE, password=PASSWORD, must_change_password=False
        )
    engine.dispose()
    return url


def test_repeated_failures_back_off_the_address_not_the_account(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "test")
        add_user(
            session, "test", "office", Role.OFFICE, password=PASSWORD, must_change_password=False
        )
        now = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
        guesser, owner = "192.0.2.1", "192.0.2.2"
        for _ in range(MAX_FAILURES):
            wrong = sign_in(session, "office", "wrong-password-0", now, address=guesser)
            assert wrong.user is None
        backed_off = sign_in(session, "office", PASSWORD, now, address=guesser)
        assert backed_off.user is None
        assert (backed_off.reason_zh, backed_off.reason_en) == (wrong.reason_zh, wrong.reason_en)
        assert sign_in(session, "office", PASSWORD, now, address=owner).user is not None
        later = now + dt.timedelta(minutes=BACK_OFF_MINUTES, seconds=1)
        assert sign_in(session, "office", PASSWORD, later, address=guesser).user is not None


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(url: str) -> None:
    app = create_app(Settings(database_url=url, secret_key="test"))
    client = TestClient(app)
    token = _csrf(client.get("/login").text)
    nobody = client.post(
        "/login", data={"username": "nobody", "password": "x" * 12, "csrf_token": token}
    )
    wrong = _sign_in(client, "x" * 12)
    assert nobody.status_code == wrong.status_code == 401  # type: ignore[attr-defined]
    assert "用户名或密码不正确" in nobody.text and "wrong username or password" not in nobody.text


@pytest.mark.slow
def test_one_address_is_throttled_whatever_the_usernames_tried(url: str) -> None:
    app = create_app(Settings(database_url=url, secret_key="test"))
    client = TestClient(app)
    for attempt in range(20):
        token = _csrf(client.get("/login").text)
        client.post(
            "/login",
            data={"username": f"guess{attempt}", "password": "x" * 12, "csrf_token": token},
        )
    answer = _sign_in(client)
    assert answer.status_code == 429  # type: ignore[attr-defined]


def test_a_session_ends_when_its_cookie_expires(url: str) -> None:
    app = create_app(Settings(database_url=url, secret_key="test", session_seconds=1))
    client = TestClient(app)
    assert _sign_in(client).status_code == 303  # type: ignore[attr-defined]
    assert client.get("/api/v1/me").status_code == 200
    time.sleep(2.1)  # itsdangerous compares whole seconds
    assert client.get("/api/v1/me").status_code == 401


def test_signing_in_again_ends_the_browsers_previous_session(url: str) -> None:
    app = create_app(Settings(database_url=url, secret_key="test"))
    client = TestClient(app)
    assert _sign_in(client).status_code == 303  # type: ignore[attr-defined]
    earlier = TestClient(app)
    earlier.cookies.update(client.cookies)
    assert _sign_in(client).status_code == 303  # type: ignore[attr-defined]
    assert client.get("/api/v1/me").status_code == 200
    assert earlier.get("/api/v1/me").status_code == 401


def test_a_cookie_signed_with_another_key_is_not_a_session(url: str) -> None:
    ours = TestClient(create_app(Settings(database_url=url, secret_key="ours")))
    assert _sign_in(ours).status_code == 303  # type: ignore[attr-defined]
    theirs = TestClient(create_app(Settings(database_url=url, secret_key="theirs")))
    theirs.cookies.update(ours.cookies)
    assert theirs.get("/api/v1/me").status_code == 401


def test_signing_in_never_sends_a_person_to_another_site(url: str) -> None:
    client = TestClient(create_app(Settings(database_url=url, secret_key="test")))
    answer = _sign_in(client, next="//evil.example/phish")
    assert answer.headers["location"] == "/"  # type: ignore[attr-defined]
    client = TestClient(create_app(Settings(database_url=url, secret_key="test")))
    assert _sign_in(client, next="/alerts").headers["location"] == "/alerts"  # type: ignore[attr-defined]


def test_pages_forbid_inline_code_framing_and_sniffing(url: str) -> None:
    client = TestClient(create_app(Settings(database_url=url, secret_key="test")))
    answer = client.get("/login")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    secure = TestClient(
        create_app(Settings(database_url=url, secret_key="test", secure_cookies=True))
    )
    assert "secure" in secure.get("/login").headers["set-cookie"].lower()


def test_the_api_documentation_is_served_without_a_cdn(url: str) -> None:
    client = TestClient(create_app(Settings(database_url=url, secret_key="test")))
    docs = client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower()
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/vendor/echarts.min.js").status_code == 200
