"""User administration (admin only) and the audit log (admin and office).

A generated password is shown once, in the answer to the request that made it: it never goes
into the session cookie, which is signed but not encrypted, nor into a redirect's address.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from demonitor.core.permissions import Action, Kind, Role
from demonitor.store.models import AuditEntry, Region, User
from demonitor.store.observations import as_utc
from demonitor.store.users import UserError, UserStore
from demonitor.web.guard import Ctx, needs
from demonitor.web.i18n import CHINA_TIME, in_china_time
from demonitor.web.render import page

router = APIRouter()

PER_PAGE = 100
# The log is read in Taizhou: times are shown and filtered in 北京时间 (CHINA_TIME).

ROLE_NAMES: dict[Role, tuple[str, str]] = {
    Role.ADMIN: ("管理员", "administrator"),
    Role.OFFICE: ("数字经济办", "digital-economy office"),
    Role.STATISTICS: ("统计局", "statistics bureau"),
    Role.DEPARTMENT: ("部门", "department"),
    Role.DISTRICT: ("区县", "district"),
    Role.LEADER: ("领导", "leader"),
}

Administrator = Annotated[Ctx, needs(Action.ADMINISTER, Kind.USERS)]
AuditReader = Annotated[Ctx, needs(Action.READ, Kind.AUDIT)]


def _codes(text: str) -> list[str] | None:
    """Indicator codes typed as ``DE04,DE05`` (or with 、 or spaces); none given → None."""
    codes = [c.strip().upper() for c in re.split(r"[,，、\s]+", text) if c.strip()]
    return codes or None


# Users: pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedPassword:
    """A generated password to show once: for a new user, or after a reset."""

    username: str
    password: str
    reset: bool


def _users_page(
    ctx: Ctx,
    status_code: int = 200,
    *,
    issued: IssuedPassword | None = None,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    regions = list(ctx.db.scalars(select(Region).order_by(Region.code)))
    return page(
        ctx,
        "admin_users.html",
        status_code,
        users=UserStore(ctx.db, _actor(ctx)).all(),
        regions=regions,
        region_names={r.code: ctx.t(r.name_zh, r.name_en) for r in regions},
        roles=[(role.value, ctx.t(*names)) for role, names in ROLE_NAMES.items()],
        role_names={role.value: ctx.t(*names) for role, names in ROLE_NAMES.items()},
        when=in_china_time,
        issued=issued,
        error=error,
        notice=notice,
        form=form or {},
    )


def _actor(ctx: Ctx) -> str:
    assert ctx.user is not None
    return ctx.user.username


def _refused(ctx: Ctx, problem: UserError, form: dict[str, str] | None = None) -> Response:
    ctx.db.rollback()  # whatever the refused operation began, nothing of it is kept
    return _users_page(ctx, 400, error=ctx.t(problem.zh, problem.en), form=form)


def _flash(ctx: Ctx, zh: str, en: str) -> None:
    ctx.request.session["flash"] = [zh, en]


@router.get("/admin/users")
def users_page(ctx: Administrator) -> Response:
    flash = ctx.request.session.pop("flash", None)
    return _users_page(ctx, notice=ctx.t(*flash) if flash else None)


@router.post("/admin/users")
def add_user_page(
    ctx: Administrator,
    username: Annotated[str, Form()],
    role: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
    indicators: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "username": username,
        "role": role,
        "display_name": display_name,
        "region": region,
        "department": department,
        "indicators": indicators,
    }
    try:
        user, password = UserStore(ctx.db, _actor(ctx)).add(
            username,
            _role(role),
            display_name=display_name.strip(),
            region=region.strip() or None,
            department=department.strip() or None,
            indicators=_codes(indicators),
        )
    except UserError as problem:
        return _refused(ctx, problem, form)
    return _users_page(ctx, issued=IssuedPassword(user.username, password, reset=False))


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise UserError(f"未知角色：{value}", f"unknown role: {value}") from None


@router.post("/admin/users/{username}/disable")
def disable_user_page(
    ctx: Administrator, username: str, reason: Annotated[str, Form()] = ""
) -> Response:
    try:
        _disable(ctx, username, reason)
    except UserError as problem:
        return _refused(ctx, problem)
    _flash(ctx, f"已停用用户{username}", f"user {username} disabled")
    return RedirectResponse("/admin/users", status_code=303)


def _disable(ctx: Ctx, username: str, reason: str) -> None:
    if not reason.strip():
        raise UserError("停用账号须写明理由", "give the reason for disabling the account")
    if ctx.user is not None and username == ctx.user.username:
        # An administrator who disables themselves is locked out of the very page to undo it.
        raise UserError("不能停用自己的账号", "you cannot disable your own account")
    UserStore(ctx.db, _actor(ctx)).disable(username, reason.strip())


@router.post("/admin/users/{username}/enable")
def enable_user_page(ctx: Administrator, username: str) -> Response:
    try:
        UserStore(ctx.db, _actor(ctx)).enable(username)
    except UserError as problem:
        return _refused(ctx, problem)
    _flash(ctx, f"已启用用户{username}", f"user {username} enabled")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/reset")
def reset_password_page(ctx: Administrator, username: str) -> Response:
    try:
        user, password = UserStore(ctx.db, _actor(ctx)).reset(username)
    except UserError as problem:
        return _refused(ctx, problem)
    return _users_page(ctx, issued=IssuedPassword(user.username, password, reset=True))


# Users: JSON API -----------------------------------------------------------------------------


class UserOut(BaseModel):
    username: str
    display_name: str
    role: str
    region: str | None
    department: str | None
    indicators: list[str]
    disabled: bool
    must_change_password: bool
    created_at: dt.datetime | None
    last_login_at: dt.datetime | None


def user_out(user: User) -> UserOut:
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        region=user.region_code,
        department=user.department,
        indicators=[c for c in user.indicators.split(",") if c],
        disabled=user.disabled,
        must_change_password=user.must_change_password,
        created_at=as_utc(user.created_at) if user.created_at else None,
        last_login_at=as_utc(user.last_login_at) if user.last_login_at else None,
    )


class NewUser(BaseModel):
    username: str
    role: Role
    display_name: str = ""
    region: str | None = None  # district users
    department: str | None = None  # department users
    indicators: list[str] | None = None  # department users; default: those it owns (牵头单位)


class CreatedUser(BaseModel):
    user: UserOut
    password: str  # generated, shown this once; to be changed at first sign-in


@router.get("/api/v1/users", response_model=list[UserOut], tags=["admin"])
def api_users(ctx: Administrator) -> list[UserOut]:
    """Every user (never a password hash). Administrators only."""
    return [user_out(u) for u in UserStore(ctx.db, _actor(ctx)).all()]


@router.post("/api/v1/users", response_model=CreatedUser, status_code=201, tags=["admin"])
def api_add_user(ctx: Administrator, new: NewUser) -> CreatedUser:
    """Create a user; the answer carries its generated password, once. Administrators only."""
    try:
        user, password = UserStore(ctx.db, _actor(ctx)).add(
            new.username,
            new.role,
            display_name=new.display_name,
            region=new.region,
            department=new.department,
            indicators=new.indicators,
        )
    except UserError as problem:
        raise HTTPException(400, detail={"zh": problem.zh, "en": problem.en}) from None
    return CreatedUser(user=user_out(user), password=password)


# Audit log -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What the audit log is narrowed to; blank fields do not narrow it."""

    actor: str = ""
    action: str = ""
    entity: str = ""
    key: str = ""  # part of the entity key
    date_from: str = ""  # YYYY-MM-DD, China time, inclusive
    date_to: str = ""

    def conditions(self) -> list[ColumnElement[bool]]:
        """The SQL conditions; raises UserError on a malformed date."""
        found: list[ColumnElement[bool]] = []
        if self.actor.strip():
            found.append(AuditEntry.actor == self.actor.strip())
        if self.action.strip():
            found.append(AuditEntry.action == self.action.strip())
        if self.entity.strip():
            found.append(AuditEntry.entity == self.entity.strip())
        if self.key.strip():
            found.append(AuditEntry.entity_key.icontains(self.key.strip(), autoescape=True))
        if self.date_from.strip():
            found.append(AuditEntry.at >= _day_start(self.date_from))
        if self.date_to.strip():
            found.append(AuditEntry.at < _day_start(self.date_to) + dt.timedelta(days=1))
        return found

    def query(self, page_number: int) -> str:
        fields = {
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "key": self.key,
            "date_from": self.date_from,
            "date_to": self.date_to,
        }
        kept = {name: value for name, value in fields.items() if value.strip()}
        return urlencode({**kept, "page": page_number})


