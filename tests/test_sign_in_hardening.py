"""Sign-in, sessions and tokens hardened (issue 10, items 4, 7 and 8).

- Failed sign-ins are counted in the database, atomically, before the password is checked, so
  that parallel guesses neither lose counts nor all get checked (SQLite and PostgreSQL).
- Too many failures slow down the guessing address, for that account (a short back-off) and for
  every account (a limit per address); the right password from elsewhere still works, and a
  backed-off account, an unknown user and a wrong password are answered alike.
- ``X-Forwarded-For`` counts only from a proxy ``demonitor serve --trusted-proxy`` names.
- Logging out ends the session on the server; a password change, an administrator's reset and
  disabling a user revoke the user's API tokens, so that enabling them again revives none.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
from demonitor.services.users import (
    ADDRESS_MAX_FAILURES,
    BACK_OFF_MINUTES,
    MAX_FAILURES,
    add_user,
    create_token,
    find_user,
    sign_in,
)
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import session_scope
from demonitor.store.models import ApiToken, AuditEntry, User
from demonitor.web.app import create_app
from demonitor.web.settings import Settings

PASSWORD = "Correct-horse-2025"
ADMIN = "root"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ISSUED = re.compile(r'id="issued-password">([^<]+)<')
LOGIN_ERROR = re.compile(r'id="login-error">([^<]+)<')
ATTACKER = "198.51.100.7"
COLLEAGUE = "203.0.113.20"
PROXY = "10.0.0.1"


@pytest.fixture
def url(engine: Engine) -> str:
    """A seeded database with an administrator and two users."""
    with session_scope(engine) as session:
        seed_reference(session, "tester")
        for username, role in (
            (ADMIN, Role.ADMIN),
            ("office", Role.OFFICE),
            ("leader", Role.LEADER),
        ):
            add_user(
                session, "tester", username, role, password=PASSWORD, must_change_password=False
            )
    return engine.url.render_as_string(hide_password=False)


Web = Callable[..., FastAPI]


@pytest.fixture
def web(url: str) -> Iterator[Web]:
    """Apps on the test database (``trusted_proxies`` as given), disposed of afterwards."""
    made: list[FastAPI] = []

    def make(**settings: Any) -> FastAPI:
        application = create_app(Settings(database_url=url, secret_key="test", **settings))
        made.append(application)
        return application

    yield make
    for application in made:
        application.state.engine.dispose()  # PostgreSQL: let the test's schema be dropped


def browser(app: FastAPI, address: str = COLLEAGUE) -> TestClient:
    return TestClient(app, client=(address, 50000), follow_redirects=False)


def csrf(client: TestClient, headers: dict[str, str] | None = None) -> str:
    found = CSRF.search(client.get("/login", headers=headers).text)
    assert found is not None
    return found.group(1)


def log_in(
    client: TestClient,
    username: str,
    password: str = PASSWORD,
    headers: dict[str, str] | None = None,
) -> Response:
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf(client, headers)},
        headers=headers,
    )


def post_form(client: TestClient, path: str, **fields: str) -> Response:
    return client.post(path, data={**fields, "csrf_token": csrf(client)})


def user_row(engine: Engine, username: str) -> User:
    with session_scope(engine) as session:
        found = find_user(session, username)
        assert found is not None
        return found


def audit_entries(engine: Engine, *conditions: Any) -> list[AuditEntry]:
    with session_scope(engine) as session:
        return list(session.scalars(select(AuditEntry).where(*conditions)))


class Hasher:
    """Argon2 replaced by a stand-in that takes a while (so that parallel requests overlap, as
    real ones do; or no time, to keep a test quick) and counts how often a password was checked
    or hashed. Checks still give the real answer."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, seconds: float = 0.05) -> None:
        self.checked = 0
        self.hashed = 0
        self._lock = threading.Lock()
        self._seconds = seconds
        real_verify = user_service.verify_password
        self._verified: dict[str, bool] = {}

        def verify(password_hash: str, password: str) -> bool:
            with self._lock:
                self.checked += 1
            time.sleep(self._seconds)
            key = f"{password_hash}\0{password}"
            if key not in self._verified:  # the real check, once per pair: the answer is real
                self._verified[key] = real_verify(password_hash, password)
            return self._verified[key]

        def hash_password(password: str) -> str:
            with self._lock:
                self.hashed += 1
            time.sleep(self._seconds)
            return "$argon2id$stand-in"

        monkeypatch.setattr(user_service, "verify_password", verify)
        monkeypatch.setattr(user_service, "hash_password", hash_password)

    @property
    def work(self) -> int:
        return self.checked + self.hashed


# 4. Failures are counted atomically --------------------------------------------------------------


