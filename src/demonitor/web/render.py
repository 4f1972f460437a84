"""Server-rendered pages: one Jinja2 environment, every page given the request's ``Ctx``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from demonitor.store.observations import has_demo_data
from demonitor.web.guard import Ctx
from demonitor.web.i18n import STATUS_EN, in_china_time, number, points, yi

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Templates ship with the package and change only with it: no file check on every render.
TEMPLATES.env.auto_reload = False
TEMPLATES.env.filters["yi"] = yi
TEMPLATES.env.filters["num"] = number
TEMPLATES.env.filters["points"] = points
TEMPLATES.env.filters["china_time"] = in_china_time


def status_label(ctx: Ctx, category: str) -> str:
    from demonitor.core.progress import CATEGORY_ZH

    return ctx.t(CATEGORY_ZH.get(category, category), STATUS_EN.get(category, category))


def page(ctx: Ctx, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    cache = ctx.request.app.state.cache
    demo = cache.get("has_demo_data", lambda: has_demo_data(ctx.db), ctx.db)
    return TEMPLATES.TemplateResponse(
        ctx.request,
        template,
        {"ctx": ctx, "demo": demo, "status_label": lambda c: status_label(ctx, c), **values},
        status_code=status_code,
    )
