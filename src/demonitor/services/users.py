"""Users of the web platform and their API tokens: who may be added, disabled, enabled and reset,
the password rules, signing in with throttling, and the audit entry of every change.

Generated passwords must be changed at first sign-in. After ``MAX_FAILURES`` failed sign-ins in a
row an account is locked for ``LOCK_MINUTES``, which slows guessing without a permanent lock-out
an attacker could cause. ``actor`` is who acts, as written into the audit log: a username on the
web, ``cli:<os user>`` on the command line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import FromClause, String
from sqlalchemy.orm import Session

from demonitor.core.errors import BilingualError
from demonitor.core.permissions import Role
from demonitor.store.catalogue import find_region
from demonitor.store.models import ApiToken, User
from demonitor.store.observations import as_utc, audit, utcnow
from demonitor.store.users import (
    all_users,
    find_user,
    generate_password,
    generate_token_secret,
    hash_password,
    needs_rehash,
    owned_indicators,
    principal_of,
    sha256,
    token_by_id,
    token_by_secret,
    unknown_indicators,
    user_by_id,
    usernames,
    verify_password,
)
from demonitor.store.users import tokens as stored_tokens

__all__ = [
    "LOCK_MINUTES",
    "MAX_FAILURES",
    "MIN_PASSWORD_LENGTH",
    "ApiToken",
    "SignIn",
    "User",
    "UserError",
    "add_user",
    "all_users",
    "change_password",
    "check_password_rules",
    "create_token",
    "disable_user",
    "enable_user",
    "find_user",
    "parse_role",
    "principal_of",
    "reset_password",
    "revoke_token",
    "sign_in",
    "still_has_password",
    "token_holders",
    "tokens",
    "user_by_id",
    "user_of_token",
]

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10


class UserError(BilingualError):
    """Refused; the reason in Chinese and English."""


@dataclass(frozen=True)
class SignIn:
    user: User | None
    reason_zh: str = ""
    reason_en: str = ""


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise UserError(f"未知角色：{value}", f"unknown role: {value}") from None


def check_password_rules(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"密码至少{MIN_PASSWORD_LENGTH}个字符",
            f"a password has at least {MIN_PASSWORD_LENGTH} characters",
        )
    if username.lower() in password.lower():
        raise UserError("密码不能包含用户名", "a password may not contain the username")


def _snapshot(user: User) -> dict[str, object]:
    return {
        "role": user.role,
        "region": user.region_code,
        "department": user.department,
        "indicators": user.indicators,
        "disabled": user.disabled,
    }


def _require(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise UserError(f"用户{username}不存在", f"no user {username}")
    return user


def _check_length(table: FromClause, column: str, value: str | None, label: str) -> None:
    """PostgreSQL refuses a value longer than its String(n) column (SQLite keeps it): say so."""
    kind = table.c[column].type
    if value and isinstance(kind, String) and kind.length and len(value) > kind.length:
        raise UserError(
            f"{label}（{column}）有{len(value)}个字符，超过{kind.length}个字符的上限",
            f"{column} holds {len(value)} characters, more than the {kind.length} allowed",
        )


# Users -------------------------------------------------------------------------------------


def add_user(
    session: Session,
    actor: str,
    username: str,
    role: Role,
    *,
    display_name: str = "",
    region: str | None = None,
    department: str | None = None,
    indicators: list[str] | None = None,
    password: str | None = None,
    must_change_password: bool | None = None,
) -> tuple[User, str]:
    """Create a user; returns it and its password (generated when none is given)."""
    username = username.strip()
    if not username or not username.replace("-", "").replace("_", "").isalnum():
        raise UserError(
            "用户名只能由字母、数字、-和_组成", "a username has letters, digits, - and _ only"
        )
    for column, value, label in (
        ("username", username, "用户名"),
        ("display_name", display_name, "显示名"),
        ("department", department, "部门"),
    ):
        _check_length(User.__table__, column, value, label)
    if find_user(session, username) is not None:
        raise UserError(f"用户{username}已存在", f"user {username} already exists")
    if role is Role.PUBLIC:
        raise UserError("公众无需账号", "the public needs no account")
    if role is Role.DISTRICT:
        if region is None or find_region(session, region) is None:
            raise UserError(
                f"区县用户须指定有效的区划代码（{region}）",
                f"a district user needs a valid region code ({region})",
            )
    elif region is not None:
        raise UserError("只有区县用户有区划", "only district users have a region")
    if role is Role.DEPARTMENT:
        if not department:
            raise UserError("部门用户须指定部门", "a department user needs a department")
        if indicators is None:
            indicators = owned_indicators(session, department)
        unknown = unknown_indicators(session, indicators)
        if unknown:
            raise UserError(
                f"未知指标：{'、'.join(unknown)}", f"unknown indicators: {', '.join(unknown)}"
            )
    elif indicators:
        raise UserError("只有部门用户负责指标", "only department users own indicators")
    generated = password is None
    password = password or generate_password()
    check_password_rules(password, username)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        region_code=region,
        department=department,
        indicators=",".join(indicators or []),
        password_hash=hash_password(password),
        must_change_password=generated if must_change_password is None else must_change_password,
        disabled=False,
        failed_logins=0,
        session_epoch=0,
    )
    session.add(user)
    session.flush()
    audit(session, actor, "insert", "user", username, None, _snapshot(user))
    return user, password


def disable_user(session: Session, actor: str, username: str, reason: str) -> User:
    """Disable a user, ending their sessions; the reason is required, and nobody disables
    themselves (an administrator would be locked out of the very page to undo it)."""
    reason = reason.strip()
    if not reason:
        raise UserError("停用账号须写明理由", "give the reason for disabling the account")
    if username == actor:
        raise UserError("不能停用自己的账号", "you cannot disable your own account")
    user = _require(session, username)
    before = _snapshot(user)
    user.disabled = True
    user.session_epoch += 1
    audit(session, actor, "disable", "user", username, before, _snapshot(user), reason)
    return user


def enable_user(session: Session, actor: str, username: str, reason: str = "") -> User:
    user = _require(session, username)
    before = _snapshot(user)
    user.disabled = False
    user.failed_logins = 0
    user.locked_until = None
    audit(session, actor, "enable", "user", username, before, _snapshot(user), reason.strip())
    return user


def reset_password(
    session: Session, actor: str, username: str, reason: str = ""
) -> tuple[User, str]:
    """A new generated password that must be changed at the next sign-in."""
    user = _require(session, username)
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    user.session_epoch += 1
    audit(session, actor, "reset_password", "user", username, None, None, reason.strip())
    return user, password


def change_password(
    session: Session, user: User, current: str, new: str, repeat: str | None = None
) -> None:
    """A user changes their own password (``repeat``: the new one typed again, when asked)."""
    if repeat is not None and new != repeat:
        raise UserError("两次输入的新密码不一致", "the two new passwords differ")
    if not verify_password(user.password_hash, current):
        raise UserError("当前密码不正确", "the current password is wrong")
    if new == current:
        raise UserError("新密码不能与当前密码相同", "the new password must differ")
    check_password_rules(new, user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_epoch += 1
    audit(session, user.username, "change_password", "user", user.username, None, None)


def still_has_password(session: Session, username: str, password: str) -> bool:
    """Whether an active account still has this (published demo) password."""
    user = find_user(session, username)
    return user is not None and not user.disabled and verify_password(user.password_hash, password)


def sign_in(
    session: Session, username: str, password: str, now: dt.datetime | None = None
) -> SignIn:
    """Check a password; counts failures and locks the account after too many."""
    now = now or utcnow()
    username = username.strip()
    user = find_user(session, username)
    refused = SignIn(None, "用户名或密码不正确", "wrong username or password")
    if user is None:
        hash_password(password)  # same work as a real check: no timing hint that a user exists
        return refused
    locked_until = as_utc(user.locked_until) if user.locked_until else None
    if locked_until is not None and locked_until > now:
        minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
        return SignIn(
            None,
            f"登录失败次数过多，账号已锁定，请{minutes}分钟后再试",
            f"too many failed sign-ins: locked, try again in {minutes} min",
        )
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            audit(session, username, "lock", "user", username, None, None, "失败次数过多")
        return refused
    if user.disabled:
        return SignIn(None, "账号已停用", "this account is disabled")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return SignIn(user)


# API tokens --------------------------------------------------------------------------------


def create_token(
    session: Session, actor: str, owner: User | str, name: str
) -> tuple[ApiToken, str]:
    """A new API token of ``owner`` (a user or a username); returns it and its secret, which
    is shown this once and never stored."""
    user = _require(session, owner) if isinstance(owner, str) else owner
    if not name.strip():
        raise UserError("令牌须有名称", "a token needs a name")
    _check_length(ApiToken.__table__, "name", name.strip(), "令牌名称")
    secret = generate_token_secret()
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        token_sha256=sha256(secret),
        prefix=secret[:10],
    )
    session.add(token)
    session.flush()
    audit(
        session,
        actor,
        "insert",
        "api_token",
        f"{user.username}/{token.prefix}",
        None,
        {"name": token.name},
    )
    return token, secret


def tokens(session: Session, owner: User | str | None = None) -> list[ApiToken]:
    """The API tokens of ``owner`` (a user or a username), or everybody's."""
    user = _require(session, owner) if isinstance(owner, str) else owner
    return stored_tokens(session, user)


def token_holders(session: Session) -> dict[int, str]:
    """Who holds the tokens: usernames by user id."""
    return usernames(session)


def revoke_token(
    session: Session, actor: str, token_id: int, owner: User | None = None
) -> ApiToken:
    """Revoke a token; with ``owner``, only one of theirs (another's is "no such token")."""
    token = token_by_id(session, token_id)
    if token is None or (owner is not None and token.user_id != owner.id):
        raise UserError("令牌不存在", "no such token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit(session, actor, "revoke", "api_token", token.prefix, None, None)
    return token


def user_of_token(session: Session, secret: str) -> User | None:
    """The active user a bearer token belongs to, noting (coarsely) when it was last used."""
    token = token_by_secret(session, secret)
    if token is None or token.revoked_at is not None:
        return None
    user = user_by_id(session, token.user_id)
    if user is None or user.disabled:
        return None
    now = utcnow()
    last = as_utc(token.last_used_at) if token.last_used_at else None
    if last is None or now - last > dt.timedelta(minutes=5):
        token.last_used_at = now  # coarse, so that reads do not each become a write
    return user
