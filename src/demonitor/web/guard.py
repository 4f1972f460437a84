"""Every route goes through here: who is asking, and may they.

A route declares what it needs with ``needs(...)`` (or ``anyone()`` for sign-in and static
pages); the declaration is kept on the dependency so that a test can list every route's
permission and fail on a route that has none. The coarse check asks the access policy whether
the role may do the action on its *own* data of that kind; routes that touch a particular region
or indicator then call ``authorize`` on it, the fine check.

Who is asking comes from a bearer API token, or else from the signed session cookie, whose
session (``sid``) must still be live on the server (signing out ends it there) and whose
``epoch`` must match the user's (a password change, reset or disable ends older sessions).
Unsafe methods with a session cookie must carry the session's CSRF token.

The client's address (``client_address``) is the peer's, unless the peer is a trusted reverse
proxy (``Settings.trusted_proxies``); only then is ``X-Forwarded-For`` read.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from demonitor.core.permissions import (
    Action,
    Kind,
    Level,
    Principal,
    Resource,
    Role,
    decide,
)
from demonitor.core.proxies import TrustedProxies
from demonitor.services.users import (
    User,
    principal_of,
    session_user_id,
    user_by_id,
    user_of_token,
)
from demonitor.store.observations import data_version
from demonitor.web.i18n import pick

PUBLIC = Principal(Role.PUBLIC)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Denied(Exception):
    """Refused: 401 when nobody is signed in, else 403; the reason in Chinese and English."""

    def __init__(self, status: int, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.status = status
        self.zh = zh
        self.en = en


class PasswordChangeRequired(Exception):
    """A generated password must be changed before anything else."""


@dataclass
class Ctx:
    """One request's view of the platform: its database session, who asks, and in which language."""

    request: Request
    db: Session
    principal: Principal
    user: User | None
    lang: str
    via_token: bool = False

    def t(self, zh: str, en: str) -> str:
        return pick(self.lang, zh, en)

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    def csrf_token(self) -> str:
        token = self.request.session.get("csrf")
        if not token:
            token = secrets.token_urlsafe(32)
            self.request.session["csrf"] = token
        return str(token)


@dataclass(frozen=True)
class Permission:
    """What a route needs, as declared on it. ``anyone`` routes need nothing (sign-in, static)."""

    action: Action | None
    kind: Kind | None
    level: Level = Level.INTERNAL
    anyone: bool = False
    signed_in: bool = False  # any signed-in user (their own password, tokens)


def language(request: Request) -> str:
    lang = request.cookies.get("lang", "zh")
    return lang if lang in ("zh", "en") else "zh"


def client_address(request: Request) -> str:
    """Who is asking, by address: the peer, or what trusted proxies say the client was."""
    peer = request.client.host if request.client else "?"
    trusted: TrustedProxies = request.app.state.trusted_proxies
    if not trusted.networks:
        return peer
    return trusted.client(peer, request.headers.getlist("x-forwarded-for"))


def _identify(request: Request, db: Session) -> tuple[User | None, bool]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = user_of_token(db, header[7:].strip())
        if user is None:
            raise Denied(401, "API令牌无效或已撤销", "the API token is invalid or revoked")
        return user, True
    user_id = request.session.get("uid")
    if user_id is None:
        return None, False
    if session_user_id(db, request.session.get("sid")) != user_id:  # signed out, or expired
        request.session.clear()
        return None, False
    user = _signed_in_user(request, db, user_id)
    if user is None or user.disabled or request.session.get("epoch") != user.session_epoch:
        request.session.clear()
        return None, False
    return user, False


