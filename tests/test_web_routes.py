"""Every route × every role: who gets in, who is refused (401/403, never 200 with data).

The table ``EXPECTED`` below is the specification, written by hand. A route of the app that is
missing from it, or that declares no permission, fails the test: adding a route means deciding,
here, who may use it.

The test database has one 涉密 indicator: DE04, collected by the districts (``SECRET_CODE``).
Only admin, office and leader may read it; no other role may see its values on any route.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from demonitor.core.permissions import Role
from demonitor.demo.accounts import DEMO_ACCOUNTS, add_demo_accounts
from demonitor.demo.database import build_demo
from demonitor.services.submissions import ItemInput, SubmissionStore
from demonitor.services.targets import set_level
from demonitor.services.users import add_user, find_user, principal_of
from demonitor.store.db import make_engine, session_scope, upgrade
from demonitor.store.models import Classification
from demonitor.web.app import create_app
from demonitor.web.guard import declared_permission
from demonitor.web.settings import Settings

# A demo database and every route × every role: most of a minute.
pytestmark = pytest.mark.slow

ROLES = ("public", "admin", "office", "statistics", "department", "district", "leader")
USER_OF_ROLE = {
    "admin": "admin",
    "office": "office",
    "statistics": "statistics",
    "department": "industry",
    "district": "hailing",  # 海陵区; the submission below belongs to 姜堰区
    "leader": "leader",
}
PASSWORDS = {a.username: a.password for a in DEMO_ACCOUNTS}

EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {"public"}
SUBMITTERS = {"admin", "office", "statistics", "department", "district"}
REVIEWERS = {"admin", "office"}
MICRODATA = {"admin", "statistics"}
ADMIN = {"admin"}
# 涉密 reaches admin, office and leader only (core.permissions.SECRET_READERS).
SECRET = {"admin", "office", "leader"}
SECRET_CODE = "DE04"  # a district-collected indicator, set to 涉密 in the test's database


@dataclass(frozen=True)
class Case:
    """One request of a route, and the roles that must get through its guard."""

    allowed: set[str]
    params: tuple[tuple[str, str], ...] = ()
    body: str = "form"  # form | json | file
    note: str = ""


EXPECTED: dict[tuple[str, str], list[Case]] = {
    ("GET", "/docs"): [Case(EVERYONE)],
    ("GET", "/login"): [Case(EVERYONE)],
    ("POST", "/login"): [Case(EVERYONE, note="answers 401 to a wrong password, for everyone")],
    ("POST", "/logout"): [Case(EVERYONE)],
    ("GET", "/lang/{lang}"): [Case(EVERYONE, (("lang", "en"),))],
    ("GET", "/password"): [Case(SIGNED_IN)],
    ("POST", "/password"): [Case(SIGNED_IN)],
    ("GET", "/tokens"): [Case(SIGNED_IN)],
    ("POST", "/tokens"): [Case(SIGNED_IN)],
    ("POST", "/tokens/{token_id}/revoke"): [Case(SIGNED_IN, (("token_id", "999999"),))],
    ("GET", "/api/v1/me"): [Case(SIGNED_IN)],
    ("GET", "/api/v1/tokens"): [Case(SIGNED_IN)],
    # The dashboard: the public reads what is 公开 (DE01), signed-in users every aggregate.
    ("GET", "/"): [Case(EVERYONE)],
    ("GET", "/indicators"): [Case(EVERYONE)],
    ("GET", "/indicators/{code}"): [
        Case(EVERYONE, (("code", "DE01"),)),
        Case(SIGNED_IN, (("code", "DE05"),), note="内部 level: not for the public"),
        Case(SECRET, (("code", SECRET_CODE),), note="涉密 level: admin, office and leader"),
    ],
    ("GET", "/indicators/{code}/data.csv"): [
        Case(EVERYONE, (("code", "DE01"),)),
        Case(SIGNED_IN, (("code", "DE05"),)),
        Case(SECRET, (("code", SECRET_CODE),)),
    ],
    ("GET", "/indicators/{code}/data.xlsx"): [
        Case(EVERYONE, (("code", "DE01"),)),
        Case(SIGNED_IN, (("code", "DE05"),)),
        Case(SECRET, (("code", SECRET_CODE),)),
    ],
    ("GET", "/api/v1/overview"): [Case(EVERYONE)],
    ("GET", "/api/v1/indicators"): [Case(EVERYONE)],
    ("GET", "/api/v1/progress"): [Case(EVERYONE, note="the public sees its 公开 cards only")],
    ("GET", "/api/v1/indicators/{code}"): [
        Case(EVERYONE, (("code", "DE01"),)),
        Case(SIGNED_IN, (("code", "DE05"),)),
        Case(SECRET, (("code", SECRET_CODE),)),
    ],
    ("GET", "/districts"): [Case(SIGNED_IN)],
    ("GET", "/districts/{code}"): [Case(SIGNED_IN, (("code", "321204"),))],
    ("GET", "/alerts"): [Case(SIGNED_IN)],
    ("GET", "/api/v1/districts"): [Case(SIGNED_IN)],
    ("GET", "/api/v1/districts/{code}"): [Case(SIGNED_IN, (("code", "321204"),))],
    ("GET", "/api/v1/alerts"): [Case(SIGNED_IN)],
    # Users and the audit log.
    ("GET", "/admin/users"): [Case(ADMIN)],
    ("POST", "/admin/users"): [Case(ADMIN)],
    ("POST", "/admin/users/{username}/disable"): [Case(ADMIN, (("username", "victim"),))],
    ("POST", "/admin/users/{username}/enable"): [Case(ADMIN, (("username", "victim"),))],
    ("POST", "/admin/users/{username}/reset"): [Case(ADMIN, (("username", "victim"),))],
    ("GET", "/api/v1/users"): [Case(ADMIN)],
    ("POST", "/api/v1/users"): [Case(ADMIN, body="json")],
    # Indicators' access levels: the office (which approves aggregates) and admin.
    ("GET", "/admin/indicators"): [Case(REVIEWERS)],
    ("POST", "/admin/indicators/{code}"): [
        Case(REVIEWERS, (("code", "DE05"),), note="no level given: refused with 400, not changed")
    ],
    ("GET", "/api/v1/admin/indicators"): [Case(REVIEWERS)],
    ("POST", "/api/v1/admin/indicators/{code}"): [
        Case(REVIEWERS, (("code", "DE05"),), body="json", note="no level given: 422")
    ],
    ("GET", "/audit"): [Case(REVIEWERS)],
    ("GET", "/api/v1/audit"): [Case(REVIEWERS)],
    # Submissions: submitters reach their own; another's only the office (to review) and admin.
    ("GET", "/submissions"): [Case(SUBMITTERS)],
    ("GET", "/submissions/template.xlsx"): [Case(SUBMITTERS)],
    ("GET", "/submissions/{submission_id}"): [Case(REVIEWERS, (("submission_id", "{other}"),))],
    ("POST", "/submissions"): [Case(SUBMITTERS, note="each acts on its own submission")],
    ("POST", "/submissions/upload"): [Case(SUBMITTERS, body="file")],
    ("GET", "/api/v1/duties"): [Case(SUBMITTERS)],
    ("GET", "/api/v1/submissions"): [Case(SUBMITTERS)],
    ("POST", "/api/v1/submissions"): [Case(SUBMITTERS, body="json")],
    ("GET", "/api/v1/submissions/{submission_id}"): [
        Case(REVIEWERS, (("submission_id", "{other}"),))
    ],
    ("GET", "/review"): [Case(REVIEWERS)],
    ("GET", "/review/{submission_id}"): [Case(REVIEWERS, (("submission_id", "{other}"),))],
    ("POST", "/review/{submission_id}/approve"): [Case(REVIEWERS, (("submission_id", "{other}"),))],
    ("POST", "/review/{submission_id}/return"): [Case(REVIEWERS, (("submission_id", "{other}"),))],
    ("GET", "/api/v1/review"): [Case(REVIEWERS)],
    ("POST", "/api/v1/review/{submission_id}/approve"): [
        Case(REVIEWERS, (("submission_id", "{other}"),))
    ],
    ("POST", "/api/v1/review/{submission_id}/return"): [
        Case(REVIEWERS, (("submission_id", "{other}"),), body="json")
    ],
    # Enterprise microdata: the statistics bureau (and admin) only.
    ("GET", "/identification"): [Case(MICRODATA)],
    ("POST", "/identification/{credit_code}"): [Case(MICRODATA, (("credit_code", "{unit}"),))],
    ("GET", "/identification/overrides.csv"): [Case(MICRODATA)],
    ("GET", "/api/v1/identification"): [Case(MICRODATA)],
    ("POST", "/api/v1/identification/{credit_code}"): [
        Case(MICRODATA, (("credit_code", "{unit}"),), body="json")
    ],
}


def app_routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        if hasattr(route, "original_router"):  # an included router
            yield from app_routes(route.original_router.routes)
        else:
            yield route


@dataclass
class Platform:
    app: Any
    other_submission: int
    unit: str


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    folder = tmp_path_factory.mktemp("routes")
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        build_demo(session, rows=300, seed=7)
        set_level(session, SECRET_CODE, "涉密", "test: a classified indicator", "test", None)
        add_demo_accounts(session)
        add_user(session, "test", "victim", Role.LEADER, password="Another-pass-2025")
        jiangyan = find_user(session, "jiangyan")
        assert jiangyan is not None
        store = SubmissionStore(session, principal_of(jiangyan))
        from demonitor.core.periods import Period

        submission = store.open_for(Period(2024))
        assert store.save(submission, [ItemInput("DE05", "321204", "70")]) == []
        store.submit(submission)
        unit = session.scalars(select(Classification.credit_code).limit(1)).one()
        other = submission.id
    engine.dispose()
    return Platform(create_app(Settings(database_url=url, secret_key="test")), other, unit)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def client_for(platform: Platform, role: str) -> tuple[TestClient, str]:
    client = TestClient(platform.app)
    token = _csrf(client.get("/login").text)
    if role != "public":
        username = USER_OF_ROLE[role]
        answer = client.post(
            "/login",
            data={"username": username, "password": PASSWORDS[username], "csrf_token": token},
        )
        assert answer.status_code == 200, answer.text
        token = _csrf(answer.text)
    return client, token


@pytest.fixture(scope="module")
def clients(platform: Platform) -> dict[str, tuple[TestClient, str]]:
    return {role: client_for(platform, role) for role in ROLES}


def test_every_route_declares_its_permission(platform: Platform) -> None:
    undeclared = [
        f"{sorted(r.methods)} {r.path}"
        for r in app_routes(platform.app.routes)
        if isinstance(r, APIRoute) and declared_permission(r) is None
    ]
    assert undeclared == []


def test_every_route_is_in_the_expected_table(platform: Platform) -> None:
    served = {
        (method, r.path)
        for r in app_routes(platform.app.routes)
        if isinstance(r, APIRoute)
        for method in r.methods
    }
    assert served - EXPECTED.keys() == set(), "routes without an expectation: add them above"
    assert EXPECTED.keys() - served == set(), "expectations of routes that no longer exist"


def _request(client: TestClient, token: str, method: str, path: str, case: Case) -> Any:
    if method == "GET":
        return client.get(path, follow_redirects=False)
    headers = {"X-CSRF-Token": token}
    if case.body == "json":
        return client.post(
            path,
            json={
                "confirm": False,
                "reason": "matrix",
                "comment": "matrix",
                "period": "2024",
                "items": [],
                "username": "matrix-user",
                "role": "leader",
            },
            headers=headers,
            follow_redirects=False,
        )
    if case.body == "file":
        return client.post(
            path,
            data={"csrf_token": token, "period": "2024"},
            files={"file": ("x.csv", b"indicator_code,region_code,period,value\n", "text/csv")},
            follow_redirects=False,
        )
    return client.post(
        path,
        data={
            "csrf_token": token,
            "username": "nobody",
            "password": "wrong-password-1",
            "name": "matrix",
            "decision": "reject",
            "reason": "matrix",
            "comment": "",
            "current": "x",
            "new": "y",
            "repeat": "y",
            "role": "leader",
            "period": "2019",
        },
        follow_redirects=False,
    )


# The error page (templates/error.html) with nothing but its heading, reason and links.
REFUSAL_PAGE = re.compile(
    r'<main class="page">\s*<h1>[^<]*</h1>\s*<p class="flash-error" id="error-reason">[^<]*</p>'
    r'\s*<p class="muted">[^<]*</p>\s*<p><a href="/">[^<]*</a> · <a href="/login">[^<]*</a></p>'
    r"\s*</main>\s*</body>\s*</html>\s*$"
)


def _answers_only_the_refusal(response: Any) -> bool:
    """A refusal says why, in both languages, and nothing else: no data, no page around it."""
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        return (
            isinstance(body, dict)
            and body.keys() == {"detail"}
            and isinstance(body["detail"], dict)
            and body["detail"].keys() == {"zh", "en"}
        )
    return REFUSAL_PAGE.search(response.text) is not None


def _refused(response: Any, method: str, path: str) -> bool:
    if response.status_code in (401, 403):
        return True
    # A page asked for by somebody not signed in sends them to sign in.
    location = response.headers.get("location", "")
    return response.status_code == 303 and location.startswith("/login")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_routes_it_may_use(
    platform: Platform, clients: dict[str, tuple[TestClient, str]], role: str
) -> None:
    wrong = []
    refusals = 0
    for (method, template), cases in sorted(EXPECTED.items()):
        if (method, template) == ("POST", "/logout"):
            client, token = client_for(platform, role)  # signing out must not end the others
        else:
            client, token = clients[role]
        for case in cases:
            path = template
            for name, value in case.params:
                value = value.format(other=platform.other_submission, unit=platform.unit)
                path = path.replace("{" + name + "}", value)
            response = _request(client, token, method, path, case)
            refused = _refused(response, method, path)
            if (method, template) == ("POST", "/login"):
                refused = response.status_code != 401  # the form answers, whoever asks
            expected_refusal = role not in case.allowed
            if refused != expected_refusal:
                outcome = "refused" if refused else "let in"
                wrong.append(f"{method} {path}: {response.status_code} ({outcome})")
            if refused and response.status_code != 303:
                refusals += 1
                assert _answers_only_the_refusal(response), (
                    f"{method} {path} refused but answered with more than the refusal"
                )
    assert wrong == [], f"{role}: " + "; ".join(wrong)
    if role != "admin":  # refused somewhere: the check above ran on those answers
        assert refusals > 0


def test_a_refusal_says_why_in_chinese_and_english(
    clients: dict[str, tuple[TestClient, str]], platform: Platform
) -> None:
    client, _ = clients["district"]
    answer = client.get(f"/api/v1/submissions/{platform.other_submission}")
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": {
            "zh": "只能查看和填报本区划未发布数据",
            "en": "a district reads and writes only its own region's unpublished data",
        }
    }
    public, _ = clients["public"]
    assert public.get("/api/v1/alerts").status_code == 401
    assert (
        public.get("/alerts", follow_redirects=False).headers["location"] == "/login?next=/alerts"
    )


def test_the_public_sees_only_cards_of_open_indicators(
    clients: dict[str, tuple[TestClient, str]],
) -> None:
    public, _ = clients["public"]
    office, _ = clients["office"]
    public_cards = {c["code"] for c in public.get("/api/v1/overview").json()["cards"]}
    office_cards = {c["code"] for c in office.get("/api/v1/overview").json()["cards"]}
    assert public_cards == {"DE01"}
    assert len(office_cards) == 23


def test_the_openapi_document_lists_the_api(clients: dict[str, tuple[TestClient, str]]) -> None:
    public, _ = clients["public"]
    paths = public.get("/openapi.json").json()["paths"]
    assert {"/api/v1/overview", "/api/v1/submissions", "/api/v1/identification"} <= set(paths)


def test_the_api_documentation_loads_its_assets_from_static(
    clients: dict[str, tuple[TestClient, str]],
) -> None:
    public, _ = clients["public"]
    page = public.get("/docs")
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset}: not served by the platform (no CDN)"
        assert public.get(asset).status_code == 200, asset


def test_a_refusal_of_the_domain_is_a_400_with_both_languages(
    clients: dict[str, tuple[TestClient, str]],
) -> None:
    client, _ = clients["department"]
    answer = client.get("/api/v1/duties?period=2024年")
    assert answer.status_code == 400
    assert answer.json()["detail"] == {
        "zh": "期别「2024年」应写作2024或2024Q3",
        "en": "a period looks like 2024 or 2024Q3",
    }
    page = client.get("/submissions?period=2024年")
    assert page.status_code == 400 and "应写作2024或2024Q3" in page.text


def test_a_shared_page_carries_each_readers_own_name_and_form_token(platform: Platform) -> None:
    hailing, hailing_token = client_for(platform, "district")
    jiangyan = TestClient(platform.app)
    token = _csrf(jiangyan.get("/login").text)
    answer = jiangyan.post(
        "/login",
        data={"username": "jiangyan", "password": PASSWORDS["jiangyan"], "csrf_token": token},
    )
    jiangyan_token = _csrf(answer.text)
    first, second = hailing.get("/").text, jiangyan.get("/").text  # the second from the cache
    assert "海陵区（district）" in first and hailing_token in first
    assert "姜堰区（district）" in second and jiangyan_token in second
    assert hailing_token not in second and "海陵区（district）" not in second
    assert "DMCSRFMARK" not in second and "DMNAMEMARK" not in second


# Every route that shows indicator values (pages and their JSON), with the paths that reach
# the 涉密 indicator directly or through a district that reports it.
SHOWS_VALUES = (
    "/",
    "/indicators",
    f"/indicators/{SECRET_CODE}",
    f"/indicators/{SECRET_CODE}/data.csv",
    f"/indicators/{SECRET_CODE}/data.xlsx",
    "/indicators/DE05",
    "/alerts",
    "/districts",
    "/districts/321202",  # 海陵区: the district user's own region
    "/districts/321204",
    "/api/v1/overview",
    "/api/v1/indicators",
    f"/api/v1/indicators/{SECRET_CODE}",
    "/api/v1/progress",
    "/api/v1/progress?as_of=2024",
    "/api/v1/progress?as_of=2024Q2&method=statcan",
    "/api/v1/alerts",
    "/api/v1/districts",
    "/api/v1/districts/321202",
    "/api/v1/districts/321204",
)
SECRET_NAME = "重点企业关键工序数控化率"  # DE04's name: shown wherever its values are


def _mentions_secret(value: Any) -> bool:
    """The JSON names the 涉密 indicator somewhere: a card, an alert, a pillar's list, a row."""
    if isinstance(value, dict):
        return any(_mentions_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_mentions_secret(v) for v in value)
    return isinstance(value, str) and (value == SECRET_CODE or SECRET_NAME in value)


