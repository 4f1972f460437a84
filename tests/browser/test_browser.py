"""The platform in a real browser: sign-in for every role, the charts of the dashboard, the
language switch, the submission → review → publication workflow, district scoping and the
forced password change. Screenshots of the main pages go to test-artifacts/screenshots/.

All tests share one demo database (see conftest.py); the ones that write use periods nobody else
uses here: 2023 and the latest period of DE05 (the full workflow, by ``industry``), 2021 (a
returned submission, ``industry``), 2022 (a draft of ``jiangyan``), 2020 (``hailing``, approved).
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from demonitor.demo.accounts import DEMO_ACCOUNTS

from .conftest import (
    CHROMIUM,
    DISPLAY_NAMES,
    DemoDatabase,
    NewVisitor,
    Visitor,
    screenshot,
)

expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=15_000)  # a page after a write recomputes the dashboard: seconds

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed: browser tests need Chromium"
)

CITY = "321200"
OVERVIEW_CHARTS = ("#share-gauge", "#share-trend", "#category-pie")
REFUSED = r"status of 40[0-9]"  # the console line Chromium logs for a page answered 4xx


def expect_charts_drawn(person: Visitor, *selectors: str) -> None:
    """Every chart of the page is done, and these ones have a canvas of real size."""
    page = person.page
    person.wait_for_charts()
    for selector in selectors:
        chart = page.locator(selector)
        expect(chart).to_have_attribute("data-rendered", "true")
        assert chart.get_attribute("data-chart-error") is None, selector
        width, height = chart.locator("canvas").first.evaluate("c => [c.width, c.height]")
        assert width > 0 and height > 0, f"{selector} canvas is {width}×{height}"
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100, selector


def public_cards(base_url: str) -> list[str]:
    """The indicator codes an anonymous reader gets from the API."""
    with urllib.request.urlopen(base_url + "/api/v1/overview", timeout=30) as answer:
        return [card["code"] for card in json.load(answer)["cards"]]


def card_ids(person: Visitor) -> list[str]:
    return person.page.locator("#cards > .card").evaluate_all("cards => cards.map(c => c.id)")


def changed_value(kind: str, published: float | None) -> str:
    """A valid value for an indicator of this kind that differs from the published one."""
    if kind == "milestone":
        return "0" if published == 1 else "1"
    if kind == "count_cumulative":
        return str(int(published or 0) + 2)
    base = 50.0 if published is None else published
    return f"{base + 1.3 if base + 1.3 <= 100 else base - 1.3:.1f}"


def owed(person: Visitor, period: str, kinds: dict[str, str]) -> list[dict[str, Any]]:
    """What the person owes for the period, each with the kind of its indicator."""
    duties: list[dict[str, Any]] = person.api(f"/api/v1/duties?period={period}")
    for duty in duties:
        duty["kind"] = kinds[duty["indicator_code"]]
    return duties


def value_input(code: str, region: str = CITY) -> str:
    return f"#value-{code}-{region}"


def press(person: Visitor, selector: str) -> None:
    """Click a button that posts a form, and wait for the page the server answers with."""
    with person.page.expect_navigation():
        person.page.click(selector)


def submission_id(person: Visitor) -> int:
    """The id of the submission the form shows (it has one once saved)."""
    shown = person.page.locator("#submission-form").get_attribute("data-submission") or ""
    assert shown.isdigit(), shown
    return int(shown)


def submit_values(person: Visitor, period: str, values: dict[str, str], region: str = CITY) -> int:
    """Fill the values into the form of the period and submit it for review; its id."""
    page = person.page
    person.goto(f"/submissions?period={period}")
    expect(page.locator("#submission-status")).to_have_text("草稿")
    for code, value in values.items():
        page.fill(value_input(code, region), value)
    press(person, "#submit")
    expect(page.locator("#flash")).to_contain_text("已提交，等待数字经济办审核")
    expect(page.locator("#submission-status")).to_have_text("待审核")
    return submission_id(person)


def approve(office: Visitor, number: int) -> None:
    office.goto(f"/review/{number}")
    expect(office.page.locator("#review-status")).to_have_text("待审核")
    press(office, "#approve")
    expect(office.page.locator("#review-status")).to_have_text("已通过")


# The demo database ----------------------------------------------------------------------------


def test_the_demo_command_builds_the_database_with_an_account_for_every_role(
    demo_database: DemoDatabase,
) -> None:
    """The fixture's build: when the command fails the other tests still run, on demo data built
    without it, and this test says why."""
    assert demo_database.returncode == 0, demo_database.output[-2000:]
    assert not demo_database.workaround
    for account in DEMO_ACCOUNTS:
        assert account.username in demo_database.output and account.password in (
            demo_database.output
        )


# Signing in and the overview ------------------------------------------------------------------


@pytest.mark.parametrize("username", [account.username for account in DEMO_ACCOUNTS])
def test_every_demo_role_signs_in_and_its_overview_draws_charts_and_more_cards_than_public(
    visitor: NewVisitor, username: str
) -> None:
    person = visitor(username, next=None)
    page = person.page
    expect(page).to_have_url(person.base_url + "/")
    expect(page.locator("#whoami")).to_contain_text(DISPLAY_NAMES[username])
    expect(page.locator("#logout")).to_be_visible()
    expect_charts_drawn(person, *OVERVIEW_CHARTS)
    expect(page.locator("#pillars .pillar").first).to_be_visible()

    shown = card_ids(person)
    allowed = [c["code"] for c in person.api("/api/v1/overview")["cards"]]
    assert shown == [f"card-{code}" for code in allowed]
    assert len(shown) > len(public_cards(person.base_url))
    if username == "office":
        screenshot(page, "overview-office-zh")


def test_the_public_overview_shows_only_open_indicators_and_draws_its_charts(
    visitor: NewVisitor,
) -> None:
    office_cards = [c["code"] for c in visitor("office").api("/api/v1/overview")["cards"]]
    anonymous = visitor()
    page = anonymous.page
    anonymous.goto("/")
    expect(page.locator("#whoami")).to_have_count(0)
    expect(page.locator("#login-link")).to_be_visible()
    expect_charts_drawn(anonymous, *OVERVIEW_CHARTS)

    shown = card_ids(anonymous)
    assert shown == [f"card-{code}" for code in public_cards(anonymous.base_url)]
    assert 0 < len(shown) < len(office_cards)
    levels = {c["level"] for c in anonymous.api("/api/v1/overview")["cards"]}
    assert levels == {"公开"}
    # Internal pages are not linked for the public, and send it to the sign-in page.
    expect(page.locator("nav a[href='/districts']")).to_have_count(0)
    screenshot(page, "overview-public")
    anonymous.goto("/districts")
    expect(page).to_have_url(re.compile(r"/login\?next=/districts$"))


def test_the_overview_says_which_periods_it_shows_and_each_card_its_own(
    visitor: NewVisitor,
) -> None:
    leader = visitor("leader", next=None)
    page = leader.page
    overview = leader.api("/api/v1/overview")
    # Full years to 2024 and January–June 2025 side by side, not "as of 2025Q2" above 2024.
    expect(page.locator("#as-of")).to_contain_text("全年数据至2024年")
    expect(page.locator("#as-of")).to_contain_text("累计数据至2025年1—6月")
    expect(page.locator("#share-ytd")).to_contain_text("2025年1—6月")
    expect(page.locator("#share-ytd")).to_contain_text(f"{overview['share_ytd']:.1f}%")
    for card in overview["cards"]:
        expect(page.locator(f"#card-{card['code']} .card-period")).to_contain_text(card["period"])
        arrow = page.locator(f"#card-{card['code']} [class^='arrow-']")
        if card["improving"] is True:
            expect(arrow).to_have_class(re.compile(r"\bbetter\b"))
        elif card["improving"] is False:
            expect(arrow).to_have_class(re.compile(r"\bworse\b"))
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#share-ytd")).to_be_visible()
    screenshot(page, "overview-periods-phone")


def test_a_wrong_password_is_refused_on_the_login_form(visitor: NewVisitor) -> None:
    person = visitor()
    person.expect_console_error(REFUSED)
    person.sign_in("leader", "not-the-password")
    expect(person.page.locator("#login-error")).to_be_visible()
    expect(person.page.locator("#whoami")).to_have_count(0)
    expect(person.page.locator("#username")).to_have_value("leader")


# Dashboard pages ------------------------------------------------------------------------------


def test_the_district_view_draws_its_bar_chart_and_tile_map(visitor: NewVisitor) -> None:
    office = visitor("office")
    office.goto("/districts")
    expect_charts_drawn(office, "#district-share", "#district-tiles", "#district-va")
    rows = office.page.locator("#district-table tbody tr")
    expect(rows).to_have_count(7)  # six county-level units and the city
    expect(rows.last).to_contain_text("泰州市")
    screenshot(office.page, "districts")


def test_an_indicator_page_draws_its_trend_and_lists_its_vintages(visitor: NewVisitor) -> None:
    office = visitor("office")
    office.goto("/indicators/DE05")
    expect_charts_drawn(office, "#indicator-chart")
    page = office.page
    expect(page.locator("h1")).to_contain_text("DE05 经营管理数字化普及率")
    expect(page.locator("#indicator-value")).to_contain_text("%")
    vintages = page.locator("#vintages tbody tr")
    assert vintages.count() >= 4
    revised = vintages.filter(has_text="工信局核实后修订")
    expect(revised).to_have_count(1)
    expect(revised.locator("td").first).to_have_text("2023")
    screenshot(page, "indicator-DE05")
    # DE17 lags under the ESCAP rule: the page names the rule and the projection it rests on,
    # with the anticipated gap, and no Statistics Canada R that would say the opposite.
    office.goto("/indicators/DE17")
    detail = office.api("/api/v1/indicators/DE17")["card"]
    expect(page.locator("#indicator-status")).to_have_text("需加快")
    method = page.locator("tr", has_text="状态判定方法")
    expect(method).to_contain_text("亚太经社会趋势外推法")
    expect(method).to_contain_text(f"预计差距{round(detail['gap'] * 100)}%")
    expect(method).not_to_contain_text("R=")
    expect(page.locator("tr", has_text="判定所依据的预计值")).to_contain_text(
        f"{detail['projected']:.1f}%"
    )


def test_the_alerts_page_lists_lagging_indicators_with_reasons(visitor: NewVisitor) -> None:
    office = visitor("office")
    office.goto("/alerts")
    rows = office.page.locator("#alerts tbody tr[id^='alert-']")
    expect(rows.first).to_be_visible()
    listed = [r.get_attribute("id") for r in rows.all()]
    api = [f"alert-{a['code']}" for a in office.api("/api/v1/alerts")]
    assert listed == api and listed
    for row in rows.all():
        expect(row.locator("a[href^='/indicators/DE']")).to_have_count(1)
        assert row.locator("td").nth(2).inner_text().strip(), row.get_attribute("id")
    screenshot(office.page, "alerts")


def test_the_language_switch_turns_the_pages_to_english_and_back(visitor: NewVisitor) -> None:
    office = visitor("office")
    page = office.page
    office.goto("/")
    office.wait_for_charts()
    nav = page.locator("nav.nav")
    expect(nav).to_contain_text("总览")
    expect(page.locator("#lang-switch")).to_have_text("English")

    page.click("#lang-switch")
    expect(page).to_have_url(office.base_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav).to_contain_text("Overview")
    expect(nav).not_to_contain_text("总览")
    expect(page.locator("h1")).to_contain_text("Digital economy overview")
    expect_charts_drawn(office, *OVERVIEW_CHARTS)
    screenshot(page, "overview-office-en")
    # The choice is kept for the next page.
    office.goto("/districts")
    expect(page.locator("h1")).to_contain_text("County-level comparison")

    page.click("#lang-switch")
    expect(page).to_have_url(office.base_url + "/districts")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(nav).to_contain_text("总览")
    expect(page.locator("#lang-switch")).to_have_text("English")


# Submission and review ------------------------------------------------------------------------


@pytest.mark.slow
def test_a_submission_is_checked_submitted_approved_and_published_on_the_dashboard(
    visitor: NewVisitor,
    indicator_kinds: dict[str, str],
) -> None:
    industry = visitor("industry")
    page = industry.page
    industry.expect_console_error(REFUSED)  # the refused form answers 400
    duties = owed(industry, "2023", indicator_kinds)
    assert {d["indicator_code"] for d in duties} >= {"DE05", "DE22"}

    # A ratio of 150 is refused, in Chinese and in English, and nothing is saved.
    industry.goto("/submissions?period=2023")
    expect(page.locator("#submission-status")).to_have_text("草稿")
    page.fill(value_input("DE05"), "150")
    press(industry, "#submit")
    expect(page.locator("#errors")).to_contain_text("有错误，未保存任何数据")
    row_error = page.locator(f"#row-DE05-{CITY} .field-error")
    expect(row_error).to_contain_text("比率应在0～100之间，实为150")
    expect(row_error).to_contain_text("a ratio must be between 0 and 100, got 150")
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator("#submission-status")).to_have_text("草稿")
    expect(page.locator("#flash")).to_have_count(0)
    expect(page.locator(value_input("DE05"))).to_have_value("150")  # kept for correcting
    screenshot(page, "submission-errors-zh")

    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.fill(value_input("DE05"), "150")
    press(industry, "#submit")
    expect(page.locator("#errors")).to_contain_text("Nothing was saved; please correct")
    expect(page.locator(f"#row-DE05-{CITY} .field-error")).to_contain_text(
        "a ratio must be between 0 and 100, got 150"
    )
    expect(page.locator("#submission-status")).to_have_text("draft")
    screenshot(page, "submission-errors-en")
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    industry.goto("/submissions?period=2023")
    expect(page.locator(value_input("DE05"))).to_have_value("")
    # Nothing was written: not even the draft, which only a valid save creates.
    assert [s for s in industry.api("/api/v1/submissions") if s["period"] == "2023"] == []

    # Every owed value, valid and different from the published one, is submitted.
    values = {d["indicator_code"]: changed_value(d["kind"], d["published"]) for d in duties}
    number = submit_values(industry, "2023", values)
    for code in values:
        expect(page.locator(value_input(code))).to_be_disabled()
    de05 = next(d for d in duties if d["indicator_code"] == "DE05")
    new_2023 = float(values["DE05"])

    # The office finds it in the queue, sees the published value and the change, approves.
    office = visitor("office")
    office.goto("/review")
    queued = office.page.locator(f"#review-{number}")
    expect(queued).to_contain_text(f"#{number} industry · 2023")
    with office.page.expect_navigation():
        queued.locator("h2 a").click()
    expect(office.page).to_have_url(f"{office.base_url}/review/{number}")
    line = office.page.locator("table.review-lines tbody tr").filter(has_text="DE05")
    cells = line.locator("td")
    expect(cells.nth(2)).to_contain_text(f"{de05['published']:.2f}")
    expect(cells.nth(2)).to_contain_text(f"v{de05['published_vintage']}")
    expect(cells.nth(3)).to_have_text(f"{new_2023:.2f}")
    expect(cells.nth(4)).to_have_text(f"{new_2023 - de05['published']:+.2f}")
    expect(office.page.locator("table.review-lines tbody tr")).to_have_count(len(values))
    screenshot(office.page, "review-submission")
    press(office, "#approve")
    expect(office.page.locator("#review-status")).to_have_text("已通过")

    # 2023 is not DE05's latest period: the value is a new vintage in the indicator's table.
    latest = office.api("/api/v1/indicators/DE05")["card"]["period"]
    assert latest != "2023"
    office.goto("/indicators/DE05")
    published = office.page.locator("#vintages tbody tr").filter(has_text=f"填报#{number}")
    expect(published).to_have_count(1)
    cells = published.locator("td")
    expect(cells.nth(0)).to_have_text("2023")
    expect(cells.nth(1)).to_have_text(str(de05["published_vintage"] + 1))
    expect(cells.nth(2)).to_have_text(f"{new_2023:.2f}")
    expect(cells.nth(4)).to_have_text("office")
    expect(cells.nth(5)).to_contain_text("industry")
    expect(office.page.locator("#indicator-value")).to_contain_text(latest)

    # A second round for the latest period changes the card on the overview.
    current = next(
        d for d in owed(industry, latest, indicator_kinds) if d["indicator_code"] == "DE05"
    )
    new_latest = changed_value("ratio", current["published"])
    second = submit_values(industry, latest, {"DE05": new_latest})
    approve(office, second)
    office.goto("/")
    expect_charts_drawn(office, *OVERVIEW_CHARTS)
    expect(office.page.locator("#card-DE05 .value")).to_contain_text(new_latest)
    expect(office.page.locator("#card-DE05 .target")).to_contain_text(latest)
    screenshot(office.page, "overview-after-approval")
    office.goto("/indicators/DE05")
    expect(office.page.locator("#indicator-value")).to_contain_text(f"{new_latest}%（{latest}）")
    office.wait_for_charts()
    screenshot(office.page, "indicator-DE05-after-approval")


@pytest.mark.slow
def test_a_returned_submission_carries_the_comment_and_can_be_edited_again(
    visitor: NewVisitor,
    indicator_kinds: dict[str, str],
) -> None:
    industry = visitor("industry")
    de05 = next(d for d in owed(industry, "2021", indicator_kinds) if d["indicator_code"] == "DE05")
    first = changed_value("ratio", de05["published"])
    number = submit_values(industry, "2021", {"DE05": first})

    office = visitor("office")
    office.expect_console_error(REFUSED)  # returning without a comment answers 400
    office.goto(f"/review/{number}")
    press(office, "#return")
    expect(office.page.locator("#review-error")).to_contain_text("退回须说明原因")
    expect(office.page.locator("#review-status")).to_have_text("待审核")
    comment = "DE05口径与抽样调查不一致，请核对后重报"
    office.page.fill("#comment", comment)
    press(office, "#return")
    expect(office.page.locator("#review-status")).to_have_text("已退回")
    expect(office.page.locator("#review-error")).to_have_count(0)
    expect(office.page.locator("#approve")).to_have_count(0)

    page = industry.page
    industry.goto("/submissions?period=2021")
    expect(page.locator("#returned-comment")).to_contain_text(comment)
    expect(page.locator("#submission-status")).to_have_text("已退回")
    assert submission_id(industry) == number
    field = page.locator(value_input("DE05"))
    expect(field).to_be_enabled()
    expect(field).to_have_value(f"{float(first):.2f}")
    screenshot(page, "submission-returned")
    corrected = f"{float(first) - 0.5:.1f}"
    field.fill(corrected)
    press(industry, "#save-draft")
    expect(page.locator("#flash")).to_contain_text("草稿已保存")
    expect(page.locator(value_input("DE05"))).to_have_value(f"{float(corrected):.2f}")
    press(industry, "#submit")
    expect(page.locator("#submission-status")).to_have_text("待审核")

    office.goto("/review")
    expect(office.page.locator(f"#review-{number}")).to_contain_text(f"{float(corrected):.2f}")


@pytest.mark.slow
def test_a_write_is_committed_before_the_browser_follows_the_redirect(
    visitor: NewVisitor, indicator_kinds: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hailing = visitor("hailing")
    de05 = next(d for d in owed(hailing, "2020", indicator_kinds) if d["indicator_code"] == "DE05")
    number = submit_values(
        hailing, "2020", {"DE05": changed_value("ratio", de05["published"])}, "321202"
    )
    office = visitor("office")
    office.goto(f"/review/{number}")
    real_commit = Session.commit

    def slow_commit(session: Session) -> None:
        time.sleep(0.5)  # a busy database: committing takes a moment
        real_commit(session)

    monkeypatch.setattr(Session, "commit", slow_commit)
    press(office, "#approve")
    shown = office.page.locator("#review-status").inner_text()
    monkeypatch.undo()
    time.sleep(1)
    office.page.reload()  # it was approved, only not yet committed when the page was read
    expect(office.page.locator("#review-status")).to_have_text("已通过")
    assert shown == "已通过"


# Access ---------------------------------------------------------------------------------------


def test_a_district_is_refused_another_districts_submission_on_the_page_and_the_api(
    visitor: NewVisitor,
) -> None:
    jiangyan = visitor("jiangyan")
    region = "321204"
    jiangyan.goto("/submissions?period=2022")
    jiangyan.page.fill(value_input("DE05", region), "66.6")
    press(jiangyan, "#save-draft")
    expect(jiangyan.page.locator("#flash")).to_contain_text("草稿已保存")
    number = submission_id(jiangyan)
    own = jiangyan.api(f"/api/v1/submissions/{number}")
    assert [(line["indicator_code"], line["value"]) for line in own["lines"]] == [("DE05", 66.6)]

    hailing = visitor("hailing")
    hailing.expect_console_error(REFUSED)
    refused = hailing.goto(f"/submissions/{number}")
    assert refused.status == 403
    expect(hailing.page.locator("#error-reason")).to_contain_text("只能查看和填报本区划未发布数据")
    assert "66.6" not in hailing.page.content()
    screenshot(hailing.page, "error-403-other-district")

    answer = hailing.context.request.get(f"{hailing.base_url}/api/v1/submissions/{number}")
    assert answer.status == 403
    body = answer.json()
    assert body["detail"]["zh"] == "只能查看和填报本区划未发布数据"
    assert "lines" not in body and "66.6" not in answer.text()


# Accounts -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_user_added_by_the_admin_must_change_the_generated_password_first(
    visitor: NewVisitor,
) -> None:
    admin = visitor("admin")
    page = admin.page
    username = f"taixing-{uuid.uuid4().hex[:6]}"
    admin.goto("/admin/users")
    page.fill("#username", username)
    page.fill("#display_name", "泰兴市数据局")
    page.select_option("#role", "district")
    page.select_option("#region", "321283")
    press(admin, "#add-user-submit")
    expect(page.locator("#issued")).to_contain_text(username)
    generated = page.locator("#issued-password").inner_text().strip()
    assert len(generated) >= 10
    expect(page.locator(f"#user-{username}")).to_contain_text("是")
    screenshot(page, "admin-users")

    person = visitor(username, password=generated)
    me = person.page
    expect(me).to_have_url(person.base_url + "/password")
    expect(me.locator("#must-change")).to_be_visible()
    screenshot(me, "password-must-change")
    for elsewhere in ("/", "/submissions", "/districts"):
        person.goto(elsewhere)
        expect(me).to_have_url(person.base_url + "/password")

    chosen = "Qiang-Mima-2025!"
    me.fill("#current", generated)
    me.fill("#new", chosen)
    me.fill("#repeat", chosen)
    press(person, "#password-submit")
    expect(me).to_have_url(person.base_url + "/?changed=1")
    expect(me.locator(".flash-success")).to_contain_text("密码已修改")
    expect(me.locator("#whoami")).to_contain_text("泰兴市数据局")
    expect_charts_drawn(person, *OVERVIEW_CHARTS)
    person.goto("/submissions")
    expect(me.locator("#submission-status")).to_be_visible()
    expect(me.locator(value_input("DE05", "321283"))).to_be_visible()

    # Signing in again asks for the new password only.
    again = visitor()
    again.expect_console_error(REFUSED)
    again.sign_in(username, generated)
    expect(again.page.locator("#login-error")).to_be_visible()
    again.sign_in(username, chosen, "/tokens")
    expect(again.page).to_have_url(again.base_url + "/tokens")
    expect(again.page.locator("#whoami")).to_contain_text("泰兴市数据局")


# Indicators' access levels ----------------------------------------------------------------------


def set_level_on_page(office: Visitor, code: str, level: str, reason: str) -> None:
    page = office.page
    office.goto("/admin/indicators")
    form = page.locator(f"#level-form-{code}")
    form.locator("select[name='level']").select_option(level)
    form.locator("input[name='reason']").fill(reason)
    with page.expect_navigation():
        form.locator("button[type='submit']").click()
    expect(page).to_have_url(office.base_url + "/admin/indicators")
    expect(page.locator("#admin-notice")).to_contain_text(code)
    expect(page.locator(f"#indicator-{code} .level")).to_have_attribute("data-level", level)


def test_the_office_opens_an_indicator_to_the_public_and_closes_it_again(
    visitor: NewVisitor,
) -> None:
    office = visitor("office")
    public = public_cards(office.base_url)
    # An internal indicator with a card, other than DE05 (the submission tests' indicator).
    code = next(
        c["code"]
        for c in office.api("/api/v1/overview")["cards"]
        if c["code"] not in public and c["code"] != "DE05" and c["level"] == "内部"
    )
    anonymous = visitor()
    anonymous.goto("/")
    expect(anonymous.page.locator(f"#card-{code}")).to_have_count(0)

    set_level_on_page(office, code, "公开", "浏览器测试：对外发布")
    expect(office.page.locator("nav a[href='/admin/indicators']")).to_have_class("active")
    screenshot(office.page, "admin-indicator-levels")
    try:
        anonymous.goto("/")
        expect(anonymous.page.locator(f"#card-{code}")).to_be_visible()
        assert code in public_cards(anonymous.base_url)
        screenshot(anonymous.page, "overview-public-after-level-change")
    finally:
        set_level_on_page(office, code, "内部", "浏览器测试：恢复内部")
    anonymous.goto("/")
    expect(anonymous.page.locator(f"#card-{code}")).to_have_count(0)
    assert public_cards(anonymous.base_url) == public
    audit = office.api(f"/api/v1/audit?entity=indicator&key={code}")
    assert [e["after"]["level"] for e in audit["entries"][:2]] == ["内部", "公开"]
    assert audit["entries"][1]["reason"] == "浏览器测试：对外发布"
