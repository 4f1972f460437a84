"""Data submission and review (填报与审核).

A department owes the city values of the indicators it owns; a district owes its own region's
values of the indicators the catalogue says districts collect (``collected_by``). A submission
holds one period's values of one submitter and moves draft → submitted → approved or returned
(the rules are ``core.submissions``). Nothing is saved until every value of the submission is
valid. Approval records each value through ``ObservationStore`` — a new vintage, with the
submission named in its reason — so nothing already published is overwritten, and every step
is in the audit log.

Concurrent requests: a submitter has one open submission per period (a partial unique index;
``open_for`` of two requests at once gives both the same one), and every step changes the
submission with one UPDATE conditional on the status it starts from (``_claim``). That UPDATE
waits for a concurrent change of the same submission (PostgreSQL's row lock, SQLite's write
lock), then matches nothing if the other changed its status: of two reviewers deciding at once,
the second gets ``SubmissionConflict`` before it has written anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from demonitor.core.periods import Period, PeriodError
from demonitor.core.permissions import Principal, Role
from demonitor.core.submissions import (
    EDITABLE,
    OPEN,
    STATUS_ZH,
    STATUSES,
    SubmissionConflict,
    SubmissionError,
    already_handled,
    check_editable,
    check_reviewable,
    due_date,
)
from demonitor.core.values import CellError, indicator_value_problem, parse_number
from demonitor.ingest.importer import Importer, ImportResult
from demonitor.store.db import insert_unless_present
from demonitor.store.models import Indicator, Observation, Region, Submission, SubmissionItem
from demonitor.store.observations import ObservationStore, SeriesKey, audit, ensure_period, utcnow

__all__ = [
    "STATUSES",
    "STATUS_ZH",
    "ReviewLine",
    "Submission",
    "SubmissionConflict",
    "SubmissionError",
    "SubmissionItem",
    "due_date",
]

# The predicate of the unique index ``uq_submissions_open`` (models, migration 0009), as the
# conflict target of ``open_for``'s insert must name it.
OPEN_WHERE = text("status IN ('draft', 'submitted', 'returned')")


@dataclass(frozen=True)
class Duty:
    """One value a submitter owes for a period."""

    indicator: Indicator
    region_code: str
    region_name: str
    due: dt.date
    published: float | None  # the latest approved value, if any
    published_vintage: int | None


def parse_period(text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as error:
        raise SubmissionError(
            f"期别「{text}」应写作2024或2024Q3", "a period looks like 2024 or 2024Q3"
        ) from error


def scope_of(principal: Principal) -> str:
    if principal.role is Role.DISTRICT and principal.region:
        return principal.region
    return principal.username


def duties(session: Session, principal: Principal, period: Period) -> list[Duty]:
    """What this submitter owes for the period (empty for roles that submit nothing)."""
    indicators = {i.code: i for i in session.scalars(select(Indicator).order_by(Indicator.code))}
    regions = {r.code: r for r in session.scalars(select(Region))}
    city = next(code for code, r in regions.items() if r.level == "city")
    pairs: list[tuple[str, str]] = []
    if principal.role is Role.DEPARTMENT:
        # Indicators the platform computes itself (from the accounts) nobody submits.
        pairs = [
            (c, city)
            for c in sorted(principal.indicators)
            if c in indicators and indicators[c].source != "accounts"
        ]
    elif principal.role is Role.DISTRICT and principal.region:
        pairs = [
            (c, principal.region) for c, i in indicators.items() if i.collected_by == "district"
        ]
    from demonitor.reports.dashboard import may_read_indicator  # the gate of values

    store = ObservationStore(session, principal.username)
    owed = []
    for code, region in pairs:
        latest = store.latest(SeriesKey(code, region, str(period)))
        if not may_read_indicator(principal, indicators[code].level, region):
            latest = None  # owed all the same; its published value is above the reader's level
        owed.append(
            Duty(
                indicator=indicators[code],
                region_code=region,
                region_name=regions[region].name_zh,
                due=due_date(period),
                published=latest.value if latest else None,
                published_vintage=latest.vintage if latest else None,
            )
        )
    return owed


@dataclass(frozen=True)
class ItemInput:
    """A value as typed in a form or read from a file, before checking."""

    indicator_code: str
    region_code: str
    text: str
    note: str = ""
    row: int = 0  # the row of the uploaded file, when there is one


def _snapshot(submission: Submission) -> dict[str, object]:
    return {"status": submission.status, "period": submission.period, "comment": submission.comment}


class ReviewLine(BaseModel):
    """A value under review beside the value it would replace."""

    indicator_code: str
    region_code: str
    value: float | None
    note: str
    published: float | None  # the value now published, if any
    published_vintage: int | None
    change: float | None


class SubmissionStore:
    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    def get(self, submission_id: int) -> Submission:
        submission = self.session.get(Submission, submission_id)
        if submission is None:
            raise SubmissionError(f"填报#{submission_id}不存在", f"no submission {submission_id}")
        return submission

    def items(self, submission: Submission) -> list[SubmissionItem]:
        if submission.id is None:
            return []
        return list(
            self.session.scalars(
                select(SubmissionItem)
                .where(SubmissionItem.submission_id == submission.id)
                .order_by(SubmissionItem.indicator_code, SubmissionItem.region_code)
            )
        )

    def region_of(self, submission: Submission) -> str | None:
        """The region a district's submission is for (None for a department's)."""
        return submission.scope if self.session.get(Region, submission.scope) else None

    def review_lines(self, submission: Submission) -> list[ReviewLine]:
        """Each value beside the one published before it (before this submission's approval)."""
        store = ObservationStore(self.session, self.principal.username)
        lines = []
        for item in self.items(submission):
            key = SeriesKey(item.indicator_code, item.region_code, submission.period)
            latest = store.latest(key)
            if latest is not None and item.observation_id == latest.id:
                # Approved: compare with the vintage it replaced.
                earlier = [v for v in store.vintages(key) if v.vintage < latest.vintage]
                latest = earlier[-1] if earlier else None
            published = latest.value if latest else None
            lines.append(
                ReviewLine(
                    indicator_code=item.indicator_code,
                    region_code=item.region_code,
                    value=item.value,
                    note=item.note,
                    published=published,
                    published_vintage=latest.vintage if latest else None,
                    change=(
                        item.value - published
                        if item.value is not None and published is not None
                        else None
                    ),
                )
            )
        return lines

    def mine(self) -> list[Submission]:
        return list(
            self.session.scalars(
                select(Submission)
                .where(Submission.owner == self.principal.username)
                .order_by(Submission.id.desc())
            )
        )

    def queue(self, status: str = "submitted") -> list[Submission]:
        return list(
            self.session.scalars(
                select(Submission).where(Submission.status == status).order_by(Submission.id)
            )
        )

    def find_open(self, period: Period) -> Submission | None:
        """This submitter's submission of the period still in the workflow, if any (one at
        most: the index ``uq_submissions_open``)."""
        return self.session.scalars(
            select(Submission)
            .where(
                Submission.owner == self.principal.username,
                Submission.period == str(period),
                Submission.status.in_(OPEN),
            )
            .order_by(Submission.id)
        ).first()

    def unsaved(self, period: Period) -> Submission:
        """A new draft to show in a form; nothing is written until it is saved."""
        return Submission(
            period=str(period), owner=self.principal.username, scope=scope_of(self.principal),
            status="draft", comment="",
        )  # fmt: skip

    def open_for(self, period: Period) -> Submission:
        """This submitter's open submission for the period, created when there is none.

        Two requests of the submitter at once (a double click, two tabs) get the same one: the
        second's insert waits for the first's and then adds nothing, and it takes the
        submission the first created. (It may since have been submitted: then saving into it
        is refused as for any submitted one.)"""
        code = ensure_period(self.session, str(period))
        values = {
            "period": code,
            "owner": self.principal.username,
            "scope": scope_of(self.principal),
            "status": "draft",
            "comment": "",
        }
        for _attempt in range(3):
            existing = self.find_open(Period.parse(code))
            if existing is not None:
                return existing
            new_id = insert_unless_present(
                self.session, Submission, values, ["owner", "period"], OPEN_WHERE
            )
            if new_id is not None:
                submission = self.session.get(Submission, new_id)
                assert submission is not None
                audit(
                    self.session,
                    self.principal.username,
                    "insert",
                    "submission",
                    str(submission.id),
                    None,
                    _snapshot(submission),
                )
                return submission
            # Another request of this submitter has just created it: take that one.
        # Created and closed again by others three times over while this request looked.
        raise SubmissionConflict(
            "该期填报正被同时修改，请稍后重试",
            "this period's submission is being changed at the same time: please try again",
        )

    def check(
        self, submission: Submission, inputs: list[ItemInput], file: str = ""
    ) -> tuple[list[tuple[ItemInput, float | None]], list[CellError]]:
        """Every value checked against what the submitter owes; nothing is written."""
        owed = {
            (d.indicator.code, d.region_code): d.indicator
            for d in duties(self.session, self.principal, Period.parse(submission.period))
        }
        errors: list[CellError] = []
        checked: list[tuple[ItemInput, float | None]] = []
        seen: set[tuple[str, str]] = set()
        for position, item in enumerate(inputs, start=1):
            row = item.row or position

            def error(_row: int, column: str, zh: str, en: str, row: int = row) -> None:
                errors.append(CellError(file, row, column, zh, en))

            key = (item.indicator_code, item.region_code)
            indicator = owed.get(key)
            if indicator is None:
                error(
                    row,
                    "indicator_code",
                    f"{item.indicator_code}（{item.region_code}）不在本单位的填报任务中",
                    f"{item.indicator_code} for {item.region_code} is not yours to submit",
                )
                continue
            if key in seen:
                error(row, "indicator_code", "同一指标重复填报", "the same indicator twice")
                continue
            seen.add(key)
            value = parse_number(item.text.strip(), "value", row, error)
            problem = None if value is None else indicator_value_problem(indicator.kind, value)
            if problem is not None:
                error(row, "value", *problem)
            checked.append((item, value))
        return checked, errors

    def _editable(self, submission: Submission) -> None:
        check_editable(submission.status, submission.owner, self.principal.username)

    def _claim(
        self,
        submission: Submission,
        expected: tuple[str, ...],
        changes: dict[str, object] | None = None,
    ) -> bool:
        """Apply ``changes`` to the submission if its status is still one of ``expected``, as
        one conditional UPDATE (without changes: only take the row, so that a concurrent step
        on the same submission waits for this transaction). False when someone else changed
        the status first; the submission is then reloaded."""
        statement = update(Submission).where(
            Submission.id == submission.id, Submission.status.in_(expected)
        )
        if changes:
            statement = statement.values(**changes).execution_options(synchronize_session="fetch")
        else:
            statement = statement.values(status=Submission.status).execution_options(
                synchronize_session=False
            )
        claimed = self.session.execute(statement.returning(Submission.id)).first() is not None
        if not claimed:
            self.session.refresh(submission)
        return claimed

    def _claim_editable(self, submission: Submission, changes: dict[str, object] | None) -> None:
        if not self._claim(submission, EDITABLE, changes):
            self._editable(submission)  # says why: submitted, approved …
            raise SubmissionConflict(
                "该填报已被同时修改，请刷新后重试",
                "this submission was changed at the same time: reload it and try again",
            )

    def save(
        self, submission: Submission, inputs: list[ItemInput], file: str = ""
    ) -> list[CellError]:
        """Replace the submission's values when every one is valid; else return the errors."""
        self._editable(submission)
        checked, errors = self.check(submission, inputs, file)
        if errors:
            return errors
        # Saves of one submission at once take turns; a save after its submission is refused.
        self._claim_editable(submission, None)
        existing = {(i.indicator_code, i.region_code): i for i in self.items(submission)}
        changed: dict[str, object] = {}
        for item, value in checked:
            key = (item.indicator_code, item.region_code)
            row = existing.get(key)
            if row is None:
                if value is None:
                    continue
                row = SubmissionItem(
                    submission_id=submission.id,
                    indicator_code=item.indicator_code,
                    region_code=item.region_code,
                )
                self.session.add(row)
            if row.value != value or row.note != item.note:
                changed[f"{item.indicator_code}/{item.region_code}"] = value
            row.value = value
            row.note = item.note
        self.session.flush()
        if changed:
            audit(
                self.session,
                self.principal.username,
                "save",
                "submission",
                str(submission.id),
                None,
                {"values": changed},
            )
        return []

    def upload(self, submission: Submission, path: Path) -> list[CellError]:
        """Values from a filled observations template (Excel or CSV), checked as a whole."""
        self._editable(submission)
        result = ImportResult()
        records = Importer(self.session, self.principal.username).parse(
            "observations", path, result
        )
        if result.errors:
            return result.errors
        inputs = []
        problems: list[CellError] = []
        for number, (key, value, _unit, note) in enumerate(records, start=3):
            if key.period != submission.period:
                problems.append(
                    CellError(
                        path.name,
                        number,
                        "period",
                        f"期别{key.period}与本次填报期别{submission.period}不一致",
                        f"period {key.period} is not this submission's {submission.period}",
                    )
                )
            inputs.append(
                ItemInput(key.series, key.region_code, "" if value is None else repr(value), note)
            )
        if problems:
            return problems
        return self.save(submission, inputs, path.name)

    def submit(self, submission: Submission) -> None:
        self._editable(submission)
        items = [i for i in self.items(submission) if i.value is not None]
        if not items:
            raise SubmissionError("没有可提交的数值", "there is no value to submit")
        before = _snapshot(submission)
        self._claim_editable(submission, {"status": "submitted", "submitted_at": utcnow()})
        audit(
            self.session,
            self.principal.username,
            "submit",
            "submission",
            str(submission.id),
            before,
            _snapshot(submission),
        )

    def _reviewable(self, submission: Submission) -> None:
        check_reviewable(
            submission.status, submission.owner, self.principal.username, self.principal.role
        )

    def _decide(self, submission: Submission, status: str, comment: str | None = None) -> None:
        """Take the decision if the submission is still awaiting review; else it is someone
        else's (409), and this reviewer has written nothing."""
        changes: dict[str, object] = {
            "status": status,
            "reviewed_by": self.principal.username,
            "reviewed_at": utcnow(),
        }
        if comment is not None:
            changes["comment"] = comment
        if not self._claim(submission, ("submitted",), changes):
            self._reviewable(submission)  # approved or returned meanwhile: already handled
            raise already_handled()

    def approve(self, submission: Submission) -> list[Observation]:
        """Publish every value as a new vintage (an unchanged value adds none)."""
        self._reviewable(submission)
        before = _snapshot(submission)
        self._decide(submission, "approved")  # first: a reviewer who lost writes nothing
        store = ObservationStore(self.session, self.principal.username)
        written = []
        indicators = {i.code: i for i in self.session.scalars(select(Indicator))}
        for item in self.items(submission):
            if item.value is None:
                continue
            observation = store.record(
                SeriesKey(item.indicator_code, item.region_code, submission.period),
                item.value,
                unit=indicators[item.indicator_code].unit,
                note=item.note,
                reason=f"填报#{submission.id}（{submission.owner}）审核通过 / submission approved",
            )
            if observation is not None:
                item.observation_id = observation.id
                written.append(observation)
        audit(
            self.session,
            self.principal.username,
            "approve",
            "submission",
            str(submission.id),
            before,
            _snapshot(submission),
        )
        return written

    def send_back(self, submission: Submission, comment: str) -> None:
        self._reviewable(submission)
        if not comment.strip():
            raise SubmissionError("退回须说明原因", "returning needs a comment")
        before = _snapshot(submission)
        self._decide(submission, "returned", comment.strip())
        audit(
            self.session,
            self.principal.username,
            "return",
            "submission",
            str(submission.id),
            before,
            _snapshot(submission),
            comment.strip(),
        )
