"""Data submission (填报) by departments and districts, and its review by the office."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from demonitor.core.periods import Period
from demonitor.core.permissions import Action, Kind, Level, Resource
from demonitor.core.values import CellError
from demonitor.ingest.importer import Importer, ImportResult
from demonitor.ingest.reading import (
    UPLOAD_FILE_BYTES,
    UPLOAD_LIMITS,
    UPLOAD_SUFFIXES,
    UnreadableFile,
    read_rows,
    upload_name,
)
from demonitor.ingest.templates import write_template
from demonitor.services.submissions import (
    STATUS_ZH,
    Duty,
    ItemInput,
    ReviewLine,
    Submission,
    SubmissionConflict,
    SubmissionError,
    SubmissionItem,
    SubmissionStore,
    duties,
    parse_period,
)
from demonitor.web.guard import Ctx, Denied, authorize, needs
from demonitor.web.params import RowId
from demonitor.web.render import page

router = APIRouter()
SUBMIT = needs(Action.WRITE, Kind.SUBMISSION)
REVIEW = needs(Action.APPROVE, Kind.SUBMISSION)


def default_period() -> str:
    """Last year: annual data are collected in the first months of the next."""
    return str(dt.date.today().year - 1)


def _visible(ctx: Ctx, submission: Submission, items: list[SubmissionItem]) -> None:
    """The submitter, and the office that reviews it; nobody else sees unpublished values."""
    if submission.owner == ctx.principal.username:
        return
    authorize(
        ctx,
        Action.READ,
        Resource(
            Kind.SUBMISSION,
            Level.INTERNAL,
            region=SubmissionStore(ctx.db, ctx.principal).region_of(submission),
            indicator=items[0].indicator_code if items else None,
            published=False,
        ),
    )
    authorize(ctx, Action.APPROVE, Resource(Kind.SUBMISSION, Level.INTERNAL))


def _submission(ctx: Ctx, submission_id: int) -> tuple[SubmissionStore, Submission]:
    """The store and a submission, or 404 (refusals of the store itself become 400 in the app)."""
    store = SubmissionStore(ctx.db, ctx.principal)
    try:
        return store, store.get(submission_id)
    except SubmissionError as problem:
        raise Denied(404, problem.zh, problem.en) from problem


@contextmanager
def conflicts_are_409() -> Iterator[None]:
    """Someone else changed the submission first: 409, and the transaction is rolled back."""
    try:
        yield
    except SubmissionConflict as conflict:
        raise Denied(409, conflict.zh, conflict.en) from conflict


def _errors_by_key(
    inputs: list[ItemInput], errors: list[CellError]
) -> dict[tuple[str, str], list[CellError]]:
    """Errors of a form, attached to the row they concern (rows are numbered from 1)."""
    found: dict[tuple[str, str], list[CellError]] = {}
    for error in errors:
        if 1 <= error.row <= len(inputs):
            item = inputs[error.row - 1]
            found.setdefault((item.indicator_code, item.region_code), []).append(error)
    return found


def _form_page(
    ctx: Ctx,
    submission: Submission,
    status_code: int = 200,
    inputs: list[ItemInput] | None = None,
    errors: list[CellError] | None = None,
    flash: str | None = None,
) -> Response:
    store = SubmissionStore(ctx.db, ctx.principal)
    owed = duties(ctx.db, ctx.principal, parse_period(submission.period))
    saved = {(i.indicator_code, i.region_code): i for i in store.items(submission)}
    typed = {(i.indicator_code, i.region_code): i for i in inputs or []}
    return page(
        ctx,
        "submission.html",
        status_code,
        submission=submission,
        status_zh=STATUS_ZH,
        duties=owed,
        saved=saved,
        typed=typed,
        errors=errors or [],
        row_errors=_errors_by_key(inputs or [], errors or []),
        # Errors of the web form name the indicator; those of an uploaded file, its row.
        row_labels={n: i.indicator_code for n, i in enumerate(inputs or [], start=1)},
        flash=flash,
        mine=store.mine(),
    )


@router.get("/submissions")
def submissions_page(ctx: Annotated[Ctx, SUBMIT], period: str | None = None) -> Response:
    """What the submitter owes for the period, and its submission to fill in."""
    chosen = parse_period(period or default_period())
    store = SubmissionStore(ctx.db, ctx.principal)
    # Looking writes nothing: the draft is created by its first save.
    return _form_page(ctx, store.find_open(chosen) or store.unsaved(chosen))


def _inputs_from_form(form: dict[str, str], owed: list[Duty]) -> list[ItemInput]:
    inputs = []
    for duty in owed:
        key = f"{duty.indicator.code}:{duty.region_code}"
        inputs.append(
            ItemInput(
                duty.indicator.code,
                duty.region_code,
                form.get(f"value:{key}", ""),
                form.get(f"note:{key}", "").strip(),
            )
        )
    return inputs


def _period_of_form(form: dict[str, str]) -> Period:
    return parse_period(form.get("period", ""))


def _after_refusal(ctx: Ctx, store: SubmissionStore, period: Period) -> Submission:
    """What the form shows once a refused save is rolled back (a new draft is gone again)."""
    ctx.db.rollback()
    return store.find_open(period) or store.unsaved(period)


@router.post("/submissions")
async def save_submission(ctx: Annotated[Ctx, SUBMIT], request: Request) -> Response:
    """Save the form of a period as a draft, or save and submit it (button ``action=submit``)."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    store = SubmissionStore(ctx.db, ctx.principal)
    period = _period_of_form(form)
    with conflicts_are_409():
        submission = store.open_for(period)
        inputs = _inputs_from_form(form, duties(ctx.db, ctx.principal, period))
        errors = store.save(submission, inputs)
    if errors:
        return _form_page(ctx, _after_refusal(ctx, store, period), 400, inputs, errors)
    if form.get("action") == "submit":
        with conflicts_are_409():
            store.submit(submission)
        flash = ctx.t("已提交，等待数字经济办审核。", "Submitted for review by the office.")
    else:
        flash = ctx.t("草稿已保存。", "Draft saved.")
    return _form_page(ctx, submission, flash=flash)


