"""The rules of data submission (填报) as a state machine, and when data are due (pure).

draft → submitted → approved (published as new vintages) or returned (with a comment) → draft
again by the submitter. Only the submitter edits, only the office reviews, nobody their own.
A submitter has at most one open submission (draft, submitted or returned) per period; the
duplicates made before that was enforced were closed as superseded (migration 0009).

Every step is decided on the state it starts from: of two reviewers deciding one submission at
once, the second finds it handled (``SubmissionConflict``, 409 on the web), and nothing of its
decision is written.
"""

from __future__ import annotations

import datetime as dt

from demonitor.core.errors import BilingualError
from demonitor.core.periods import Period
from demonitor.core.permissions import Role

STATUSES = ("draft", "submitted", "approved", "returned", "superseded")
STATUS_ZH = {
    "draft": "草稿",
    "submitted": "待审核",
    "approved": "已通过",
    "returned": "已退回",
    "superseded": "已作废",  # a duplicate open submission, closed by migration 0009
}
EDITABLE = ("draft", "returned")
OPEN = ("draft", "returned", "submitted")  # still in the workflow: one per owner and period
DECIDED = ("approved", "returned")  # a reviewer has handled it
# Annual data are due by the end of February; quarterly ones 20 days after the quarter.
ANNUAL_DUE = (2, 28)
QUARTER_DUE_DAYS = 20


class SubmissionError(BilingualError):
    """Refused; the reason in Chinese and English."""


class SubmissionConflict(SubmissionError):
    """Someone else changed the submission first (a race lost): the web answers 409."""


def already_handled() -> SubmissionConflict:
    return SubmissionConflict(
        "该填报已由他人处理", "this submission has already been handled by someone else"
    )


def due_date(period: Period) -> dt.date:
    if period.frequency == "A":
        return dt.date(period.year + 1, *ANNUAL_DUE)
    month = period.index * 3 if period.frequency == "Q" else period.index
    first_of_next = dt.date(period.year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1) + dt.timedelta(days=QUARTER_DUE_DAYS)


def check_editable(status: str, owner: str, actor: str) -> None:
    if owner != actor:
        raise SubmissionError("只能修改本人的填报", "only the submitter edits a submission")
    if status not in EDITABLE:
        raise SubmissionError(
            f"填报状态为「{STATUS_ZH[status]}」，不能修改",
            f"a {status} submission cannot be changed",
        )


def check_reviewable(status: str, owner: str, reviewer: str, role: Role) -> None:
    if role not in (Role.OFFICE, Role.ADMIN):
        raise SubmissionError("仅数字经济办可审核", "only the office reviews submissions")
    if status in DECIDED:
        raise already_handled()
    if status != "submitted":
        raise SubmissionError(
            f"填报状态为「{STATUS_ZH[status]}」，无需审核",
            f"a {status} submission is not awaiting review",
        )
    if owner == reviewer:
        raise SubmissionError("不能审核本人的填报", "nobody reviews their own submission")
