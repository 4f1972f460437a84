"""User administration (admin only), indicators' access levels and the audit log (admin and
office).

A generated password is shown once, in the answer to the request that made it: it never goes
into the session cookie, which is signed but not encrypted, nor into a redirect's address.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from demonitor.core.periods import year_problem
from demonitor.core.permissions import Action, Kind, Level, Role
from demonitor.services import users
from demonitor.services.targets import TargetError, indicator_levels, set_level
from demonitor.services.users import User, UserError
from demonitor.store.audit import AuditPage, AuditQuery, audit_choices, read_audit
from demonitor.store.catalogue import all_regions
from demonitor.store.observations import as_utc
from demonitor.web.guard import Ctx, needs
from demonitor.web.i18n import CHINA_TIME, in_china_time
from demonitor.web.render import page

router = APIRouter()

PER_PAGE = 100
MAX_PAGE = 1_000_000  # 10^8 entries: a log that long is read with filters
MAX_FILTER_CHARS = 200  # longer than any actor, action, entity or key of the log
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
    regions = all_regions(ctx.db)
    return page(
        ctx,
        "admin_users.html",
        status_code,
        users=users.all_users(ctx.db),
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
        user, password = users.add_user(
            ctx.db,
            _actor(ctx),
            username,
            users.parse_role(role),
            display_name=display_name.strip(),
            region=region.strip() or None,
            department=department.strip() or None,
            indicators=_codes(indicators),
        )
    except UserError as problem:
        return _refused(ctx, problem, form)
    return _users_page(ctx, issued=IssuedPassword(user.username, password, reset=False))


@router.post("/admin/users/{username}/disable")
def disable_user_page(
    ctx: Administrator, username: str, reason: Annotated[str, Form()] = ""
) -> Response:
    try:
        users.disable_user(ctx.db, _actor(ctx), username, reason)
    except UserError as problem:
        return _refused(ctx, problem)
    _flash(
        ctx,
        f"已停用用户{username}，其API令牌已撤销",
        f"user {username} disabled, their API tokens revoked",
    )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/enable")
def enable_user_page(ctx: Administrator, username: str) -> Response:
    try:
        users.enable_user(ctx.db, _actor(ctx), username)
    except UserError as problem:
        return _refused(ctx, problem)
    _flash(ctx, f"已启用用户{username}", f"user {username} enabled")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/reset")
def reset_password_page(ctx: Administrator, username: str) -> Response:
    try:
        user, password = users.reset_password(ctx.db, _actor(ctx), username)
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
    return [user_out(u) for u in users.all_users(ctx.db)]


@router.post("/api/v1/users", response_model=CreatedUser, status_code=201, tags=["admin"])
def api_add_user(ctx: Administrator, new: NewUser) -> CreatedUser:
    """Create a user; the answer carries its generated password, once. Administrators only."""
    try:
        user, password = users.add_user(
            ctx.db,
            _actor(ctx),
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


# Indicators' access levels -------------------------------------------------------------------

LevelSetter = Annotated[Ctx, needs(Action.APPROVE, Kind.AGGREGATE)]

LEVEL_NAMES: dict[str, tuple[str, str]] = {
    Level.PUBLIC.value: ("公开（所有人可见）", "public (everybody)"),
    Level.INTERNAL.value: ("内部（登录用户）", "internal (signed-in users)"),
    Level.SECRET.value: ("涉密（管理员、数字经济办、领导）", "secret (admin, office, leaders)"),
}


def _indicators_page(
    ctx: Ctx, status_code: int = 200, *, error: str | None = None, notice: str | None = None
) -> Response:
    return page(
        ctx,
        "admin_indicators.html",
        status_code,
        indicators=indicator_levels(ctx.db),
        levels=[(value, ctx.t(*names)) for value, names in LEVEL_NAMES.items()],
        level_names={value: ctx.t(*names) for value, names in LEVEL_NAMES.items()},
        error=error,
        notice=notice,
    )


@router.get("/admin/indicators")
def indicators_page(ctx: LevelSetter) -> Response:
    flash = ctx.request.session.pop("flash", None)
    return _indicators_page(ctx, notice=ctx.t(*flash) if flash else None)


@router.post("/admin/indicators/{code}")
def set_level_page(
    ctx: LevelSetter,
    code: str,
    level: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        result = set_level(ctx.db, code, level, reason, _actor(ctx), ctx.principal)
    except TargetError as problem:
        ctx.db.rollback()
        return _indicators_page(ctx, 400, error=ctx.t(problem.zh, problem.en))
    if result.changed:
        shown = LEVEL_NAMES.get(level.strip(), (level, level))
        _flash(ctx, f"指标{code}已改为{shown[0]}", f"{code} is now {shown[1]}")
    else:
        _flash(ctx, f"指标{code}的密级未变", f"the level of {code} is unchanged")
    return RedirectResponse("/admin/indicators", status_code=303)


class IndicatorLevelOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    level: str  # 公开 | 内部 | 涉密
    direction: str  # higher | lower: which is better


class LevelChange(BaseModel):
    level: str  # 公开 | 内部 | 涉密, or public | internal | secret
    reason: str


def _levels_out(ctx: Ctx) -> list[IndicatorLevelOut]:
    return [
        IndicatorLevelOut(
            code=i.code, name_zh=i.name_zh, name_en=i.name_en, level=i.level, direction=i.direction
        )
        for i in indicator_levels(ctx.db)
    ]


@router.get("/api/v1/admin/indicators", response_model=list[IndicatorLevelOut], tags=["admin"])
def api_indicator_levels(ctx: LevelSetter) -> list[IndicatorLevelOut]:
    """Every indicator with its access level. Administrators and the office."""
    return _levels_out(ctx)


@router.post("/api/v1/admin/indicators/{code}", response_model=IndicatorLevelOut, tags=["admin"])
def api_set_level(ctx: LevelSetter, code: str, change: LevelChange) -> IndicatorLevelOut:
    """Change who may read an indicator (公开, 内部 or 涉密), with the reason; audited.
    Administrators and the office."""
    try:
        set_level(ctx.db, code, change.level, change.reason, _actor(ctx), ctx.principal)
    except TargetError as problem:
        status = {"indicator": 404, "principal": 403}.get(problem.field, 400)
        raise HTTPException(status, detail={"zh": problem.zh, "en": problem.en}) from None
    return next(i for i in _levels_out(ctx) if i.code == code)


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

    def narrowed(self) -> AuditQuery:
        """The query of the log; raises UserError on a malformed or implausible date or a
        filter text too long to be one (SQLite refuses such a LIKE pattern)."""
        for name in ("actor", "action", "entity", "key"):
            text = getattr(self, name)
            if len(text) > MAX_FILTER_CHARS:
                raise UserError(
                    f"筛选条件「{name}」有{len(text)}个字符，超过{MAX_FILTER_CHARS}个字符的上限",
                    f"the filter {name} holds {len(text)} characters, more than the "
                    f"{MAX_FILTER_CHARS} allowed",
                )
        return AuditQuery(
            actor=self.actor,
            action=self.action,
            entity=self.entity,
            key=self.key,
            since=_day_start(self.date_from) if self.date_from.strip() else None,
            until=_day_start(self.date_to) + dt.timedelta(days=1) if self.date_to.strip() else None,
        )

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
            f"日期应写作YYYY-MM-DD：{text[:40]}", f"a date is written YYYY-MM-DD: {text[:40]}"
        ) from None
    problem = year_problem(day.year)
    if problem is not None:
        raise UserError(f"日期{day}：{problem[0]}", f"the date {day}: {problem[1]}")
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


def _read_audit(ctx: Ctx, chosen: AuditFilter, page_number: int) -> AuditPage:
    if page_number > MAX_PAGE:  # beyond any log, and beyond what the database's offset holds
        raise UserError(
            f"页码{page_number}超过{MAX_PAGE:,}的上限",
            f"page {page_number} is beyond the last possible page {MAX_PAGE:,}",
        )
    return read_audit(ctx.db, chosen.narrowed(), page_number, PER_PAGE)


def compact_json(value: dict[str, Any] | None) -> str:
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


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
        found = _read_audit(ctx, chosen, page_number)
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
        **audit_choices(ctx.db),
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
        found = _read_audit(ctx, chosen, page_number)
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
