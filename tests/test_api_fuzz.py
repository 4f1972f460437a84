"""Property-based fuzzing of every operation of ``/openapi.json`` (Schemathesis), as each role.

A lasting guard of issue 10: whatever a client sends, the platform answers 4xx, never 5xx, and
every response matches the schema it documents (``not_a_server_error`` and
``response_schema_conformance``). Other checks are not run: the routes document only their 200
and 422 answers, and the pages are HTML documented as JSON by FastAPI.

Each operation is tried as the public (no credentials) and signed in as each role with a bearer
API token (so that unsafe methods need no CSRF token and reach the route itself). The run is
bounded: a few generated cases per operation and role (``MAX_EXAMPLES``), no coverage or
stateful phase, and the demo database is small.

Nothing is excluded. A 5xx that belongs to another item of issue 10 (bad inputs: corrupt
uploads, periods such as 0000 or 9999, huge page numbers, long search strings) is marked
``xfail`` with that item in ``KNOWN`` (by what the failure says); every other failure fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from sqlalchemy.orm import Session

from demonitor.core.periods import Period
from demonitor.demo.accounts import add_demo_accounts
from demonitor.demo.database import build_demo
from demonitor.services.submissions import ItemInput, SubmissionStore
from demonitor.services.users import (
    create_token,
    enable_user,
    find_user,
    principal_of,
    user_of_token,
)
from demonitor.store import users as users_store
from demonitor.store.db import make_engine, session_scope, upgrade
from demonitor.web.app import create_app
from demonitor.web.settings import Settings

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 8
# The public, and one demo account of each role.
ROLES = {
    "public": None,
    "district": "hailing",
    "department": "industry",
    "statistics": "statistics",
    "office": "office",
    "leader": "leader",
    "admin": "admin",
}
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 2025,  # the same cases on every run
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
        },
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    }
)
CHECKS = [not_a_server_error, response_schema_conformance]

# 5xx that belong to the bad-input items of issue 10, fixed by another engineer: what the
# failure says (a regular expression) → why it is expected to fail for now.
KNOWN: dict[str, str] = {
    r"int too large to convert to SQLite INTEGER": (
        "issue 10, item 11 (bad inputs: huge numbers): a number beyond 64 bits in the path or the "
        "query (a submission id, a page number, an offset) reaches SQLite and ends in a 500"
    ),
}


def _known(message: str) -> str | None:
    return next((why for pattern, why in KNOWN.items() if re.search(pattern, message)), None)


@dataclass
class Fuzzed:
    app: Any
    url: str


@pytest.fixture(scope="module", autouse=True)
def cheap_passwords() -> Iterator[None]:
    """Argon2 at its lowest cost for this module: the fuzzer signs in and sets passwords
    hundreds of times, and what it tests is the answers, not the hash."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            users_store, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        yield


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Fuzzed:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        build_demo(session, rows=150, seed=3)
        add_demo_accounts(session)
        jiangyan = find_user(session, "jiangyan")
        assert jiangyan is not None
        store = SubmissionStore(session, principal_of(jiangyan))
        submission = store.open_for(Period(2024))
        assert store.save(submission, [ItemInput("DE05", "321204", "70")]) == []
        store.submit(submission)
    engine.dispose()
    return Fuzzed(create_app(Settings(database_url=url, secret_key="fuzz")), url)


@pytest.fixture(scope="module")
def api_schema(fuzzed: Fuzzed) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app, config=CONFIG)


