"""Identification review (单位认定复核): enterprise microdata, for the statistics bureau only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from demonitor.core.permissions import Action, Kind, Level
from demonitor.engine.safe_tables import CSV_MEDIA_TYPE, csv_text
from demonitor.reference.digital_economy import load_edition
from demonitor.services.identification import (
    QUEUES,
    ReviewCase,
    decide_case,
    overrides_rows,
    review_cases,
)
from demonitor.web.guard import Ctx, needs
from demonitor.web.params import Limit, Offset, PageNumber
from demonitor.web.render import page

router = APIRouter()
REVIEW_UNITS = needs(Action.APPROVE, Kind.MICRODATA, Level.INTERNAL)
READ_UNITS = needs(Action.READ, Kind.MICRODATA, Level.INTERNAL)
PAGE_SIZE = 50


def _edition(ctx: Ctx) -> str:
    return str(ctx.request.app.state.settings.edition)


class CasesOut(BaseModel):
    queue: str
    total: int
    offset: int
    cases: list[ReviewCase]


class DecisionIn(BaseModel):
    confirm: bool
    de_code: str | None = None
    reason: str


def _queue(queue: str) -> str:
    return queue if queue in QUEUES else "candidate"


@router.get("/identification")
def identification_page(
    ctx: Annotated[Ctx, REVIEW_UNITS], queue: str = "candidate", page_number: PageNumber = 1
) -> Response:
    queue = _queue(queue)
    offset = max(page_number - 1, 0) * PAGE_SIZE
    cases, total = review_cases(ctx.db, _edition(ctx), queue, offset, PAGE_SIZE)
    edition = load_edition(_edition(ctx))
    classes = sorted((c.code, c.name) for c in edition.small_classes())
    return page(
        ctx,
        "identification.html",
        queue=queue,
        queues=QUEUES,
        cases=cases,
        total=total,
        page_number=max(page_number, 1),
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        classes=classes,
        class_names=dict(classes),
        edition_label=edition.label(),
        error=None,
    )


@router.post("/identification/{credit_code}")
def identification_decide(
    ctx: Annotated[Ctx, REVIEW_UNITS],
    credit_code: str,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    de_code: Annotated[str, Form()] = "",
    queue: Annotated[str, Form()] = "candidate",
) -> Response:
    decide_case(
        ctx.db,
        _edition(ctx),
        credit_code,
        decision == "confirm",
        de_code or None,
        reason,
        ctx.principal.username,
    )
    return RedirectResponse(f"/identification?queue={_queue(queue)}", status_code=303)


@router.get("/identification/overrides.csv")
def identification_overrides(ctx: Annotated[Ctx, READ_UNITS]) -> Response:
    """The standing decisions as the overrides file of ``demonitor classify --overrides``."""
    header = ("统一社会信用代码", "数字经济分类代码", "理由")
    return Response(
        csv_text([header, *overrides_rows(ctx.db, _edition(ctx))]),  # reasons neutralised
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="overrides.csv"'},
    )


@router.get("/api/v1/identification", response_model=CasesOut, tags=["identification"])
def api_cases(
    ctx: Annotated[Ctx, REVIEW_UNITS],
    queue: str = "candidate",
    offset: Offset = 0,
    limit: Limit = 50,
) -> CasesOut:
    """Units awaiting review (``candidate``, ``partial``) or already reviewed (``reviewed``)."""
    queue = _queue(queue)
    cases, total = review_cases(ctx.db, _edition(ctx), queue, max(offset, 0), min(limit, 500))
    return CasesOut(
        queue=queue,
        total=total,
        offset=offset,
        cases=cases,
    )


@router.post(
    "/api/v1/identification/{credit_code}", response_model=ReviewCase, tags=["identification"]
)
def api_decide(ctx: Annotated[Ctx, REVIEW_UNITS], credit_code: str, body: DecisionIn) -> ReviewCase:
    """Confirm (with a 小类 code) or reject a unit; kept as a new classification vintage."""
    decision = decide_case(
        ctx.db,
        _edition(ctx),
        credit_code,
        body.confirm,
        body.de_code,
        body.reason,
        ctx.principal.username,
    )
    cases, _ = review_cases(ctx.db, _edition(ctx), "reviewed", 0, 10**9)
    case = next(c for c in cases if c.credit_code == credit_code and c.vintage == decision.vintage)
    return case
