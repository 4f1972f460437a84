"""Browser tests: one demo database, one live server and one Chromium for the whole session.

The demo database is built once by ``demonitor demo`` (10–20 s); every test then gets fresh
browser contexts, so cookies never leak from one signed-in person to another. Tests that change
data use periods of their own, so that they pass in any order on the shared database.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright's sync API; Playwright's own
browser download is never used.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from demonitor.demo.accounts import DEMO_ACCOUNTS

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Page,
        Response,
    )

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root without a user namespace
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORDS = {account.username: account.password for account in DEMO_ACCOUNTS}
DISPLAY_NAMES = {account.username: account.display_name for account in DEMO_ACCOUNTS}
TIMEOUT_MS = 15_000


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of what the page shows now, kept in test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this folder is a browser test (``-m "not browser"`` leaves them out)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


# The demo database ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoDatabase:
    url: str
    command: list[str]
    returncode: int  # of ``demonitor demo``
    output: str
    workaround: bool  # True when the command failed and the database was built without it


# Used only when ``demonitor demo`` itself fails: the same data set and the same accounts, with
# the passwords stored without the password rules, so the pages can still be tested.
FALLBACK = """
import sys
from demonitor.demo.accounts import DEMO_ACCOUNTS
from demonitor.demo.database import build_demo
from demonitor.store.db import make_engine, session_scope, upgrade
from demonitor.services.users import add_user
from demonitor.store.users import hash_password

engine = make_engine(sys.argv[1])
upgrade(engine)
with session_scope(engine) as session:
    build_demo(session)
    for a in DEMO_ACCOUNTS:
        user, _ = add_user(
            session, "demo", a.username, a.role, display_name=a.display_name, region=a.region,
            department=a.department, must_change_password=False,
        )
        user.password_hash = hash_password(a.password)
"""


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> DemoDatabase:
    folder = tmp_path_factory.mktemp("browser-demo")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEMONITOR_DE_EDITION", "DEMONITOR_REGIONS", "DEMONITOR_CITY")
    }
    env["DEMONITOR_HOME"] = str(folder / "home")
    env["COLUMNS"] = "160"  # rich wraps the printed table to the terminal width
    url = f"sqlite:///{folder / 'demo.db'}"
    command = [sys.executable, "-m", "demonitor", "demo", "--database-url", url]
    built = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    output = built.stdout + built.stderr
    if built.returncode == 0:
        return DemoDatabase(url, command, 0, output, workaround=False)
    fallback_url = f"sqlite:///{folder / 'demo-fallback.db'}"
    rebuilt = subprocess.run(
        [sys.executable, "-c", FALLBACK, fallback_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if rebuilt.returncode != 0:
        pytest.fail(
            f"demonitor demo failed ({built.returncode}):\n{output[-3000:]}\n"
            f"and so did building the demo data directly:\n{rebuilt.stderr[-3000:]}"
        )
    return DemoDatabase(fallback_url, command, built.returncode, output, workaround=True)


# The live server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(demo_database: DemoDatabase) -> Iterator[str]:
    """The platform on the demo database, served by uvicorn in a background thread."""
    import uvicorn

    from demonitor.reference.digital_economy import DEFAULT_EDITION
    from demonitor.web.app import create_app
    from demonitor.web.settings import Settings

    # The edition the demo database was built with (without DEMONITOR_DE_EDITION, above).
    app = create_app(
        Settings(
            database_url=demo_database.url, secret_key="browser-tests", edition=DEFAULT_EDITION
        )
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="browser-tests-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive():
            pytest.fail("the test server stopped while starting")
        if time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail("the test server did not start within 30 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


# The browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _ignored(message: str, url: str) -> bool:
    return url.endswith("/favicon.ico") or "favicon.ico" in message


@dataclass
class Visitor:
    """One person at one browser: an isolated context, its page, and what went wrong on it."""

    context: BrowserContext
    page: Page
    base_url: str
    username: str | None = None
    errors: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def expect_console_error(self, pattern: str) -> None:
        """An error the test causes on purpose (a refused form answers 400, a 403 page…)."""
        self.expected.append(pattern)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(re.search(p, e) for p in self.expected)]

    def goto(self, path: str) -> Response:
        response = self.page.goto(self.base_url + path)
        assert response is not None, path
        return response

    def api(self, path: str) -> Any:
        """GET a JSON API path with this visitor's cookies."""
        answer = self.context.request.get(self.base_url + path)
        assert answer.ok, f"{path}: {answer.status} {answer.text()[:300]}"
        return answer.json()

    def sign_in(self, username: str, password: str | None = None, next: str | None = None) -> None:
        """Through the login form, as a person would; ``next`` is where the form then leads
        (the overview when None)."""
        page = self.page
        self.goto("/login" if next is None else f"/login?next={next}")
        page.fill("#username", username)
        page.fill("#password", password if password is not None else PASSWORDS[username])
        with page.expect_navigation():
            page.click("#login-submit")
        self.username = username

    def wait_for_charts(self) -> None:
        self.page.locator("body[data-charts-ready='true']").wait_for(state="attached")


NewVisitor = Callable[..., Visitor]
# Where a signed-in visitor lands unless a test asks for the overview (next=None): a light page.
# The overview is recomputed after every write (1–3 s), and many tests here write.
QUICK = "/tokens"


@pytest.fixture(scope="session")
def indicator_kinds(demo_database: DemoDatabase) -> dict[str, str]:
    """Each indicator's kind (ratio, count_cumulative, milestone), read from the database."""
    from sqlalchemy import select

    from demonitor.store.db import make_engine
    from demonitor.store.models import Indicator

    engine = make_engine(demo_database.url)
    try:
        with engine.connect() as connection:
            return {
                code: kind
                for code, kind in connection.execute(select(Indicator.code, Indicator.kind))
            }
    finally:
        engine.dispose()


@pytest.fixture
def visitor(browser: Browser, live_server: str) -> Iterator[NewVisitor]:
    """Make a visitor with a fresh browser context, signed in as ``username`` when given
    (landing on ``next``; None: wherever the login form leads by itself, the overview).

    At the end of the test no page of any visitor may have logged a console error or thrown
    an uncaught exception, except those a test declared with ``expect_console_error``.
    """
    visitors: list[Visitor] = []

    def new(
        username: str | None = None,
        *,
        password: str | None = None,
        next: str | None = QUICK,
    ) -> Visitor:
        context = browser.new_context(
            base_url=live_server,
            viewport={"width": 1366, "height": 900},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            reduced_motion="reduce",  # charts finish at once instead of after their animation
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        found = Visitor(context, page, live_server)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                url = str(message.location.get("url", ""))
                if not _ignored(message.text, url):
                    found.errors.append(f"console error on {page.url}: {message.text} ({url})")

        page.on("console", on_console)
        page.on(
            "pageerror", lambda error: found.errors.append(f"page error on {page.url}: {error}")
        )
        visitors.append(found)
        if username is not None:
            found.sign_in(username, password, next)
        return found

    yield new
    problems = [e for v in visitors for e in v.unexpected_errors()]
    for v in visitors:
        v.context.close()
    assert not problems, "errors in the browser:\n" + "\n".join(problems)
