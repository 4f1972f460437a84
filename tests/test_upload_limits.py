"""The web's bad inputs (issue 10, items 5, 6 and 11): floods refused before they are read,
request bodies limited per route before anything reads them, and inputs that once gave a 500
answered with a 4xx that says why in Chinese and English, writing nothing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, create_engine, func, select

from demonitor.core.permissions import Role
from demonitor.services import users as user_service
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import session_scope
from demonitor.store.models import AuditEntry, Submission, SubmissionItem
from demonitor.web.app import create_app
from demonitor.web.settings import Settings

PASSWORD = "correct-horse-battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HEADER = ["指标代码", "行政区划代码", "期别", "数值", "备注"]
MIB = 1024 * 1024


@pytest.fixture
def web(engine: Engine) -> Iterator[FastAPI]:
    """The app over a seeded database with an administrator and a district (海陵区) user."""
    with session_scope(engine) as session:
        seed_reference(session, "tester")
        for username, role, details in (
            ("root", Role.ADMIN, {}),
            ("hailing", Role.DISTRICT, {"region": "321202"}),
        ):
            user_service.add_user(
                session,
                "tester",
                username,
                role,
                password=PASSWORD,
                must_change_password=False,
                **details,
            )
    url = engine.url.render_as_string(hide_password=False)
    application = create_app(Settings(database_url=url, secret_key="test"))
    yield application
    application.state.engine.dispose()


def token(client: TestClient) -> str:
    found = CSRF.search(client.get("/login").text)
    assert found is not None
    return found.group(1)


def signed_in(web: FastAPI, username: str) -> TestClient:
    client = TestClient(web, follow_redirects=False, raise_server_exceptions=False)
    answer = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token(client)}
    )
    assert answer.status_code == 303, answer.text
    return client


def count(web: FastAPI, model: type[Any]) -> int:
    with session_scope(web.state.engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def bilingual(text: str, zh: str, en: str) -> bool:
    return zh in text and en in text


def upload(client: TestClient, name: str, data: bytes, period: str = "2024") -> Any:
    return client.post(
        "/submissions/upload",
        data={"period": period, "csrf_token": token(client)},
        files={"file": (name, data)},
    )


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def flood(rows: int, *, dimension: bool = True) -> bytes:
    """A workbook of the observations template's header and ``rows`` one-cell rows."""
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(HEADER)
    )
    body = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(2, rows + 2))
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="A1:E{rows + 1}"/>' if dimension else "")
        + f'<sheetData><row r="1">{cells}</row>{body}</sheetData></worksheet>'
    )
    members = members_of(xlsx([["x"]]))
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    return zipped(members)


def nothing_kept(web: FastAPI, audit_before: int) -> bool:
    return (
        count(web, Submission) == 0
        and count(web, SubmissionItem) == 0
        and count(web, AuditEntry) == audit_before
    )


# Item 5: floods ---------------------------------------------------------------------------------


def test_a_sheet_far_beyond_a_form_is_refused_at_once_with_its_size(web: FastAPI) -> None:
    district = signed_in(web, "hailing")
    data = flood(500_000)
    assert len(data) < 5 * MIB  # small enough to be taken: the sheet, not the file, is the flood
    audit_before = count(web, AuditEntry)
    started = time.perf_counter()
    answer = upload(district, "flood.xlsx", data)
    assert time.perf_counter() - started < 5
    assert answer.status_code == 400, answer.text
    assert bilingual(answer.text, "工作表有500,001行", "the sheet has 500,001 rows"), answer.text
    assert "flood.xlsx" in answer.text
    assert nothing_kept(web, audit_before)


def test_a_sheet_that_hides_its_size_stops_at_the_row_limit(web: FastAPI) -> None:
    district = signed_in(web, "hailing")
    answer = upload(district, "flood.xlsx", flood(6_000, dimension=False))
    assert answer.status_code == 400 and "5,000" in answer.text, answer.text