def _shows_secret(response: Any) -> bool:
    kind = response.headers.get("content-type", "")
    if kind.startswith("application/json"):
        return _mentions_secret(response.json())
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content))
        return any(_mentions_secret(list(row)) for sheet in book.worksheets for row in sheet.values)
    return SECRET_CODE in response.text or SECRET_NAME in response.text


@pytest.mark.parametrize("role", ROLES)
def test_no_role_below_secret_sees_a_secret_indicator_on_any_route(
    clients: dict[str, tuple[TestClient, str]], role: str
) -> None:
    client, _ = clients[role]
    leaks, seen = [], []
    for path in SHOWS_VALUES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code < 500, f"{path}: {response.status_code}"
        if response.status_code != 200:
            continue  # refused (checked by the table above) or sent to sign in
        if _shows_secret(response):
            (seen if role in SECRET else leaks).append(path)
    assert leaks == [], f"{role} sees the 涉密 indicator {SECRET_CODE} on {leaks}"
    if role in SECRET:  # not vacuous: those who may read it do see it, and its district values
        expected = {
            f"/indicators/{SECRET_CODE}",
            f"/api/v1/indicators/{SECRET_CODE}",
            "/api/v1/indicators",
            "/districts/321204",
            "/api/v1/districts/321204",
        }
        assert expected <= set(seen), f"{role} should see {SECRET_CODE} on {expected - set(seen)}"