@router.post("/submissions/upload")
def upload_submission(
    ctx: Annotated[Ctx, SUBMIT],
    period: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Values from the filled Excel template. The file is saved (at most ``UPLOAD_FILE_BYTES``),
    read within the limits of a form (``UPLOAD_LIMITS``) and checked whole before the draft is
    opened for writing: a big or bad file never holds the database."""
    store = SubmissionStore(ctx.db, ctx.principal)
    chosen = parse_period(period)
    name = upload_name(file.filename)
    if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
        raise SubmissionError("请上传.xlsx或.csv文件", "upload an .xlsx or .csv file")
    with conflicts_are_409(), tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        _save_upload(file, path)
        checked = ImportResult()
        try:
            rows = read_rows(path, UPLOAD_LIMITS)
        except UnreadableFile as problem:
            checked.errors.append(problem.error)
        else:
            Importer(ctx.db, ctx.principal.username).parse("observations", path, checked, rows)
        if checked.errors:
            return _form_page(ctx, _after_refusal(ctx, store, chosen), 400, errors=checked.errors)
        submission = store.open_for(chosen)  # the first write
        errors = store.upload(submission, path)
    if errors:
        return _form_page(ctx, _after_refusal(ctx, store, chosen), 400, errors=errors)
    return _form_page(
        ctx, submission, flash=ctx.t("文件已导入草稿。", "File loaded into the draft.")
    )


def _save_upload(file: UploadFile, path: Path) -> None:
    """Copy the upload to ``path`` in chunks, refusing it once it passes the file limit."""
    written = 0
    with path.open("wb") as target:
        while chunk := file.file.read(1024 * 1024):
            written += len(chunk)
            if written > UPLOAD_FILE_BYTES:
                raise SubmissionError(
                    f"文件超过{UPLOAD_FILE_BYTES // (1024 * 1024)} MB的上限",
                    f"the file is larger than {UPLOAD_FILE_BYTES // (1024 * 1024)} MB",
                )
            target.write(chunk)


@router.get("/submissions/template.xlsx")
def submission_template(ctx: Annotated[Ctx, SUBMIT]) -> Response:
    with tempfile.TemporaryDirectory() as folder:
        path = write_template("observations", Path(folder) / "observations.xlsx", ctx.db)
        data = path.read_bytes()
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="observations-template.xlsx"'},
    )


@router.get("/submissions/{submission_id}")
def submission_page(ctx: Annotated[Ctx, SUBMIT], submission_id: RowId) -> Response:
    store, submission = _submission(ctx, submission_id)
    _visible(ctx, submission, store.items(submission))
    if submission.owner != ctx.principal.username:
        return RedirectResponse(f"/review/{submission_id}", status_code=303)
    return _form_page(ctx, submission)


# Review -----------------------------------------------------------------------------------------


def review_lines(ctx: Ctx, submission: Submission) -> list[ReviewLine]:
    return SubmissionStore(ctx.db, ctx.principal).review_lines(submission)


@router.get("/review")
def review_queue(ctx: Annotated[Ctx, REVIEW], status: str = "submitted") -> Response:
    store = SubmissionStore(ctx.db, ctx.principal)
    queue = store.queue(status if status in STATUS_ZH else "submitted")
    lines = {s.id: review_lines(ctx, s) for s in queue}
    return page(ctx, "review.html", queue=queue, lines=lines, status=status, status_zh=STATUS_ZH)


@router.get("/review/{submission_id}")
def review_page(ctx: Annotated[Ctx, REVIEW], submission_id: RowId) -> Response:
    _store, submission = _submission(ctx, submission_id)
    return page(
        ctx,
        "review_one.html",
        submission=submission,
        lines=review_lines(ctx, submission),
        status_zh=STATUS_ZH,
        error=None,
    )


@router.post("/review/{submission_id}/approve")
def approve_page(ctx: Annotated[Ctx, REVIEW], submission_id: RowId) -> Response:
    store = SubmissionStore(ctx.db, ctx.principal)
    with conflicts_are_409():
        store.approve(store.get(submission_id))
    return RedirectResponse(f"/review/{submission_id}", status_code=303)


@router.post("/review/{submission_id}/return")
def return_page(
    ctx: Annotated[Ctx, REVIEW], submission_id: RowId, comment: Annotated[str, Form()] = ""
) -> Response:
    store, submission = _submission(ctx, submission_id)
    try:
        with conflicts_are_409():
            store.send_back(submission, comment)
    except SubmissionError as problem:  # shown beside the comment box, not on an error page
        return page(
            ctx,
            "review_one.html",
            400,
            submission=submission,
            lines=review_lines(ctx, submission),
            status_zh=STATUS_ZH,
            error=ctx.t(problem.zh, problem.en),
        )
    return RedirectResponse(f"/review/{submission_id}", status_code=303)


# API --------------------------------------------------------------------------------------------


class DutyOut(BaseModel):
    indicator_code: str
    name_zh: str
    unit: str
    region_code: str
    due: dt.date
    published: float | None
    published_vintage: int | None


class ItemIn(BaseModel):
    indicator_code: str
    region_code: str
    value: float | str | None
    note: str = ""


class SubmissionIn(BaseModel):
    period: str
    items: list[ItemIn]
    submit: bool = False


class SubmissionOut(BaseModel):
    id: int
    period: str
    owner: str
    scope: str
    status: str
    comment: str
    lines: list[ReviewLine]


class ErrorOut(BaseModel):
    row: int
    column: str
    zh: str
    en: str


class InvalidRequestOut(BaseModel):
    """A request the schema refuses (malformed JSON, a missing field): web.app answers it."""

    detail: list[dict[str, Any]]


def _out(ctx: Ctx, submission: Submission) -> SubmissionOut:
    return SubmissionOut(
        id=submission.id,
        period=submission.period,
        owner=submission.owner,
        scope=submission.scope,
        status=submission.status,
        comment=submission.comment,
        lines=review_lines(ctx, submission),
    )


@router.get("/api/v1/duties", response_model=list[DutyOut], tags=["submissions"])
def api_duties(ctx: Annotated[Ctx, SUBMIT], period: str | None = None) -> list[DutyOut]:
    """What the caller owes for a period (default: last year), with the published values."""
    chosen = parse_period(period or default_period())
    return [
        DutyOut(
            indicator_code=d.indicator.code,
            name_zh=d.indicator.name_zh,
            unit=d.indicator.unit,
            region_code=d.region_code,
            due=d.due,
            published=d.published,
            published_vintage=d.published_vintage,
        )
        for d in duties(ctx.db, ctx.principal, chosen)
    ]


@router.get("/api/v1/submissions", response_model=list[SubmissionOut], tags=["submissions"])
def api_submissions(ctx: Annotated[Ctx, SUBMIT]) -> list[SubmissionOut]:
    """The caller's own submissions, newest first."""
    return [_out(ctx, s) for s in SubmissionStore(ctx.db, ctx.principal).mine()]


@router.post(
    "/api/v1/submissions",
    response_model=SubmissionOut,
    responses={422: {"model": list[ErrorOut] | InvalidRequestOut}},
    tags=["submissions"],
)
def api_submit(ctx: Annotated[Ctx, SUBMIT], body: SubmissionIn) -> Response | SubmissionOut:
    """Fill (and with ``submit`` send) the caller's submission for a period; all values are
    checked first, and none is kept when one is wrong (422 with every error)."""
    store = SubmissionStore(ctx.db, ctx.principal)
    with conflicts_are_409():
        submission = store.open_for(parse_period(body.period))
    inputs = [
        ItemInput(
            i.indicator_code,
            i.region_code,
            "" if i.value is None else str(i.value),
            i.note,
            row=n,
        )
        for n, i in enumerate(body.items, start=1)
    ]
    with conflicts_are_409():
        errors = store.save(submission, inputs, "api")
    if errors:
        ctx.db.rollback()
        return JSONResponse(
            [
                ErrorOut(row=e.row, column=e.column, zh=e.reason_zh, en=e.reason_en).model_dump()
                for e in errors
            ],
            status_code=422,
        )
    if body.submit:
        with conflicts_are_409():
            store.submit(submission)
    return _out(ctx, submission)


@router.get(
    "/api/v1/submissions/{submission_id}", response_model=SubmissionOut, tags=["submissions"]
)
def api_submission(ctx: Annotated[Ctx, SUBMIT], submission_id: RowId) -> SubmissionOut:
    store, submission = _submission(ctx, submission_id)
    _visible(ctx, submission, store.items(submission))
    return _out(ctx, submission)


@router.get("/api/v1/review", response_model=list[SubmissionOut], tags=["submissions"])
def api_review_queue(ctx: Annotated[Ctx, REVIEW]) -> list[SubmissionOut]:
    """Submissions awaiting review, with the published value and the change of each line."""
    return [_out(ctx, s) for s in SubmissionStore(ctx.db, ctx.principal).queue()]


class ReturnIn(BaseModel):
    comment: str


@router.post(
    "/api/v1/review/{submission_id}/approve", response_model=SubmissionOut, tags=["submissions"]
)
def api_approve(ctx: Annotated[Ctx, REVIEW], submission_id: RowId) -> SubmissionOut:
    """Publish every value of the submission as a new vintage; 409 when another reviewer
    has handled it first."""
    store, submission = _submission(ctx, submission_id)
    with conflicts_are_409():
        store.approve(submission)
    return _out(ctx, submission)


@router.post(
    "/api/v1/review/{submission_id}/return", response_model=SubmissionOut, tags=["submissions"]
)
def api_return(ctx: Annotated[Ctx, REVIEW], submission_id: RowId, body: ReturnIn) -> SubmissionOut:
    """Return the submission with a comment; 409 when another reviewer has handled it first."""
    store, submission = _submission(ctx, submission_id)
    with conflicts_are_409():
        store.send_back(submission, body.comment)
    return _out(ctx, submission)
