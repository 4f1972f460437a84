"""Server-rendered pages: one Jinja2 environment, every page given the request's ``Ctx``.

The dashboard's read pages are the same for every reader of a role and language until the data
change, but for two things: the session's CSRF token (in the sign-out form) and the reader's
name. ``shared_page`` renders them once with marks in those two places and fills the marks in
for each request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import escape

from demonitor.core.progress import CATEGORY_EN, CATEGORY_ZH
from demonitor.store.observations import has_demo_data
from demonitor.web.guard import Ctx
from demonitor.web.i18n import in_china_time, number, points, yi

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Templates ship with the package and change only with it: no file check on every render.
TEMPLATES.env.auto_reload = False
TEMPLATES.env.filters["yi"] = yi
TEMPLATES.env.filters["num"] = number
TEMPLATES.env.filters["points"] = points
TEMPLATES.env.filters["china_time"] = in_china_time


def width_class(fraction: float) -> int:
    """A bar width for the .w-0 … .w-100 classes (steps of 5): inline styles are forbidden."""
    return min(100, max(0, round(fraction * 20) * 5))


TEMPLATES.env.globals["width_class"] = width_class


def status_label(ctx: Ctx, category: str) -> str:
    return ctx.t(CATEGORY_ZH.get(category, category), CATEGORY_EN.get(category, category))


def page(
    ctx: Ctx, template: str, status_code: int = 200, *, shown: Any = None, **values: Any
) -> HTMLResponse:
    """Render a page for the request; ``shown`` stands in for ``ctx`` in the template."""
    cache = ctx.request.app.state.cache
    demo = cache.get("has_demo_data", lambda: has_demo_data(ctx.db), ctx.db)
    context = {
        "ctx": shown if shown is not None else ctx,
        "demo": demo,
        "status_label": lambda c: status_label(ctx, c),
    }
    return TEMPLATES.TemplateResponse(
        ctx.request, template, {**context, **values}, status_code=status_code
    )


CSRF_MARK = "DMCSRFMARK7f3a0c"
NAME_MARK = "DMNAMEMARK9c2d51"


class _MarkedUser:
    """The reader, with a mark where the name goes."""

    display_name = NAME_MARK

    def __init__(self, user: Any) -> None:
        self._user = user

    def __getattr__(self, name: str) -> Any:
        return getattr(self._user, name)


class _MarkedCtx:
    """The request's Ctx, with marks where the token and the name go."""

    def __init__(self, ctx: Ctx) -> None:
        self._ctx = ctx
        self.user = _MarkedUser(ctx.user) if ctx.user is not None else None

    def csrf_token(self) -> str:
        return CSRF_MARK

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)


def shared_page(ctx: Ctx, template: str, values: Callable[[], dict[str, Any]]) -> HTMLResponse:
    """A read page rendered once per data version, role, language and address."""
    request = ctx.request
    key = f"page:{ctx.principal.role}:{ctx.lang}:{request.url.path}?{request.url.query}"

    def render() -> str:
        response = page(ctx, template, shown=_MarkedCtx(ctx), **values())
        return bytes(response.body).decode()

    shared: str = request.app.state.cache.get(key, render, ctx.db)
    text = shared.replace(CSRF_MARK, ctx.csrf_token())
    if ctx.user is not None:
        text = text.replace(NAME_MARK, str(escape(ctx.user.display_name)))
    return HTMLResponse(text)
