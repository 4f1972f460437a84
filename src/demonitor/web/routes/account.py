"""Signing in and out, the forced password change, the language switch, and API tokens."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from demonitor.services import users
from demonitor.services.users import UserError
from demonitor.web.guard import Ctx, anyone, client_address, signed_in
from demonitor.web.params import RowId
from demonitor.web.render import page
from demonitor.web.routes.admin import UserOut, user_out

router = APIRouter()


def _safe_next(target: str) -> str:
    """Only a path of this site: never redirect a person elsewhere after signing in."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def login_form(ctx: Annotated[Ctx, anyone()], next: str = "/") -> Response:
    return page(ctx, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(
    ctx: Annotated[Ctx, anyone()],
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    request = ctx.request
    # Throttled per address and per account at the address; the counts are committed by
    # sign_in itself, before the password is checked.
    result = users.sign_in(ctx.db, username, password, address=client_address(request))
    if result.user is None:
        status = 429 if result.too_many_from_address else 401
        error = ctx.t(result.reason_zh, result.reason_en)
        return page(
            ctx, "login.html", status, next=_safe_next(next), error=error, username=username
        )
    user = result.user
    users.end_session(ctx.db, request.session.get("sid"))
    request.session.clear()  # a new session at sign-in: no fixation
    lifetime = dt.timedelta(seconds=request.app.state.settings.session_seconds)
    request.session["sid"] = users.start_session(ctx.db, user, lifetime)
    request.session["uid"] = user.id
    request.session["epoch"] = user.session_epoch
    ctx.csrf_token()
    target = "/password" if user.must_change_password else _safe_next(next)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(ctx: Annotated[Ctx, anyone()]) -> Response:
    """Sign out: the session ends on the server too, so a copy of the cookie is worthless.
    The user's other sessions (another browser) go on."""
    users.end_session(ctx.db, ctx.request.session.get("sid"))
    ctx.request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/lang/{lang}")
def switch_language(ctx: Annotated[Ctx, anyone()], lang: str, next: str = "/") -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang in ("zh", "en"):
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


@router.get("/password")
def password_form(ctx: Annotated[Ctx, signed_in()]) -> Response:
    return page(ctx, "password.html", error=None)


@router.post("/password")
def change_password(
    ctx: Annotated[Ctx, signed_in()],
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
    repeat: Annotated[str, Form()],
) -> Response:
    assert ctx.user is not None
    try:
        users.change_password(ctx.db, ctx.user, current, new, repeat)
    except UserError as problem:
        return page(ctx, "password.html", 400, error=ctx.t(problem.zh, problem.en))
    ctx.request.session["epoch"] = ctx.user.session_epoch
    return RedirectResponse("/?changed=1", status_code=303)


# API tokens ------------------------------------------------------------------------------------


@router.get("/tokens")
def tokens_page(ctx: Annotated[Ctx, signed_in()]) -> Response:
    assert ctx.user is not None
    return page(ctx, "tokens.html", tokens=users.tokens(ctx.db, ctx.user), created=None)


@router.post("/tokens")
def create_token_page(ctx: Annotated[Ctx, signed_in()], name: Annotated[str, Form()]) -> Response:
    assert ctx.user is not None
    try:
        _token, secret = users.create_token(ctx.db, ctx.user.username, ctx.user, name)
    except UserError as problem:
        return page(
            ctx,
            "tokens.html",
            400,
            tokens=users.tokens(ctx.db, ctx.user),
            created=None,
            error=ctx.t(problem.zh, problem.en),
        )
    return page(ctx, "tokens.html", tokens=users.tokens(ctx.db, ctx.user), created=secret)


@router.post("/tokens/{token_id}/revoke")
def revoke_token_page(ctx: Annotated[Ctx, signed_in()], token_id: RowId) -> Response:
    assert ctx.user is not None
    # Another's or an unknown token: nothing to revoke, nothing to reveal.
    with contextlib.suppress(UserError):
        users.revoke_token(ctx.db, ctx.user.username, token_id, owner=ctx.user)
    return RedirectResponse("/tokens", status_code=303)


@router.get("/api/v1/me", response_model=UserOut, tags=["account"])
def api_me(ctx: Annotated[Ctx, signed_in()]) -> UserOut:
    """Who the token or session belongs to."""
    assert ctx.user is not None
    return user_out(ctx.user)


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: Any
    last_used_at: Any
    revoked: bool


@router.get("/api/v1/tokens", response_model=list[TokenOut], tags=["account"])
def api_tokens(ctx: Annotated[Ctx, signed_in()]) -> list[TokenOut]:
    """Your API tokens (never their secrets)."""
    assert ctx.user is not None
    return [
        TokenOut(
            id=t.id,
            name=t.name,
            prefix=t.prefix,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            revoked=t.revoked_at is not None,
        )
        for t in users.tokens(ctx.db, ctx.user)
    ]
