"""The routers of the web platform, one module per concern."""

from __future__ import annotations

from fastapi import APIRouter

from demonitor.web.routes import account, admin, dashboard, identification, submissions

ROUTERS: list[APIRouter] = [
    account.router,
    dashboard.router,
    admin.router,
    submissions.router,
    identification.router,
]
