"""Review of unit identification by the statistics bureau (单位认定复核).

What the rules could not settle alone comes to a person: ``candidate`` units (no rule applied,
but their first business-scope item is a digital activity) and units placed in a partial class
(a GB/T class only part of which is digital) on the evidence of their business scope. A decision
is a new classification vintage with method ``review_confirmed`` or ``review_rejected``, so the
rules' result stays on record; the decisions also export as the engine's overrides file, so a
re-run of ``demonitor classify --overrides`` keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from demonitor.core.errors import BilingualError
from demonitor.reference.digital_economy import load_edition
from demonitor.store.models import Classification, Enterprise
from demonitor.store.observations import audit, utcnow

REVIEWED = ("review_confirmed", "review_rejected")
QUEUES = {
    "candidate": "待认定（候选）",
    "partial": "部分归属小类",
    "reviewed": "已复核",
}


class ReviewError(BilingualError):
    """Refused; the reason in Chinese and English."""


@dataclass(frozen=True)
class ReviewCase:
    credit_code: str
    name: str
    region_code: str
    industry_code: str
    business_scope: str
    de_code: str | None
    status: str
    method: str
    evidence: str
    reason: str
    vintage: int
    recorded_by: str


def _latest(session: Session, edition: str):  # type: ignore[no-untyped-def]
    newest = (
        select(Classification.credit_code, func.max(Classification.vintage).label("vintage"))
        .where(Classification.edition == edition)
        .group_by(Classification.credit_code)
        .subquery()
    )
    latest = aliased(Classification)
    return (
        select(latest, Enterprise)
        .join(
            newest,
            (latest.credit_code == newest.c.credit_code) & (latest.vintage == newest.c.vintage),
        )
        .join(Enterprise, Enterprise.credit_code == latest.credit_code)
        .where(latest.edition == edition),
        latest,
    )


def review_cases(
    session: Session, edition: str, queue: str, offset: int = 0, limit: int = 50
) -> tuple[list[ReviewCase], int]:
    """The cases of a queue and how many there are in all."""
    query, latest = _latest(session, edition)
    if queue == "candidate":
        query = query.where(latest.status == "candidate")
    elif queue == "partial":
        query = query.where(latest.method == "business_scope", latest.status == "classified")
    else:
        query = query.where(latest.method.in_(REVIEWED))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(latest.credit_code).offset(offset).limit(limit))
    return [
        ReviewCase(
            credit_code=c.credit_code,
            name=e.name,
            region_code=e.region_code,
            industry_code=e.industry_code,
            business_scope=e.business_scope,
            de_code=c.de_code,
            status=c.status,
            method=c.method,
            evidence=c.evidence,
            reason=c.reason,
            vintage=c.vintage,
            recorded_by=c.recorded_by,
        )
        for c, e in rows
    ], int(total)


def decide_case(
    session: Session,
    edition: str,
    credit_code: str,
    confirm: bool,
    de_code: str | None,
    reason: str,
    actor: str,
) -> Classification:
    """Record a reviewer's decision as the next classification vintage."""
    previous = session.scalars(
        select(Classification)
        .where(Classification.credit_code == credit_code, Classification.edition == edition)
        .order_by(Classification.vintage.desc())
        .limit(1)
    ).first()
    if previous is None:
        raise ReviewError(f"{credit_code}没有认定结果", f"{credit_code} has no classification")
    if not reason.strip():
        raise ReviewError("复核须说明理由", "a decision needs a reason")
    if confirm:
        de_code = (de_code or previous.de_code or "").strip()
        classes = load_edition(edition).classes
        if not de_code:
            raise ReviewError("确认须选择小类代码", "confirming needs a 小类 code")
        if de_code not in classes or classes[de_code].level != "小类":
            raise ReviewError(
                f"「{de_code}」不是{edition}的小类代码",
                f"{de_code!r} is not a 小类 code of {edition}",
            )
    decision = Classification(
        credit_code=credit_code,
        edition=edition,
        de_code=de_code if confirm else None,
        status="classified" if confirm else "not_digital",
        method="review_confirmed" if confirm else "review_rejected",
        evidence=previous.evidence,
        reason=reason.strip(),
        vintage=previous.vintage + 1,
        recorded_at=utcnow(),
        recorded_by=actor,
    )
    session.add(decision)
    session.flush()
    audit(
        session,
        actor,
        "review",
        "classification",
        credit_code,
        {"de_code": previous.de_code, "status": previous.status, "method": previous.method},
        {"de_code": decision.de_code, "status": decision.status, "method": decision.method},
        reason.strip(),
    )
    return decision


def overrides_rows(session: Session, edition: str) -> list[tuple[str, str, str]]:
    """Every standing review decision as (credit code, DE code or '', reason): the engine's
    overrides file, where an empty code means 'not a digital-economy unit'."""
    cases, _ = review_cases(session, edition, "reviewed", 0, 10**9)
    return [(c.credit_code, c.de_code or "", c.reason) for c in cases]
