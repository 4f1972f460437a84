"""``demonitor serve``: run the web platform."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from demonitor.cli.common import DatabaseOption, app, console, database, errors, fail


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: assume it is reached over the network


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址 / address")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    database_url: DatabaseOption = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="进程数 / processes")] = 1,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="会话Cookie只经HTTPS传送；默认：非本机地址时开启 / HTTPS-only session cookies; "
            "default: on unless serving a loopback address",
        ),
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="逐请求日志 / log every request")
    ] = True,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="可信反向代理的地址或网段（可重复或以逗号分隔），只采信其 X-Forwarded-For；"
            "默认无，即忽略该头 / address or network of a reverse proxy whose X-Forwarded-For "
            "is believed (repeatable or comma-separated); default none: the header is ignored "
            "(also DEMONITOR_TRUSTED_PROXIES)",
        ),
    ] = None,
) -> None:
    """运行网页平台 / run the web platform (pages and /api/v1)."""
    import uvicorn

    from demonitor import config
    from demonitor.core.proxies import ProxyError, TrustedProxies
    from demonitor.store.db import database_url as resolve_url

    try:
        proxies = TrustedProxies.parse(trusted_proxy or config.trusted_proxies()).names()
    except ProxyError as error:
        raise fail(str(error)) from None
    url = resolve_url(database_url)
    database(url).dispose()  # refuse here, clearly, rather than in every worker
    config.session_secret()  # made once here: workers starting together would race to create it
    loopback = is_loopback(host)
    if secure_cookies is None:
        secure_cookies = not loopback and not config.insecure_cookies()
    if not secure_cookies and not loopback:
        errors.print(
            "[yellow]警告 / warning:[/] 在非本机地址上以普通HTTP发送会话Cookie，"
            "密码与会话可能被截获；请在HTTPS反向代理之后运行并使用 --secure-cookies / "
            "session cookies travel without HTTPS beyond this machine: serve behind an HTTPS "
            "proxy with --secure-cookies",
            highlight=False,
        )
    # Workers are separate processes: they read their settings from the environment.
    config.hand_to_workers(url, secure_cookies, proxies)
    shown_host = f"[{host}]" if ":" in host else host
    console.print(
        f"网页平台 / web platform: http://{shown_host}:{port}/ "
        f"({'HTTPS-only cookies' if secure_cookies else 'cookies over HTTP'}, "
        f"{workers} worker{'s' if workers > 1 else ''})",
        highlight=False,
    )
    if secure_cookies:
        console.print(
            "会话Cookie只经HTTPS传送：请经HTTPS反向代理访问 / "
            "cookies are HTTPS-only: reach it through an HTTPS reverse proxy",
            highlight=False,
        )
    if proxies:
        console.print(
            f"只采信这些代理的 X-Forwarded-For / X-Forwarded-For believed only from: "
            f"{', '.join(proxies)}",
            highlight=False,
        )
    print_demo_accounts(url)
    uvicorn.run(
        "demonitor.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 by default; the app reads it
        # itself, from --trusted-proxy only (demonitor.web.guard.client_address).
        proxy_headers=False,
        # A worker recomputing the dashboard after a change is busy for seconds, not hung.
        timeout_worker_healthcheck=30,
    )


def print_demo_accounts(url: str) -> None:
    """On a demo database, the demo accounts that still have their published passwords."""
    from demonitor.demo.accounts import DEMO_ACCOUNTS
    from demonitor.services.users import still_has_password
    from demonitor.store.db import session_scope
    from demonitor.store.observations import has_demo_data

    engine = database(url)
    with session_scope(engine) as session:
        if not has_demo_data(session):
            return
        usable = [a for a in DEMO_ACCOUNTS if still_has_password(session, a.username, a.password)]
    engine.dispose()
    if not usable:
        return
    table = Table(title="演示账号 / demo accounts（合成数据 / synthetic data）")
    for column in ("角色 role", "用户名 username", "密码 password", "范围 scope"):
        table.add_column(column)
    for account in usable:
        table.add_row(
            account.role.value,
            account.username,
            account.password,
            account.region or account.department or "",
        )
    console.print(table)
