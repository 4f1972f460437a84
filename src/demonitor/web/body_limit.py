"""Request bodies are limited per route before anything reads them (plain ASGI).

FastAPI reads a body (a form, a file, JSON) before the route's dependencies run, so before the
sign-in and the CSRF token are checked: without a limit, anyone could make the server spool a
gigabyte to disk. A body announced bigger than its route's limit (``Content-Length``) is refused
with 413 without reading a byte; a body sent in chunks is counted as it is read and cut off, with
413, as soon as it passes the limit. The limits: a few KB for signing in and other small forms, a
little more for the forms and JSON that carry a submission, the file limit for the upload.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from demonitor.ingest.reading import UPLOAD_FILE_BYTES

KB = 1024
SIGN_IN_BYTES = 8 * KB  # user name, password, form token, where to go next
FORM_BYTES = 64 * KB  # any other form or JSON body: a comment, a reason, a decision
SUBMISSION_BYTES = 256 * KB  # a submission's values and notes, as a form or as JSON
UPLOAD_BYTES = UPLOAD_FILE_BYTES + 64 * KB  # the file and the multipart form around it
ROUTE_BYTES = {
    "/login": SIGN_IN_BYTES,
    "/logout": SIGN_IN_BYTES,
    "/password": SIGN_IN_BYTES,
    "/submissions": SUBMISSION_BYTES,
    "/api/v1/submissions": SUBMISSION_BYTES,
    "/submissions/upload": UPLOAD_BYTES,
}


def limit_for(path: str) -> int:
    """The most bytes a request to ``path`` may carry."""
    return ROUTE_BYTES.get(path.rstrip("/") or "/", FORM_BYTES)


def _shown(size: int) -> str:
    return f"{round(size / KB / KB)} MB" if size >= KB * KB else f"{round(size / KB)} KB"


class _TooLarge(Exception):
    """Raised into the app when a chunked body passes its limit; the answer is already sent."""


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = limit_for(path)
        announced = dict(scope["headers"]).get(b"content-length")
        if announced is not None:
            try:
                size = int(announced)
            except ValueError:
                size = -1
            if size < 0 or size > limit:
                await self._refuse(path, limit, send)
                return
        received = 0
        started = False
        refused = False

        async def counted() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started:
                        await self._refuse(path, limit, send)
                        refused = True
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the app's answer to the cut-off body: 413 was sent instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not refused:
                raise
        except Exception:
            if not refused:
                raise
            # The app turned the cut-off body into an error of its own: already answered.

    @staticmethod
    async def _refuse(path: str, limit: int, send: Send) -> None:
        zh = f"请求内容过大，超过{_shown(limit)}的上限"
        en = f"request body too large: more than {_shown(limit)}"
        if path.startswith("/api/"):
            body = json.dumps({"detail": {"zh": zh, "en": en}}, ensure_ascii=False).encode()
            kind = b"application/json"
        else:
            body = (
                '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>413</title>'
                '<link rel="stylesheet" href="/static/css/app.css"></head><body><main class="page">'
                f'<h1>413</h1><p class="flash-error" id="error-reason">{zh}</p>'
                f'<p class="muted">{en}</p><p><a href="/">返回首页 / Home</a></p></main></body>'
                "</html>"
            ).encode()
            kind = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
