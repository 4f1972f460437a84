"""``demonitor user …`` and ``demonitor token …``: users of the web platform and API tokens.

The use cases, their rules and audit entries are in ``demonitor.services.users``; a refused
operation exits with its reason (exit code 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from demonitor.cli.common import DatabaseOption, cli_actor, console, database, fail

user_app = typer.Typer(help="用户 / users of the web platform", no_args_is_help=True)
token_app = typer.Typer(help="API令牌 / API tokens", no_args_is_help=True)

ROLE_HELP = "admin | office | statistics | department | district | leader"
SHOWN_ONCE = "只显示这一次，首次登录须修改 / shown once, to be changed at first sign-in"


@contextmanager
def users_session(database_url: str | None) -> Iterator[Session]:
    """One transaction on the database; a refused operation exits with its reason."""
    from demonitor.services.users import UserError
    from demonitor.store.db import session_scope

    try:
        with session_scope(database(database_url)) as session:
            yield session
    except UserError as error:
        raise fail(str(error)) from error


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    region: Annotated[str | None, typer.Option("--region", help="区划代码（区县用户）")] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="部门名称（部门用户）")
    ] = None,
    indicators: Annotated[
        str | None,
        typer.Option("--indicators", help="负责指标，如DE04,DE05（默认按牵头单位）"),
    ] = None,
    display_name: Annotated[str, typer.Option("--display-name", help="姓名或单位")] = "",
    database_url: DatabaseOption = None,
) -> None:
    """新增用户并生成初始密码 / add a user with a generated password."""
    from demonitor.core.permissions import Role
    from demonitor.services.users import add_user

    try:
        chosen = Role(role)
    except ValueError:
        raise fail(f"未知角色 / unknown role {role}; choose {ROLE_HELP}") from None
    codes = [c.strip().upper() for c in indicators.split(",") if c.strip()] if indicators else None
    with users_session(database_url) as session:
        user, password = add_user(
            session,
            cli_actor(),
            username,
            chosen,
            display_name=display_name,
            region=region,
            department=department,
            indicators=codes,
        )
        owned = user.indicators
    console.print(f"已新增用户 / user added: {username} ({role})", highlight=False)
    if owned:
        console.print(f"负责指标 / owned indicators: {owned}", highlight=False)
    console.print(f"初始密码 / password ({SHOWN_ONCE}):", highlight=False)
    console.print(password, markup=False, highlight=False)


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    reason: Annotated[str, typer.Option("--reason", help="停用理由（必填）/ why")],
    database_url: DatabaseOption = None,
) -> None:
    """停用用户，立即结束其会话并撤销其API令牌 / disable a user, ending their sessions and
    revoking their API tokens."""
    from demonitor.services.users import disable_user

    if not reason.strip():
        raise fail("须用 --reason 写明停用理由 / give the reason with --reason")
    with users_session(database_url) as session:
        disable_user(session, cli_actor(), username, reason)
    console.print(
        f"已停用 / disabled: {username}（会话已结束，API令牌已撤销 / "
        "sessions ended, API tokens revoked）",
        highlight=False,
    )


@user_app.command("enable")
def user_enable(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    reason: Annotated[str, typer.Option("--reason", help="理由 / why")] = "",
    database_url: DatabaseOption = None,
) -> None:
    """重新启用用户（停用时撤销的API令牌不恢复）/ enable a disabled user again (the API
    tokens revoked when disabling stay revoked)."""
    from demonitor.services.users import enable_user

    with users_session(database_url) as session:
        enable_user(session, cli_actor(), username, reason)
    console.print(f"已启用 / enabled: {username}", highlight=False)


@user_app.command("reset")
def user_reset(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    reason: Annotated[str, typer.Option("--reason", help="理由 / why")] = "",
    database_url: DatabaseOption = None,
) -> None:
    """重置密码并生成新的初始密码，结束其会话并撤销其API令牌 / reset a password to a new
    generated one, ending the user's sessions and revoking their API tokens."""
    from demonitor.services.users import reset_password

    with users_session(database_url) as session:
        _user, password = reset_password(session, cli_actor(), username, reason)
    console.print(
        f"已重置 / reset: {username}（会话已结束，API令牌已撤销 / sessions ended, API tokens "
        f"revoked）; 新密码 / new password ({SHOWN_ONCE}):",
        highlight=False,
    )
    console.print(password, markup=False, highlight=False)


@user_app.command("list")
def user_list(database_url: DatabaseOption = None) -> None:
    """列出用户 / list the users."""
    from demonitor.services.users import all_users

    table = Table(title="用户 / users")
    for column in (
        "用户名 username",
        "姓名 name",
        "角色 role",
        "区划 region",
        "部门 department",
        "负责指标 indicators",
        "状态 status",
        "须改密码 must change",
        "最近登录 last sign-in (UTC)",
    ):
        table.add_column(column)
    with users_session(database_url) as session:
        for user in all_users(session):
            table.add_row(
                user.username,
                user.display_name,
                user.role,
                user.region_code or "—",
                user.department or "—",
                user.indicators or "—",
                "已停用 disabled" if user.disabled else "正常 active",
                "是 yes" if user.must_change_password else "否 no",
                user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "—",
            )
    console.print(table)


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="令牌所属用户 / owner")],
    name: Annotated[str, typer.Option("--name", help="令牌名称，如所用的程序 / what it is for")],
    database_url: DatabaseOption = None,
) -> None:
    """为用户创建API令牌（只显示一次）/ create an API token for a user (shown once)."""
    from demonitor.services.users import create_token

    with users_session(database_url) as session:
        token, secret = create_token(session, cli_actor(), username, name)
        token_id = token.id
    console.print(
        f"已创建令牌 / token created: id {token_id} for {username}; "
        "只显示这一次，请立即保存 / shown once, save it now:",
        highlight=False,
    )
    console.print(secret, markup=False, highlight=False)


@token_app.command("list")
def token_list(
    username: Annotated[str | None, typer.Argument(help="只列此用户的 / only this user's")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """列出API令牌（不含密文）/ list API tokens (never their secrets)."""
    from demonitor.services.users import token_holders, tokens

    table = Table(title="API令牌 / API tokens")
    for column in ("id", "用户 user", "名称 name", "前缀 prefix", "状态 status"):
        table.add_column(column)
    with users_session(database_url) as session:
        holders = token_holders(session)
        for token in tokens(session, username):
            table.add_row(
                str(token.id),
                holders.get(token.user_id, "?"),
                token.name,
                f"{token.prefix}…",
                "已撤销 revoked" if token.revoked_at else "有效 active",
            )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="令牌id（见 token list）/ token id")],
    database_url: DatabaseOption = None,
) -> None:
    """撤销API令牌 / revoke an API token."""
    from demonitor.services.users import revoke_token

    with users_session(database_url) as session:
        revoke_token(session, cli_actor(), token_id)
    console.print(f"已撤销 / revoked: token {token_id}", highlight=False)
