"""The web platform: a FastAPI app serving the JSON API (``/api/v1``, documented at ``/docs``) and
the server-rendered pages, both through the one access policy (``guard``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker
from starlette.middleware.sessions import SessionMiddleware

from demonitor.core.errors import BilingualError
from demonitor.core.proxies import TrustedProxies
from demonitor.store import db as store_db
from demonitor.store.db import ready_engine, session_scope
from demonitor.web.body_limit import BodyLimit
from demonitor.web.cache import ResultCache
from demonitor.web.guard import Ctx, Denied, PasswordChangeRequired, anyone, language
from demonitor.web.i18n import pick
from demonitor.web.middleware import SecurityHeaders
from demonitor.web.render import TEMPLATES
from demonitor.web.settings import Settings

STATIC = Path(__file__).parent / "static"
API = "/api/v1"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API) or request.url.path == "/openapi.json"


def _warm_up(app: FastAPI) -> None:
    """Compute the dashboard once at start, so that the first reader does not wait for it."""
    from demonitor.web.routes.dashboard import full_overview

    try:
        with session_scope(app.state.engine) as session:
            full_overview(app.state.cache, session, app.state.settings.edition)
    except Exception:  # a cold cache is only slower; the request will say what is wrong
        logging.getLogger(__name__).exception("warming the dashboard cache failed")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    threading.Thread(target=_warm_up, args=(app,), daemon=True, name="warm-up").start()
    yield


def create_app(settings: Settings) -> FastAPI:
    engine = ready_engine(settings.database_url)
    app = FastAPI(
        lifespan=_lifespan,
        title="demonitor 数字经济统计监测平台",
        version="1",
        docs_url=None,  # served below from the package, not from a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
        description=(
            "泰州市数字经济统计监测平台 JSON API。机器客户端以 `Authorization: Bearer <令牌>` "
            "访问；令牌在“API令牌”页面或 `demonitor token` 命令创建，可随时撤销。\n\n"
            "JSON API of the digital-economy monitoring platform. Machine clients send "
            "`Authorization: Bearer <token>`; tokens are created on the API tokens page."
        ),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    app.state.cache = ResultCache()
    app.state.signed_in_users = {}  # user id → (data version, detached user); see guard
    app.state.trusted_proxies = TrustedProxies.parse(settings.trusted_proxies)  # see guard
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="demonitor_session",
        max_age=settings.session_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )

    # Request bodies limited per route before anything (the session, a form parser) reads them.
    app.add_middleware(BodyLimit)
    # Outermost: headers on every answer, and /static served before the session layer.
    app.add_middleware(SecurityHeaders, static=StaticFiles(directory=STATIC))

    @app.exception_handler(Denied)
    async def denied(request: Request, error: Denied) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": {"zh": error.zh, "en": error.en}},
                status_code=error.status,
                headers={"WWW-Authenticate": "Bearer"} if error.status == 401 else None,
            )
        if error.status == 401 and request.method == "GET":
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        return TEMPLATES.TemplateResponse(
            request,
            "error.html",
            {"lang": language(request), "status": error.status, "zh": error.zh, "en": error.en},
            status_code=error.status,
        )

    @app.exception_handler(BilingualError)
    async def refused(request: Request, error: BilingualError) -> Response:
        """A refusal of the domain (a bad period, a submission not awaiting review …): 400."""
        return await denied(request, Denied(400, error.zh, error.en))

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def busy(request: Request, error: Exception) -> Response:
        """Another writer held the database longer than this request waited, or every database
        connection stayed taken: 503, try again."""
        if not store_db.database_busy(error):
            raise error
        answer = await denied(request, Denied(503, store_db.BUSY_ZH, store_db.BUSY_EN))
        answer.headers["Retry-After"] = str(store_db.RETRY_AFTER_SECONDS)
        return answer

    @app.exception_handler(PasswordChangeRequired)
    async def password_change(request: Request, _error: PasswordChangeRequired) -> Response:
        zh, en = "首次登录须先修改密码", "change your password first"
        if _wants_json(request):
            return JSONResponse({"detail": {"zh": zh, "en": en}}, status_code=403)
        return RedirectResponse("/password", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        # loc, msg and type as the OpenAPI document promises (HTTPValidationError), and why in
        # both languages.
        problems = [
            {
                "loc": list(e.get("loc", ())),
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
                "zh": "参数无效",
                "en": str(e.get("msg", "")),
            }
            for e in error.errors()
        ]
        if _wants_json(request):
            return JSONResponse({"detail": problems}, status_code=422)
        lang = language(request)
        return TEMPLATES.TemplateResponse(
            request,
            "error.html",
            {
                "lang": lang,
                "status": 422,
                "zh": "请求参数无效：" + "；".join(".".join(map(str, p["loc"])) for p in problems),
                "en": "invalid request: " + "; ".join(str(p["en"]) for p in problems),
            },
            status_code=422,
        )

    @app.get("/docs", include_in_schema=False, dependencies=[anyone()])
    def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=pick(language(request), "API文档", "API documentation"),
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    from demonitor.web.routes import ROUTERS

    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_environment() -> FastAPI:
    """The app of each uvicorn worker that ``demonitor serve`` starts."""
    return create_app(Settings.from_environment())


__all__ = ["Ctx", "app_from_environment", "create_app"]