def _guess_in_parallel(engine: Engine, addresses: list[str], each: int) -> None:
    guesses = [(address, number) for address in addresses for number in range(each)]
    barrier = threading.Barrier(len(guesses))

    def guess(address_and_number: tuple[str, int]) -> bool:
        address, number = address_and_number
        barrier.wait()
        with session_scope(engine) as session:
            refused = sign_in(session, "office", f"wrong-guess-{number}", address=address)
            return refused.user is None and not refused.too_many_from_address

    with ThreadPoolExecutor(len(guesses)) as pool:
        assert all(pool.map(guess, guesses))


@pytest.mark.slow
def test_parallel_wrong_passwords_are_all_counted_and_only_a_few_are_checked(
    engine: Engine, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = Hasher(monkeypatch)
    attackers = [ATTACKER, "198.51.100.8"]
    _guess_in_parallel(engine, attackers, ADDRESS_MAX_FAILURES)  # 40 guesses, 20 from each
    assert user_row(engine, "office").failed_logins == 40  # no count lost
    # Each attempt decided on its own count: from each address, only the first few are checked.
    assert hasher.checked == 2 * MAX_FAILURES
    assert hasher.work == 40  # …yet every answer cost the same
    guessed = audit_entries(
        engine, AuditEntry.action == "guessed", AuditEntry.entity_key == "office"
    )
    assert len(guessed) == 1 and any(a in guessed[0].reason for a in attackers)
    with session_scope(engine) as session:
        assert sign_in(session, "office", PASSWORD, address=ATTACKER).user is None
        assert sign_in(session, "office", PASSWORD, address=COLLEAGUE).user is not None
    assert user_row(engine, "office").failed_logins == 0


def test_a_window_of_failures_starts_again_once_over_and_old_ones_are_forgotten(
    engine: Engine,
) -> None:
    from demonitor.store.models import SignInFailures
    from demonitor.store.users import count_failure, delete_stale_failures

    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    window = dt.timedelta(minutes=5)
    with session_scope(engine) as session:
        assert count_failure(session, "a", window, start) == 1
        assert count_failure(session, "a", window, start + dt.timedelta(minutes=4)) == 2
        assert count_failure(session, "b", window, start + dt.timedelta(days=2)) == 1
        assert count_failure(session, "a", window, start + dt.timedelta(minutes=6)) == 1
        delete_stale_failures(session, start + dt.timedelta(days=1))
        assert list(session.scalars(select(SignInFailures.key))) == ["b"]


@pytest.mark.slow
def test_parallel_guesses_from_one_address_meet_its_limit_exactly(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    Hasher(monkeypatch)
    app = web()
    guesses = ADDRESS_MAX_FAILURES + 10
    clients = [browser(app, ATTACKER) for _ in range(guesses)]
    tokens = [csrf(client) for client in clients]
    barrier = threading.Barrier(guesses)

    def guess(number: int) -> int:
        barrier.wait()
        answer = clients[number].post(
            "/login",
            data={
                "username": f"someone{number}",
                "password": "x" * 12,
                "csrf_token": tokens[number],
            },
        )
        return answer.status_code

    with ThreadPoolExecutor(guesses) as pool:
        statuses = sorted(pool.map(guess, range(guesses)))
    assert statuses == [401] * ADDRESS_MAX_FAILURES + [429] * 10
    assert log_in(browser(app, COLLEAGUE), "office").status_code == 303


# 8. Slow down the guesser, not the account -------------------------------------------------------


def test_the_right_password_works_from_elsewhere_while_an_account_is_hammered(
    web: Web, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Hasher(monkeypatch, seconds=0)
    app = web()
    attacker = browser(app, ATTACKER)
    for number in range(MAX_FAILURES * 2):
        assert log_in(attacker, "office", f"guess-{number}-xx").status_code == 401
    assert log_in(attacker, "office").status_code == 401  # backed off, even when right
    assert log_in(browser(app, COLLEAGUE), "office").status_code == 303
    assert log_in(browser(app, ATTACKER), "leader").status_code == 303  # other accounts: fine
    guessed = audit_entries(engine, AuditEntry.action == "guessed")
    assert [(e.entity, e.entity_key) for e in guessed] == [("user", "office")]


def test_a_backed_off_account_an_unknown_user_and_a_wrong_password_are_answered_alike(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = web()
    attacker = browser(app, ATTACKER)
    for number in range(MAX_FAILURES):
        log_in(attacker, "office", f"guess-{number}-xx")
    hasher = Hasher(monkeypatch, seconds=0)
    answers = {
        "backed off": log_in(attacker, "office"),
        "unknown": log_in(attacker, "nobody"),
        "wrong": log_in(attacker, "leader", "not-the-password"),
    }
    assert hasher.work == 3  # one Argon2 operation each: no timing tells them apart
    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 401)
    messages = {name: LOGIN_ERROR.findall(a.text) for name, a in answers.items()}
    assert len(set(map(tuple, messages.values()))) == 1, messages
    assert "用户名或密码不正确" in messages["unknown"][0]
    assert "锁定" not in answers["backed off"].text  # nothing says the account exists


def test_the_back_off_is_short_and_per_address(engine: Engine, url: str) -> None:
    start = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
    with session_scope(engine) as session:
        for number in range(MAX_FAILURES):
            assert (
                sign_in(session, "office", f"wrong-{number}", start, address=ATTACKER).user is None
            )
        later = start + dt.timedelta(minutes=1)
        assert sign_in(session, "office", PASSWORD, later, address=ATTACKER).user is None
        assert sign_in(session, "office", PASSWORD, later, address=COLLEAGUE).user is not None
        after = start + dt.timedelta(minutes=BACK_OFF_MINUTES, seconds=1)
        assert sign_in(session, "office", PASSWORD, after, address=ATTACKER).user is not None


def test_x_forwarded_for_is_ignored_unless_its_sender_is_a_trusted_proxy(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    Hasher(monkeypatch, seconds=0)
    local = web()  # no trusted proxy: the header is anybody's to write
    for number in range(ADDRESS_MAX_FAILURES):
        faked = {"x-forwarded-for": f"192.0.2.{number}"}
        client = browser(local, "127.0.0.1")
        assert log_in(client, f"guess{number}", "x" * 12, faked).status_code == 401
    other = {"x-forwarded-for": "192.0.2.200"}
    assert log_in(browser(local, "127.0.0.1"), "office", headers=other).status_code == 429


def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    Hasher(monkeypatch, seconds=0)
    app = web(trusted_proxies=(PROXY,))
    # The client may prepend whatever it likes; the proxy appends the address it saw.
    spoofing = {"x-forwarded-for": f"192.0.2.1, {ATTACKER}"}
    for number in range(ADDRESS_MAX_FAILURES):
        client = browser(app, PROXY)
        assert log_in(client, f"guess{number}", "x" * 12, spoofing).status_code == 401
    again = {"x-forwarded-for": f"192.0.2.99, {ATTACKER}"}
    assert log_in(browser(app, PROXY), "office", headers=again).status_code == 429
    colleague = {"x-forwarded-for": COLLEAGUE}
    assert log_in(browser(app, PROXY), "office", headers=colleague).status_code == 303
    # A proxy that is not trusted cannot speak for anybody: it is the client itself.
    untrusted = {"x-forwarded-for": COLLEAGUE}
    for number in range(ADDRESS_MAX_FAILURES):
        client = browser(app, "10.0.0.2")
        assert log_in(client, f"guess{number}", "x" * 12, untrusted).status_code == 401
    assert log_in(browser(app, "10.0.0.2"), "office", headers=untrusted).status_code == 429


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """uvicorn.run, recorded instead of run; serve's environment restored afterwards."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda app, **options: calls.append({"app": app, **options})
    )
    for name in (
        "DEMONITOR_DATABASE_URL",
        "DEMONITOR_SERVE_SECURE_COOKIES",
        "DEMONITOR_TRUSTED_PROXIES",
    ):
        monkeypatch.setenv(name, "")
    return calls


def _worker_settings() -> Settings:
    from demonitor.web.app import app_from_environment

    application = app_from_environment()
    application.state.engine.dispose()
    settings: Settings = application.state.settings
    return settings


def test_serve_trusts_x_forwarded_for_only_from_the_proxies_it_is_given(
    url: str, served: list[dict[str, Any]]
) -> None:
    runner = CliRunner()
    plain = runner.invoke(cli, ["serve", "--database-url", url])
    assert plain.exit_code == 0, plain.output
    assert served[-1]["proxy_headers"] is False  # uvicorn would trust 127.0.0.1 by default
    assert _worker_settings().trusted_proxies == ()

    proxied = runner.invoke(
        cli,
        [
            "serve",
            "--database-url",
            url,
            "--trusted-proxy",
            PROXY,
            "--trusted-proxy",
            "10.0.1.5, 172.16.0.0/12",
        ],
    )
    assert proxied.exit_code == 0, proxied.output
    assert served[-1]["proxy_headers"] is False  # the app reads the header itself
    assert _worker_settings().trusted_proxies == ("10.0.0.1", "10.0.1.5", "172.16.0.0/12")

    wrong = runner.invoke(cli, ["serve", "--database-url", url, "--trusted-proxy", "proxy.lan"])
    assert wrong.exit_code == 2 and "proxy.lan" in wrong.output
    assert len(served) == 2


# 7. Sessions and tokens end when they should -----------------------------------------------------


def _bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


def _token(engine: Engine, username: str) -> str:
    with session_scope(engine) as session:
        _token, secret = create_token(session, username, username, "script")
    return secret


def test_logging_out_ends_the_session_on_the_server(web: Web) -> None:
    app = web()
    person = browser(app)
    assert log_in(person, "office").status_code == 303
    copied = browser(app, ATTACKER)
    copied.cookies.update(person.cookies)
    assert copied.get("/api/v1/me").status_code == 200
    assert post_form(person, "/logout").status_code == 303
    assert copied.get("/api/v1/me").status_code == 401  # a copy of the cookie is worthless
    assert copied.get("/tokens").status_code == 303  # …on pages too: sign in first


def test_logging_out_leaves_the_users_other_sessions(web: Web) -> None:
    app = web()
    laptop, phone = browser(app), browser(app)
    assert log_in(laptop, "office").status_code == 303
    assert log_in(phone, "office").status_code == 303
    assert post_form(laptop, "/logout").status_code == 303
    assert laptop.get("/api/v1/me").status_code == 401
    assert phone.get("/api/v1/me").status_code == 200


def test_changing_ones_password_revokes_ones_api_tokens(web: Web, engine: Engine) -> None:
    app = web()
    secret = _token(engine, "office")
    person = browser(app)
    assert person.get("/api/v1/me", headers=_bearer(secret)).status_code == 200
    assert log_in(person, "office").status_code == 303
    new = "Another-horse-2026"
    changed = post_form(person, "/password", current=PASSWORD, new=new, repeat=new)
    assert changed.status_code == 303
    assert person.get("/api/v1/me").status_code == 200  # this session goes on
    assert person.get("/api/v1/me", headers=_bearer(secret)).status_code == 401
    revoked = audit_entries(engine, AuditEntry.action == "revoke", AuditEntry.entity == "api_token")
    assert len(revoked) == 1 and revoked[0].actor == "office"


def test_an_administrators_reset_locks_out_whoever_held_the_cookie_or_a_token(
    web: Web, engine: Engine
) -> None:
    app = web()
    secret = _token(engine, "office")
    intruder = browser(app, ATTACKER)
    assert log_in(intruder, "office").status_code == 303
    assert intruder.get("/api/v1/me").status_code == 200
    root = browser(app)
    assert log_in(root, ADMIN).status_code == 303
    reset = post_form(root, "/admin/users/office/reset")
    assert reset.status_code == 200
    assert intruder.get("/api/v1/me").status_code == 401
    assert intruder.get("/api/v1/me", headers=_bearer(secret)).status_code == 401
    assert log_in(browser(app, ATTACKER), "office").status_code == 401
    revoked = audit_entries(engine, AuditEntry.action == "revoke", AuditEntry.actor == ADMIN)
    assert len(revoked) == 1


def test_enabling_a_disabled_user_again_revives_no_old_token(web: Web, engine: Engine) -> None:
    app = web()
    secret = _token(engine, "leader")
    root = browser(app)
    assert log_in(root, ADMIN).status_code == 303
    assert post_form(root, "/admin/users/leader/disable", reason="离职").status_code == 303
    assert post_form(root, "/admin/users/leader/enable").status_code == 303
    person = browser(app)
    assert person.get("/api/v1/me", headers=_bearer(secret)).status_code == 401
    with session_scope(engine) as session:
        revoked = session.scalar(
            select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_not(None))
        )
    assert revoked == 1
    assert log_in(person, "leader").status_code == 303  # the person may sign in again


def test_the_client_is_the_rightmost_address_no_trusted_proxy_wrote() -> None:
    from demonitor.core.proxies import ProxyError, TrustedProxies

    none = TrustedProxies.parse([])
    assert none.client("127.0.0.1", ["203.0.113.9"]) == "127.0.0.1"
    proxies = TrustedProxies.parse(["10.0.0.1, 10.1.0.0/16", "::1"])
    assert proxies.names() == ("10.0.0.1", "10.1.0.0/16", "::1")
    assert proxies.client("10.0.0.1", ["203.0.113.9"]) == "203.0.113.9"
    assert proxies.client("10.0.0.1", ["192.0.2.1, 203.0.113.9", "10.1.2.3"]) == "203.0.113.9"
    assert proxies.client("::1", ["[2001:db8::7]:443"]) == "2001:db8::7"
    assert proxies.client("10.0.0.1", ["198.51.100.4:5123"]) == "198.51.100.4"
    assert proxies.client("10.0.0.1", ["unknown"]) == "10.0.0.1"  # not an address: the proxy
    assert proxies.client("10.0.0.1", []) == "10.0.0.1"
    assert proxies.client("10.0.0.1", ["10.1.0.9"]) == "10.1.0.9"  # all trusted: the farthest
    assert proxies.client("192.0.2.50", ["203.0.113.9"]) == "192.0.2.50"  # not a proxy of ours
    with pytest.raises(ProxyError):
        TrustedProxies.parse(["proxy.lan"])