def _signed_in_user(request: Request, db: Session, user_id: int) -> User | None:
    """The user of a session cookie. Reading requests share a copy, detached from any session,
    until the data change: every change to a user (disable, reset, password) is audited and so
    moves the data version. Writing requests load the user into their own transaction."""
    if request.method not in SAFE_METHODS:
        return user_by_id(db, user_id)
    known: dict[int, tuple[int, User | None]] = request.app.state.signed_in_users
    version = data_version(db)
    cached = known.get(user_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    user = user_by_id(db, user_id)
    if user is not None:
        db.expunge(user)  # read-only from here: attributes stay loaded, nothing is written
    if len(known) > 10_000:
        known.clear()
    known[user_id] = (version, user)
    return user


async def _form_csrf(request: Request) -> str | None:
    """The CSRF token of a posted form (Starlette keeps the parsed form for the route)."""
    content_type = request.headers.get("content-type", "")
    if request.method in SAFE_METHODS or not content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return None
    form = await request.form()
    token = form.get("csrf_token")
    return token if isinstance(token, str) else None


def context(
    request: Request, form_csrf: Annotated[str | None, Depends(_form_csrf)]
) -> Iterator[Ctx]:
    """The request's database session (one transaction, committed when the route is done),
    who asks and in which language; unsafe methods must carry the session's CSRF token."""
    factory: sessionmaker[Session] = request.app.state.sessions
    db = factory()
    try:
        request.state.form_csrf = form_csrf
        user, via_token = _identify(request, db)
        principal = principal_of(user) if user is not None else PUBLIC
        ctx = Ctx(request, db, principal, user, language(request), via_token)
        if request.method not in SAFE_METHODS and not via_token:
            _check_csrf(request)
        yield ctx
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()


def _check_csrf(request: Request) -> None:
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token") or request.state.form_csrf
    if not expected or not given or not secrets.compare_digest(str(expected), str(given)):
        raise Denied(
            403,
            "表单已失效（CSRF校验失败），请刷新页面后重试",
            "the form has expired (CSRF check failed): reload the page and try again",
        )


def authorize(ctx: Ctx, action: Action, resource: Resource) -> None:
    """The fine check, on the particular region or indicator a route touches."""
    decision = decide(ctx.principal, action, resource)
    if not decision:
        raise Denied(401 if ctx.user is None else 403, decision.reason_zh, decision.reason_en)


def _own_resource(principal: Principal, kind: Kind, level: Level) -> Resource:
    """The role's own data of this kind: what the coarse check asks about."""
    return Resource(
        kind=kind,
        level=level,
        region=principal.region,
        indicator=min(principal.indicators) if principal.indicators else None,
        published=True,
    )


def _declare(permission: Permission, check: Callable[[Ctx], None]) -> Any:
    # Pure policy, no I/O: run on the event loop rather than a worker thread.
    # "function": the transaction is committed before the answer leaves, so a browser following
    # a redirect sees the write, and a failed commit is an error page rather than a silent loss.
    async def dependency(ctx: Annotated[Ctx, Depends(context, scope="function")]) -> Ctx:
        must_change = ctx.user is not None and ctx.user.must_change_password
        if must_change and not (permission.anyone or permission.signed_in):
            raise PasswordChangeRequired
        check(ctx)
        return ctx

    dependency.permission = permission  # type: ignore[attr-defined]
    return Depends(dependency)


def needs(action: Action, kind: Kind, level: Level = Level.INTERNAL) -> Any:
    """A dependency giving the request's ``Ctx`` once the role may do ``action`` on its own
    data of ``kind`` at ``level``."""
    permission = Permission(action, kind, level)

    def check(ctx: Ctx) -> None:
        authorize(ctx, action, _own_resource(ctx.principal, kind, level))

    return _declare(permission, check)


def anyone() -> Any:
    """Sign-in, language and the like: open to everybody, signed in or not."""
    return _declare(Permission(None, None, anyone=True), lambda ctx: None)


def signed_in() -> Any:
    """Any signed-in user, about their own account (password, API tokens)."""

    def check(ctx: Ctx) -> None:
        if ctx.user is None:
            raise Denied(401, "请先登录", "please sign in")

    return _declare(Permission(None, None, signed_in=True), check)


def declared_permission(route: Any) -> Permission | None:
    """The permission a route declared, found among its dependencies."""
    dependant = getattr(route, "dependant", None)
    for dependency in dependant.dependencies if dependant is not None else []:
        permission = getattr(dependency.call, "permission", None)
        if isinstance(permission, Permission):
            return permission
    return None
