"""The outermost layer of the app, written as plain ASGI because every request passes it.

It adds the security headers to every answer, and serves ``/static`` itself, before the session
layer: a stylesheet needs no cookie decoded, re-signed and sent back. Being outside the app's
exception handling, it answers the static files' own refusals (404 for a missing file, 405 for a
POST) itself.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages may run only the platform's own scripts and styles: no inline code, no other origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# Swagger UI starts itself with an inline script and styles its widgets inline; the page holds
# no data of its own.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
STATIC_PREFIX = "/static/"
STATIC_REFUSALS = {404: ("未找到", "not found"), 405: ("只能读取", "method not allowed")}


class SecurityHeaders:
    def __init__(self, app: ASGIApp, static: ASGIApp) -> None:
        self.app = app
        self.static = static

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_static = path.startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = DOCS_CSP if path == "/docs" else CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                if not is_static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        if is_static:
            static_scope = dict(scope)
            static_scope["root_path"] = scope.get("root_path", "") + STATIC_PREFIX.rstrip("/")
            static_scope["path"] = path[len(STATIC_PREFIX) - 1 :]
            try:
                await self.static(static_scope, receive, send_with_headers)
            except HTTPException as refusal:
                zh, en = STATIC_REFUSALS.get(refusal.status_code, ("无法提供", "cannot be served"))
                answer = PlainTextResponse(
                    f"{zh} / {en}: {path}", refusal.status_code, headers=refusal.headers
                )
                await answer(scope, receive, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)