class Credentials:
    """A valid bearer token per role, issued again if the fuzzer revoked it (it may: it calls
    ``/tokens/{token_id}/revoke`` with small ids) or disabled its user (``/admin/users/…``)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.secrets: dict[str, str] = {}

    def headers(self, role: str) -> dict[str, str]:
        username = ROLES[role]
        if username is None:
            return {}
        with session_scope(self.engine) as session:
            secret = self.secrets.get(role)
            if secret is None or self._holder(session, secret) != username:
                user = find_user(session, username)
                assert user is not None
                if user.disabled:
                    enable_user(session, "fuzz", username, "fuzzing disabled it")
                _, secret = create_token(session, "fuzz", username, "fuzz")
                self.secrets[role] = secret
        return {"Authorization": f"Bearer {secret}"}

    @staticmethod
    def _holder(session: Session, secret: str) -> str | None:
        user = user_of_token(session, secret)
        return user.username if user is not None else None


@pytest.fixture(scope="module")
def credentials(fuzzed: Fuzzed) -> Credentials:
    return Credentials(fuzzed.url)


def _brief(error: BaseException) -> str:
    """What failed, and how to reproduce it, without the schemas Schemathesis prints."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    keep = [line.strip() for line in lines if line.lstrip().startswith(("- ", "[", "curl ", "`"))]
    return " | ".join(keep[:8]) or (lines[0] if lines else type(error).__name__)


def _strategy(operation: Any) -> Any:
    """Valid requests and invalid ones (what the schema refuses), for one operation."""
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            strategies.append(operation.as_strategy(generation_mode=mode))
        except Unsatisfiable:  # nothing invalid to send (no parameters)
            continue
    return st.one_of(strategies)


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    """Run the generated cases of one operation; raises the first failure."""

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,  # the whole run is bounded by the number of cases instead
        database=None,
        derandomize=True,  # the same cases on every run
        phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, unshrunk
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("role", list(ROLES))
def test_no_request_gets_a_server_error_or_an_answer_off_its_schema(
    api_schema: Any, credentials: Credentials, role: str
) -> None:
    failures: list[str] = []
    known: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 50  # every route of the platform, pages and API
    for operation in operations:
        try:
            _fuzz(operation, credentials.headers(role))
        except (Exception, BaseExceptionGroup) as error:  # a 5xx or an answer off its schema
            found = f"{operation.method.upper()} {operation.path}: {_brief(error)}"
            why = _known(found)
            (known if why else failures).append(f"{found}\n  → {why}" if why else found)
    assert failures == [], f"as {role}:\n" + "\n\n".join(failures)
    if known:
        pytest.xfail("\n".join(known))


# Boundary values, sent on purpose: numbers beyond 64 bits and long text in every path and
# query parameter, as the administrator (who reaches every handler past its guard).
HUGE = ("18446744073709551616", "-9223372036854775809")
LONG = "长" * 5000
PLAIN = {"code": "DE05", "lang": "en", "username": "office", "credit_code": "x"}


def _boundary_requests(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(method, url, the parameter tried) for each path and query parameter and value."""
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = [
                p for p in operation.get("parameters", []) if p["in"] in ("path", "query")
            ]
            for parameter in parameters:
                kind = json.dumps(parameter.get("schema", {}))
                values = HUGE if '"integer"' in kind else (LONG, *HUGE)
                for value in values:
                    path = template
                    for other in (p for p in parameters if p["in"] == "path"):
                        chosen = value if other is parameter else PLAIN.get(other["name"], "1")
                        path = path.replace("{" + other["name"] + "}", quote(chosen, safe=""))
                    query = {parameter["name"]: value} if parameter["in"] == "query" else {}
                    yield method.upper(), path, query


def test_boundary_values_in_every_parameter_get_no_server_error(
    fuzzed: Fuzzed, credentials: Credentials
) -> None:
    client = TestClient(fuzzed.app)  # raises what a handler raises: a 500 is an exception
    document = client.get("/openapi.json").json()
    failures: list[str] = []
    known: list[str] = []
    tried = 0
    for method, path, query in _boundary_requests(document):
        tried += 1
        headers = credentials.headers("admin")
        try:
            answer = client.request(method, path, params=query, headers=headers)
            problem = f"answered {answer.status_code}" if answer.status_code >= 500 else None
        except Exception as error:
            problem = f"{type(error).__name__}: {error}"
        if problem:
            found = f"{method} {path[:80]} {str(query)[:80]}: {problem[:200]}"
            why = _known(found)
            (known if why else failures).append(f"{found}\n  → {why}" if why else found)
    assert tried > 50
    assert failures == [], "\n".join(failures)
    if known:
        pytest.xfail("\n".join(known))
