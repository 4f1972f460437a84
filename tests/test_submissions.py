"""Data submission and review: what is owed, all-or-nothing checking, and approval as vintages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from demonitor.core.periods import Period
from demonitor.core.permissions import Principal, Role
from demonitor.ingest.templates import write_template
from demonitor.reference.city import load_city
from demonitor.services.submissions import (
    ItemInput,
    SubmissionError,
    SubmissionStore,
    due_date,
    duties,
)
from demonitor.services.users import add_user, principal_of
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import session_scope
from demonitor.store.models import AuditEntry, SubmissionItem
from demonitor.store.observations import ObservationStore, SeriesKey
from demonitor.store.users import owned_indicators

OFFICE = Principal(Role.OFFICE, "office")


def _department(session: Session) -> Principal:
    user, _ = add_user(
        session,
        "test",
        "industry",
        Role.DEPARTMENT,
        department="市工业和信息化局",
        password="Gongxin-pw-2025",
    )
    return principal_of(user)


def test_a_department_owes_the_indicators_whose_owner_names_it(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "test")
        # 市工业和信息化局 leads DE04–DE12 and shares DE12, DE19, DE20 and DE22 (、-joined owners).
        assert owned_indicators(session, "市工业和信息化局") == [
            "DE03", "DE04", "DE05", "DE06", "DE07", "DE08", "DE09", "DE10", "DE11", "DE12",
            "DE19", "DE20", "DE22",
        ]  # fmt: skip
        owed = duties(session, _department(session), Period(2024))
        assert {d.region_code for d in owed} == {"321200"}
        assert [d.indicator.code for d in owed][:3] == ["DE03", "DE04", "DE05"]
        district = Principal(Role.DISTRICT, "hailing", region="321202")
        assert [
            (d.indicator.code, d.region_code) for d in duties(session, district, Period(2024))
        ] == [(code, "321202") for code in load_city().collected_by_district()]
        assert duties(session, Principal(Role.LEADER, "leader"), Period(2024)) == []


def test_due_dates_follow_the_collection_calendar() -> None:
    assert due_date(Period(2024)) == dt.date(2025, 2, 28)
    assert due_date(Period.parse("2025Q2")) == dt.date(2025, 7, 20)  # 30 June + 20 days
    assert due_date(Period.parse("2024Q4")) == dt.date(2025, 1, 20)
    assert due_date(Period.parse("2025M01")) == dt.date(2025, 2, 20)


def test_one_wrong_value_keeps_the_whole_submission_unsaved(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "test")
        store = SubmissionStore(session, _department(session))
        submission = store.open_for(Period(2024))
        errors = store.save(
            submission,
            [
                ItemInput("DE05", "321200", "81.5"),
                ItemInput("DE04", "321200", "150"),  # a ratio above 100
                ItemInput("DE07", "321200", "2.5"),  # a count that is not whole
                ItemInput("DE22", "321200", "2"),  # a milestone is 0 or 1
                ItemInput("DE13", "321200", "90"),  # 教育局's, not this department's
                ItemInput("DE06", "321200", "九十"),
            ],
        )
        assert [(e.row, e.column) for e in errors] == [
            (2, "value"), (3, "value"), (4, "value"), (5, "indicator_code"), (6, "value"),
        ]  # fmt: skip
        assert errors[0].reason_zh == "比率应在0～100之间，实为150"
        assert errors[0].reason_en == "a ratio must be between 0 and 100, got 150"
        assert "不在本单位的填报任务中" in errors[3].reason_zh
        assert session.scalars(select(SubmissionItem)).all() == []


def test_approval_publishes_new_vintages_and_keeps_the_old(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "test")
        ObservationStore(session, "earlier").record(SeriesKey("DE05", "321200", "2024"), 79.1)
        department = _department(session)
        store = SubmissionStore(session, department)
        submission = store.open_for(Period(2024))
        assert (
            store.save(
                submission, [ItemInput("DE05", "321200", "81.5"), ItemInput("DE06", "321200", "")]
            )
            == []
        )
        store.submit(submission)
        with pytest.raises(SubmissionError, match="不能修改"):
            store.save(submission, [ItemInput("DE05", "321200", "82")])
        with pytest.raises(SubmissionError, match="仅数字经济办可审核"):
            SubmissionStore(session, Principal(Role.STATISTICS, "stats")).approve(submission)
        written = SubmissionStore(session, OFFICE).approve(submission)
        assert [o.value for o in written] == [81.5]
        vintages = ObservationStore(session, "r").vintages(SeriesKey("DE05", "321200", "2024"))
        assert [(v.vintage, v.value, v.recorded_by) for v in vintages] == [
            (1, 79.1, "earlier"),
            (2, 81.5, "office"),
        ]
        assert f"填报#{submission.id}（industry）审核通过" in vintages[1].reason
        assert submission.status == "approved"
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions[-4:] == ["save", "submit", "revise", "approve"]
        # The next submission of the period starts afresh; the same value adds no vintage.
        again = store.open_for(Period(2024))
        assert again.id != submission.id
        assert store.save(again, [ItemInput("DE05", "321200", "81.5")]) == []
        store.submit(again)
        assert SubmissionStore(session, OFFICE).approve(again) == []


def test_a_returned_submission_needs_a_reason_and_can_be_edited_again(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "test")
        department = _department(session)
        store = SubmissionStore(session, department)
        submission = store.open_for(Period(2024))
        store.save(submission, [ItemInput("DE05", "321200", "81.5")])
        store.submit(submission)
        office = SubmissionStore(session, OFFICE)
        with pytest.raises(SubmissionError, match="退回须说明原因"):
            office.send_back(submission, "  ")
        office.send_back(submission, "请核实口径")
        assert (submission.status, submission.comment) == ("returned", "请核实口径")
        assert store.open_for(Period(2024)).id == submission.id
        assert store.save(submission, [ItemInput("DE05", "321200", "80.9")]) == []
        store.submit(submission)
        with pytest.raises(SubmissionError, match="不能审核本人的填报"):
            SubmissionStore(session, Principal(Role.OFFICE, "industry")).approve(submission)


def _filled_template(session: Session, path: Path, rows: list[list[object]]) -> Path:
    write_template("observations", path, session)
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=3 + offset, column=column, value=value)
    workbook.save(path)
    return path


def test_an_uploaded_template_is_checked_whole_then_loaded(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        seed_reference(session, "test")
        store = SubmissionStore(session, _department(session))
        submission = store.open_for(Period(2024))
        bad = _filled_template(
            session,
            tmp_path / "bad.xlsx",
            [["DE05", "321200", "2024", 81.5, ""], ["DE04", "321200", "2024", 101, ""]],
        )
        errors = store.upload(submission, bad)
        assert [(e.file, e.row, e.column) for e in errors] == [("bad.xlsx", 4, "value")]
        assert store.items(submission) == []
        other_period = _filled_template(
            session, tmp_path / "period.xlsx", [["DE05", "321200", "2023", 81.5, ""]]
        )
        assert "与本次填报期别2024不一致" in store.upload(submission, other_period)[0].reason_zh
        good = _filled_template(
            session,
            tmp_path / "good.xlsx",
            [["DE05", "321200", "2024", 81.5, "抽样调查"], ["DE04", "321200", "2024", 64, ""]],
        )
        assert store.upload(submission, good) == []
        assert [(i.indicator_code, i.value, i.note) for i in store.items(submission)] == [
            ("DE04", 64.0, ""),
            ("DE05", 81.5, "抽样调查"),
        ]