def test_a_zip_bomb_is_refused_before_it_is_inflated(web: FastAPI) -> None:
    members = members_of(xlsx([HEADER, ["DE05", "321202", "2024", 70, ""]]))
    members["xl/media/blank.bin"] = b" " * (30 * MIB)  # inflates to 30 MiB, zipped to 30 KB
    data = zipped(members)
    assert len(data) < MIB
    district = signed_in(web, "hailing")
    answer = upload(district, "bomb.xlsx", data)
    assert answer.status_code == 400, answer.text
    assert bilingual(answer.text, "解压后有30.0 MB", "30.0 MB uncompressed"), answer.text


def test_an_upload_is_read_before_the_draft_is_written(
    web: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the file is read and checked, the database is free for everyone else (a sign-in
    writes its time); the draft is opened for writing only once the file is known to be good."""
    import demonitor.web.routes.submissions as route

    engine: Engine = web.state.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("the write lock that once held everyone is SQLite's")
    database = str(engine.url.database)
    free: list[bool] = []
    real = route.read_rows

    def reading(*args: Any, **kwargs: Any) -> Any:
        other = create_engine(f"sqlite:///{database}", connect_args={"timeout": 0})
        with other.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # fails at once if a writer holds it
            connection.exec_driver_sql("ROLLBACK")
        other.dispose()
        free.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(route, "read_rows", reading)
    district = signed_in(web, "hailing")
    good = xlsx([HEADER, ["DE05", "321202", "2024", 70, "抽样调查"]])
    answer = upload(district, "good.xlsx", good)
    assert answer.status_code == 200, answer.text
    assert free == [True]
    assert count(web, SubmissionItem) == 1


# Item 6: request bodies -------------------------------------------------------------------------


def asgi_post(
    app: FastAPI, path: str, headers: list[tuple[bytes, bytes]], chunks: Iterator[bytes]
) -> tuple[int, dict[str, str], bytes, int]:
    """POST straight to the ASGI app: (status, headers, body, body messages the app read)."""
    sent: list[dict[str, Any]] = []
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        chunk = next(chunks, None)
        read += 1
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
        "state": {},
    }
    # In a thread of its own: Playwright's session-wide browser keeps an event loop running in
    # this thread when the browser tests ran first, and asyncio.run refuses to nest in it.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    names = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], names, body, read


def endless(size: int = 64 * 1024, total: int = 32 * MIB) -> Iterator[bytes]:
    """Chunks of a body far beyond any limit (bounded, so that a server without limits ends)."""
    for _ in range(total // size):
        yield b"a" * size


FORM = (b"content-type", b"application/x-www-form-urlencoded")


def test_an_anonymous_gigabyte_sign_in_is_refused_before_it_is_read(web: FastAPI) -> None:
    status, headers, body, read = asgi_post(
        web, "/login", [FORM, (b"content-length", str(1024**3).encode())], endless()
    )
    assert status == 413 and read == 0
    assert bilingual(body.decode(), "请求内容过大", "request body too large"), body
    assert headers["x-content-type-options"] == "nosniff"  # an answer like any other


def test_a_chunked_body_is_counted_and_cut_off(web: FastAPI) -> None:
    status, _headers, body, read = asgi_post(
        web, "/login", [FORM, (b"transfer-encoding", b"chunked")], endless()
    )
    assert status == 413, body
    assert read <= 3  # a few KB are allowed for a sign-in: the first 64 KB chunk is too much
    assert bilingual(body.decode(), "请求内容过大", "request body too large")


def test_a_chunked_upload_may_reach_the_upload_limit_and_no_further(web: FastAPI) -> None:
    multipart = (b"content-type", b"multipart/form-data; boundary=x")
    part = (
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
    )

    def chunks() -> Iterator[bytes]:
        yield part
        yield from endless()

    status, _headers, _body, read = asgi_post(
        web, "/submissions/upload", [multipart, (b"transfer-encoding", b"chunked")], chunks()
    )
    assert status == 413
    assert 5 * MIB // (64 * 1024) <= read <= 5 * MIB // (64 * 1024) + 3


def test_each_route_has_its_limit(web: FastAPI) -> None:
    client = TestClient(web, raise_server_exceptions=False)
    # A sign-in form is a few KB at most.
    big_sign_in = client.post("/login", data={"username": "x" * 20_000, "password": "y"})
    assert big_sign_in.status_code == 413
    assert client.post("/login", data={"username": "x", "password": "y"}).status_code != 413
    # The JSON API answers in JSON.
    flood = client.post(
        "/api/v1/submissions",
        content=b'{"period": "2024", "items": [' + b'{"x": 1},' * 100_000 + b"{}]}",
        headers={"content-type": "application/json"},
    )
    assert flood.status_code == 413
    assert bilingual(flood.json()["detail"]["zh"] + flood.json()["detail"]["en"], "过大", "large")
    # An upload may be as big as the file limit, not bigger.
    district = signed_in(web, "hailing")
    under = upload(district, "big.csv", b"x" * (4 * MIB))
    assert under.status_code == 400  # read, and refused for what it holds
    over = upload(district, "big.csv", b"x" * (6 * MIB))
    assert over.status_code == 413 and "5 MB" in over.text


# Item 11: inputs that gave a 500 ---------------------------------------------------------------


def _truncated() -> bytes:
    whole = xlsx([HEADER, ["DE05", "321202", "2024", 70, ""]])
    return whole[: len(whole) // 2]


BAD_UPLOADS: dict[str, tuple[str, Callable[[], bytes], str, str]] = {
    "empty workbook": ("a.xlsx", lambda: b"", "文件为空", "the file is empty"),
    "not a zip": ("a.xlsx", lambda: b"PK\x03\x04junk", "不是有效的Excel文件", "not a valid Excel"),
    "text": ("a.xlsx", lambda: b"hello", "不是有效的Excel文件", "not a valid Excel"),
    "truncated": ("a.xlsx", _truncated, "不是有效的Excel文件", "not a valid Excel"),
    "header only": (
        "a.csv",
        lambda: ",".join(HEADER).encode() + b"\n",
        "文件没有数据行",
        "the file has no data rows",
    ),
    "a cell of 200,000 characters": (
        "a.csv",
        lambda: f"{','.join(HEADER)}\nDE05,321202,2024,70,{'x' * 200_000}\n".encode(),
        "32,767",
        "32,767",
    ),
    "a period of year 0000 in the file": (
        "a.csv",
        lambda: f"{','.join(HEADER)}\nDE05,321202,0000,70,\n".encode(),
        "1949",
        "1949",
    ),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_a_bad_upload_is_a_400_that_says_why(web: FastAPI, case: str) -> None:
    name, data, zh, en = BAD_UPLOADS[case]
    district = signed_in(web, "hailing")
    audit_before = count(web, AuditEntry)
    answer = upload(district, name, data())
    assert answer.status_code == 400, answer.text
    assert bilingual(answer.text, zh, en), answer.text
    assert nothing_kept(web, audit_before)


def test_a_file_name_of_300_characters_is_shortened_not_a_500(web: FastAPI) -> None:
    district = signed_in(web, "hailing")
    name = "填报" * 150 + ".csv"
    data = f"{','.join(HEADER)}\nDE05,321202,2024,70,抽样调查\n".encode()
    answer = upload(district, name, data)
    assert answer.status_code == 200, answer.text
    assert count(web, SubmissionItem) == 1
    refused = upload(district, name, f"{','.join(HEADER)}\nDE05,321202,2024,七十,\n".encode())
    assert refused.status_code == 400 and "填报填报" in refused.text  # named, shortened


@pytest.mark.parametrize("period", ["0000", "9999", "-1", "1948", "2101Q1"])
def test_implausible_periods_are_refused_everywhere(web: FastAPI, period: str) -> None:
    district = signed_in(web, "hailing")
    answers = [
        district.get(f"/submissions?period={period}"),
        district.get(f"/api/v1/duties?period={period}"),
        district.post("/submissions", data={"period": period, "csrf_token": token(district)}),
        upload(district, "a.csv", f"{','.join(HEADER)}\nDE05,321202,2024,70,\n".encode(), period),
    ]
    assert [a.status_code for a in answers] == [400] * 4, [a.text[:300] for a in answers]
    assert all("2024" in a.text and ("1949" in a.text or "2024Q3" in a.text) for a in answers)
    assert count(web, Submission) == 0


@pytest.mark.parametrize("year", ["-1", "99999999999", "1800"])
def test_implausible_years_of_the_districts_are_refused(web: FastAPI, year: str) -> None:
    root = signed_in(web, "root")
    for path in ("/districts", "/api/v1/districts", "/api/v1/districts/321202"):
        answer = root.get(f"{path}?year={year}")
        assert answer.status_code == 400, (path, answer.text[:300])
        assert "1949" in answer.text or "2024Q3" in answer.text


@pytest.mark.parametrize(
    ("query", "zh", "en"),
    [
        ("page=99999999999999999999999", "页码", "page"),
        ("date_from=0001-01-01", "1949", "1949"),
        ("date_to=9999-12-31", "1949", "1949"),
        ("key=" + "x" * 50_000, "200", "200"),
        ("actor=" + "x" * 50_000, "200", "200"),
    ],
)
def test_the_audit_filters_refuse_what_they_cannot_use(
    web: FastAPI, query: str, zh: str, en: str
) -> None:
    root = signed_in(web, "root")
    page = root.get(f"/audit?{query}")
    assert page.status_code == 400 and bilingual(page.text, zh, en), page.text[:500]
    api = root.get(f"/api/v1/audit?{query}")
    assert api.status_code == 400, api.text[:500]
    detail = api.json()["detail"]
    assert zh in detail["zh"] and en in detail["en"]


def test_the_audit_filters_still_take_reasonable_values(web: FastAPI) -> None:
    root = signed_in(web, "root")
    answer = root.get("/api/v1/audit?page=2&date_from=2024-01-01&date_to=2100-12-31&key=user")
    assert answer.status_code == 200 and answer.json()["page"] == 2


@pytest.mark.parametrize("path", ["/static/nope.css", "/static/vendor/none/x.js", "/static/"])
def test_a_missing_static_file_is_a_404(web: FastAPI, path: str) -> None:
    client = TestClient(web, raise_server_exceptions=False)
    answer = client.get(path)
    assert answer.status_code == 404
    assert bilingual(answer.text, "未找到", "not found")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/css/app.css").status_code == 200


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"username": "u" * 300, "role": "office"}, "username"),
        ({"username": "longname", "display_name": "名" * 300, "role": "office"}, "display_name"),
        ({"username": "dept", "department": "部" * 300, "role": "department"}, "department"),
    ],
)
def test_a_name_longer_than_its_column_is_a_400_naming_the_field(
    web: FastAPI, fields: dict[str, str], named: str
) -> None:
    """PostgreSQL refuses a value longer than its String(n) column; SQLite would keep it."""
    from demonitor.store.models import User

    root = signed_in(web, "root")
    users_before = count(web, User)
    answer = root.post("/admin/users", data={**fields, "csrf_token": token(root)})
    assert answer.status_code == 400, answer.text[:300]
    assert named in answer.text and "字符" in answer.text, answer.text[:2000]
    assert count(web, User) == users_before


def test_a_token_name_longer_than_its_column_is_a_400(web: FastAPI) -> None:
    root = signed_in(web, "root")
    answer = root.post("/tokens", data={"name": "令" * 300, "csrf_token": token(root)})
    assert answer.status_code == 400 and "name" in answer.text and "128" in answer.text
