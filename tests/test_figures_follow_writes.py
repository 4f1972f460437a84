"""One source for every figure: the materialised accounts equal the microdata, a running
dashboard follows every kind of write, and the dashboard, the API and the CLI print the same
figures from the same report functions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from demonitor.cli import app as cli
from demonitor.core.periods import Period
from demonitor.demo.accounts import DEMO_ACCOUNTS, add_demo_accounts
from demonitor.demo.database import build_demo
from demonitor.reports.accounts import accounts_table
from demonitor.reports.progress import progress_table
from demonitor.services.identification import decide_case, review_cases
from demonitor.services.submissions import ItemInput, SubmissionStore
from demonitor.services.users import find_user, principal_of
from demonitor.store.account_cells import account_cells, compute_cells
from demonitor.store.db import make_engine, session_scope, upgrade
from demonitor.store.models import AccountBuild, Classification, Enterprise, Financial
from demonitor.web.app import create_app
from demonitor.web.settings import Settings

EDITION = "nbs-de-2021-reconstructed"
PASSWORDS = {a.username: a.password for a in DEMO_ACCOUNTS}


def test_materialised_cells_equal_the_microdata_for_every_period(engine: Engine) -> None:
    with session_scope(engine) as session:
        build_demo(session, rows=300, seed=11)
    with session_scope(engine) as session:
        build = session.get(AccountBuild, EDITION)
        assert build is not None, "the demo's commit materialised the accounts"
        assert {"2023", "2024", "2024Q2", "2025Q2"} <= set(build.periods.split(","))
        for code in ("2021", "2023", "2024", "2024Q2", "2025Q2", "2019"):  # 2019: no financials
            period = Period.parse(code)
            stored, direct = (
                account_cells(session, EDITION, period),
                compute_cells(session, EDITION, period),
            )
            assert stored.keys() == direct.keys()
            for key, cell in direct.items():
                assert stored[key].value_added == pytest.approx(cell.value_added), (code, key)
                assert (stored[key].units, stored[key].reported, stored[key].estimated) == (
                    cell.units,
                    cell.reported,
                    cell.estimated,
                )
                assert stored[key].missing == cell.missing


def test_a_write_that_bypasses_the_services_is_never_shown_stale(engine: Engine) -> None:
    """Cells older than the microdata are not used: the accounts are computed directly."""
    with session_scope(engine) as session:
        build_demo(session, rows=300, seed=11)
    with session_scope(engine) as session:
        before = accounts_table(session, EDITION, 2024).rows[0].core_value_added
        row = session.scalars(
            select(Financial)
            .join(Classification, Classification.credit_code == Financial.credit_code)
            .where(Classification.status == "classified", Financial.period == "2024")
            .limit(1)
        ).one()
        row.value_added = (row.value_added or 0) + 10_000  # no audit entry: a careless writer
        session.flush()
        # Same data version as the cells, so the cells are still used …
        stale = accounts_table(session, EDITION, 2024).rows[0].core_value_added
        assert stale == pytest.approx(before)
        from demonitor.store.observations import audit

        audit(session, "test", "revise", "financial", row.credit_code, None, None)
        session.flush()
        # … but once the write is audited, the cells are older than the microdata.
        after = accounts_table(session, EDITION, 2024).rows[0]
    assert after.core_value_added != pytest.approx(before)


@pytest.fixture
def platform(tmp_path: Path) -> tuple[str, TestClient]:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        build_demo(session, rows=300, seed=7)
        add_demo_accounts(session)
    engine.dispose()
    client = TestClient(create_app(Settings(database_url=url, secret_key="test")))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": "leader", "password": PASSWORDS["leader"], "csrf_token": token[1]},
    )
    assert answer.status_code == 200, answer.text
    return url, client


def _city_2024(client: TestClient) -> dict[str, float]:
    answer = client.get("/api/v1/districts", params={"year": 2024})
    assert answer.status_code == 200, answer.text
    city = answer.json()["city"]
    return {"core": city["core_value_added"], "share": city["share"]}


def _card(client: TestClient, code: str) -> dict[str, object]:
    cards = {c["code"]: c for c in client.get("/api/v1/indicators").json()}
    return dict(cards[code])


def _import(url: str, kind: str, path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", kind, str(path), "--database-url", url])
    assert result.exit_code == 0, result.output


def test_a_running_dashboard_follows_every_kind_of_write(
    platform: tuple[str, TestClient], tmp_path: Path
) -> None:
    url, client = platform
    engine = make_engine(url)
    with session_scope(engine) as session:
        # A digital unit with 2024 figures, estimated from its revenue.
        credit_code, industry, region, name, scope = session.execute(
            select(
                Enterprise.credit_code,
                Enterprise.industry_code,
                Enterprise.region_code,
                Enterprise.name,
                Enterprise.business_scope,
            )
            .join(Classification, Classification.credit_code == Enterprise.credit_code)
            .join(Financial, Financial.credit_code == Enterprise.credit_code)
            .where(
                Classification.status == "classified",
                Financial.period == "2024",
                Financial.value_added.is_(None),
                Financial.revenue > 0,
            )
            .limit(1)
        ).one()
    seen = [_city_2024(client)]

    def changed() -> None:
        now = _city_2024(client)
        assert now["core"] != pytest.approx(seen[-1]["core"]), "the dashboard kept the old figure"
        seen.append(now)

    # 1. Enterprise financials.
    financials = tmp_path / "financials.csv"
    financials.write_text(
        f"统一社会信用代码,期别,营业收入（万元）,增加值（万元）,从业人员\n{credit_code},2024,"
        "987654,,10\n",
        encoding="utf-8",
    )
    _import(url, "financials", financials)
    changed()
    # 2. Value-added rates of its industry.
    rates = tmp_path / "rates.csv"
    rates.write_text(f"行业代码,年份,增加值率（%）,来源\n{industry},2024,61.5,测试\n", "utf-8")
    _import(url, "varates", rates)
    changed()
    # 3. The register: the unit's industry changes to farming, so it is no longer digital.
    register = tmp_path / "register.csv"
    register.write_text(
        "统一社会信用代码,单位名称,行政区划代码,行业代码,经营范围\n"
        f'{credit_code},{name},{region},0111,"{scope}"\n',
        encoding="utf-8",
    )
    _import(url, "register", register)
    changed()
    # 4. An identification decision by the statistics bureau.
    with session_scope(engine) as session:
        cases, _ = review_cases(session, EDITION, "partial", 0, 500)
        with_figures = set(
            session.scalars(
                select(Financial.credit_code).where(
                    Financial.period == "2024", Financial.revenue > 0
                )
            )
        )
        # A unit of a core category (01–04) whose figures count in the core value added.
        case = next(
            c
            for c in cases
            if c.credit_code in with_figures and (c.de_code or "")[:2] in ("01", "02", "03", "04")
        )
        decide_case(session, EDITION, case.credit_code, False, None, "经营范围不含数字活动", "s")
    changed()
    # 5. An approved submission: the card of the indicator shows the new value.
    before = _card(client, "DE05")
    with session_scope(engine) as session:
        industry_user, office = find_user(session, "industry"), find_user(session, "office")
        assert industry_user is not None and office is not None
        submitter = SubmissionStore(session, principal_of(industry_user))
        owed = [c for c in sorted(principal_of(industry_user).indicators) if c == "DE05"]
        assert owed, "the industry department submits DE05"
        submission = submitter.open_for(Period(2024))
        assert submitter.save(submission, [ItemInput("DE05", "321200", "83.3")]) == []
        submitter.submit(submission)
        SubmissionStore(session, principal_of(office)).approve(submission)
    after = _card(client, "DE05")
    assert before["value"] != 83.3 and after["value"] == 83.3
    engine.dispose()


def test_dashboard_api_and_cli_print_the_same_figures(platform: tuple[str, TestClient]) -> None:
    url, client = platform
    runner = CliRunner()
    printed = runner.invoke(
        cli, ["account", "--period", "2024", "--format", "json", "--database-url", url]
    )
    assert printed.exit_code == 0, printed.output
    by_region = {r["region_code"]: r for r in json.loads(printed.output)["accounts"]}
    shown = client.get("/api/v1/districts", params={"year": 2024}).json()
    page = client.get("/districts", params={"year": 2024}).text
    engine = make_engine(url)
    with session_scope(engine) as session:
        report = {r.region: r for r in accounts_table(session, EDITION, 2024).rows}
        progress = {
            p.code: p for p in progress_table(session, EDITION, Period.parse("2025Q2")).rows
        }
    for row in [shown["city"], *shown["districts"]]:
        code = row["code"]
        assert row["core_value_added"] == pytest.approx(report[code].core_value_added)
        assert by_region[code]["core_value_added_10k_yuan"] == pytest.approx(
            report[code].core_value_added, abs=0.05
        )
        assert row["share"] == pytest.approx(report[code].share)
        assert by_region[code]["share_pct"] == pytest.approx(report[code].share)
        # The page prints the share with one decimal, as the CLI table does.
        assert f"{report[code].share:.1f}" in page
    listed = runner.invoke(
        cli, ["progress", "--as-of", "2025Q2", "--format", "json", "--database-url", url]
    )
    assert listed.exit_code == 0, listed.output
    cards = {c["code"]: c for c in client.get("/api/v1/indicators").json()}
    for record in json.loads(listed.output):
        code = record["code"]
        assert record["current_value"] == pytest.approx(progress[code].current_value)
        assert record["category"] == progress[code].category
        if code in cards:  # the leader may read it
            assert cards[code]["value"] == pytest.approx(record["current_value"])
            assert cards[code]["status"] == record["category"]
    assert len(cards) == len(progress) == 23
    engine.dispose()


@pytest.mark.parametrize(
    ("as_of", "vintage_date"), [("2024Q2", None), ("2024", None), ("2025Q2", "2020-12-31")]
)
def test_progress_and_the_api_agree_as_of_any_period_and_vintage(
    platform: tuple[str, TestClient], as_of: str, vintage_date: str | None
) -> None:
    url, client = platform
    options = ["--vintage-date", vintage_date] if vintage_date else []
    printed = CliRunner().invoke(
        cli,
        ["progress", "--as-of", as_of, *options, "--format", "json", "--database-url", url],
    )
    assert printed.exit_code == 0, printed.output
    params = {"as_of": as_of, **({"vintage_date": vintage_date} if vintage_date else {})}
    served = client.get("/api/v1/progress", params=params)
    assert served.status_code == 200, served.text
    cards = {c["code"]: c for c in served.json()["cards"]}
    records = json.loads(printed.output)
    assert len(cards) == len(records) == 23  # the leader may read every indicator
    for record in records:
        card = cards[record["code"]]
        assert card["value"] == record["current_value"]
        assert card["period"] == record["current_period"]
        assert card["status"] == record["category"]
        assert card["time_elapsed"] == record["time_elapsed"]
        assert card["projected"] == record["projected_target_year"]
        assert card["method_code"] == record["method_code"]
    if vintage_date:
        # Nothing of the demo had been recorded by the end of 2020.
        assert {c["status"] for c in cards.values()} == {"no_data"}


def test_a_bad_as_of_or_vintage_date_is_a_400_in_both_languages(
    platform: tuple[str, TestClient],
) -> None:
    _, client = platform
    for params in ({"as_of": "2024Q5"}, {"vintage_date": "30/06/2024"}, {"method": "guess"}):
        answer = client.get("/api/v1/progress", params=params)
        assert answer.status_code == 400, (params, answer.text)
        assert "应" in answer.text