def test_a_district_sees_the_values_of_the_indicators_it_may_read(
    clients: dict[str, tuple[TestClient, str]],
) -> None:
    client, _ = clients["district"]
    detail = client.get("/api/v1/districts/321202").json()
    codes = [i["code"] for i in detail["indicators"]]
    assert "DE05" in codes and SECRET_CODE not in codes
    office, _ = clients["office"]
    assert SECRET_CODE in [
        i["code"] for i in office.get("/api/v1/districts/321202").json()["indicators"]
    ]


def test_the_share_of_gdp_is_shown_only_to_those_who_may_read_its_indicator(
    clients: dict[str, tuple[TestClient, str]],
) -> None:
    """The overview's gauge, trend and categories are the values of DE01 (source accounts):
    were DE01 涉密, a district or the public must not read them off the overview."""
    from demonitor.core.permissions import Principal
    from demonitor.reports.dashboard import Overview, visible_overview

    admin, _ = clients["admin"]
    full = Overview.model_validate(admin.get("/api/v1/overview").json())
    assert full.share_code == "DE01" and full.share is not None and full.categories
    secret = full.model_copy(
        update={
            "cards": [
                c.model_copy(update={"level": "涉密"}) if c.code == "DE01" else c
                for c in full.cards
            ]
        }
    )
    district = Principal(Role.DISTRICT, "hailing", region="321202")
    shown = visible_overview(secret, district, "321200")
    assert "DE01" not in [c.code for c in shown.cards] and shown.share_code is None
    assert (shown.share, shown.share_target, shown.share_ytd, shown.core_value_added) == (
        (None,) * 4
    )
    assert shown.share_series == [] and shown.categories == []
    leader = visible_overview(secret, Principal(Role.LEADER, "leader"), "321200")
    assert leader.share == full.share and leader.categories == full.categories
    # The public's overview of the real database still shows the (公开) share.
    public, _ = clients["public"]
    assert public.get("/api/v1/overview").json()["share"] == full.share