def _day_start(text: str) -> dt.datetime:
    """Midnight of a China-time date, in UTC (SQLite compares datetimes without their zone)."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"日期应写作YYYY-MM-DD：{text}", f"a date is written YYYY-MM-DD: {text}"
        ) from None
    return dt.datetime.combine(day, dt.time(), tzinfo=CHINA_TIME).astimezone(dt.UTC)


def audit_filter(
    actor: str = "",
    action: str = "",
    entity: str = "",
    key: Annotated[str, Query(description="entity key contains")] = "",
    date_from: Annotated[str, Query(description="YYYY-MM-DD, China time")] = "",
    date_to: Annotated[str, Query(description="YYYY-MM-DD, China time, inclusive")] = "",
) -> AuditFilter:
    # Dates arrive as text: a filter form sends empty fields, which are no filter, not an error.
    return AuditFilter(actor, action, entity, key, date_from, date_to)


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


def read_audit(db: Session, chosen: AuditFilter, page_number: int) -> AuditPage:
    conditions = chosen.conditions()
    total = db.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    entries = db.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page_number - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return AuditPage(list(entries), total, page_number, max(1, math.ceil(total / PER_PAGE)))


def compact_json(value: dict[str, Any] | None) -> str:
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def _distinct(db: Session, column: Any) -> list[str]:
    return [str(v) for v in db.scalars(select(column).distinct().order_by(column))]


PageNumber = Annotated[
    int, Query(alias="page", ge=1, description="100 entries a page, newest first")
]


@router.get("/audit")
def audit_page(
    ctx: AuditReader,
    chosen: Annotated[AuditFilter, Depends(audit_filter)],
    page_number: PageNumber = 1,
) -> Response:
    error = None
    try:
        found = read_audit(ctx.db, chosen, page_number)
    except UserError as problem:
        error = ctx.t(problem.zh, problem.en)
        found = AuditPage([], 0, 1, 1)
    return page(
        ctx,
        "audit.html",
        400 if error else 200,
        found=found,
        chosen=chosen,
        error=error,
        actions=_distinct(ctx.db, AuditEntry.action),
        entities=_distinct(ctx.db, AuditEntry.entity),
        actors=_distinct(ctx.db, AuditEntry.actor),
        when=in_china_time,
        compact=compact_json,
    )


class AuditEntryOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str


class AuditLogPage(BaseModel):
    total: int
    page: int
    pages: int
    per_page: int
    entries: list[AuditEntryOut]


@router.get("/api/v1/audit", response_model=AuditLogPage, tags=["admin"])
def api_audit(
    ctx: AuditReader,
    chosen: Annotated[AuditFilter, Depends(audit_filter)],
    page_number: PageNumber = 1,
) -> AuditLogPage:
    """The audit log, newest first, 100 entries a page. Administrators and the office."""
    try:
        found = read_audit(ctx.db, chosen, page_number)
    except UserError as problem:
        raise HTTPException(400, detail={"zh": problem.zh, "en": problem.en}) from None
    return AuditLogPage(
        total=found.total,
        page=found.page,
        pages=found.pages,
        per_page=PER_PAGE,
        entries=[
            AuditEntryOut(
                id=e.id,
                at=as_utc(e.at),
                actor=e.actor,
                action=e.action,
                entity=e.entity,
                entity_key=e.entity_key,
                before=e.before,
                after=e.after,
                reason=e.reason or "",
            )
            for e in found.entries
        ],
    )