def test_a_year_no_accounts_can_have_is_refused_with_400_not_500(
    clients: dict[str, tuple[TestClient, str]],
) -> None:
    """Found by the fuzzer (tests/test_api_fuzz.py): /districts?year=22050 ended in a 500."""
    client, _ = clients["office"]
    for path in ("/api/v1/districts", "/api/v1/districts/321204", "/districts"):
        for year in ("22050", "-1"):
            answer = client.get(f"{path}?year={year}")
            assert answer.status_code == 400, (path, year, answer.status_code)
            assert "应写作" in answer.text


def test_a_malformed_body_is_answered_as_the_schema_documents(
    clients: dict[str, tuple[TestClient, str]],
) -> None:
    """Found by the fuzzer: the 422 of a body that is not JSON had neither ``msg`` nor
    ``type`` (FastAPI's documented HTTPValidationError), and /api/v1/submissions documented its
    422 as its own list of value errors only."""
    client, token = clients["district"]
    answer = client.post(
        "/api/v1/submissions",
        content=b"\x00",
        headers={"Content-Type": "application/json", "X-CSRF-Token": token},
    )
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert {"loc", "msg", "type", "zh", "en"} <= problem.keys()
    documented = client.get("/openapi.json").json()["paths"]["/api/v1/submissions"]["post"]
    schema = documented["responses"]["422"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/InvalidRequestOut"} in schema["anyOf"]


@pytest.mark.parametrize("role", ["district", "department"])
def test_a_reporter_below_secret_owes_the_secret_indicator_but_reads_no_published_value(
    clients: dict[str, tuple[TestClient, str]], role: str
) -> None:
    """Who reports DE04 (海陵区 for itself, the department for the city) still owes it, but
    its published value is 涉密: not shown on the duties (API) or the submission page."""
    client, _ = clients[role]
    duties = client.get("/api/v1/duties?period=2024").json()
    owed = [d for d in duties if d["indicator_code"] == SECRET_CODE]
    assert owed, f"{role} owes {SECRET_CODE}"
    assert [(d["published"], d["published_vintage"]) for d in owed] == [(None, None)] * len(owed)
    shown = [d for d in duties if d["indicator_code"] == "DE05"]  # 内部: shown as before
    assert shown and all(d["published"] is not None for d in shown)
    page = client.get("/submissions?period=2024").text
    region = owed[0]["region_code"]
    row = re.search(rf'<tr[^>]*id="row-{SECRET_CODE}-{region}">(.*?)</tr>', page, re.S)
    assert row is not None
    published = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    assert published == ["—"], published
