"""Users of the web platform, their API tokens and web sessions: who may be added, disabled,
enabled and reset, the password rules, signing in with throttling, and the audit entry of every
change.

Generated passwords must be changed at first sign-in. Signing in slows down whoever guesses, not
the account: after ``MAX_FAILURES`` failures for one account from one address, that address
waits ``BACK_OFF_MINUTES`` before its password for that account is checked again, and an
address with ``ADDRESS_MAX_FAILURES`` failures in ``ADDRESS_WINDOW_MINUTES``, whatever the
usernames, is refused (429) until the window ends. The right password from another address
always works, so nobody can lock a person out. A backed-off account, an unknown username and a
wrong password get the same answer after the same work (one Argon2 operation). Every attempt is
counted in the database before its password is checked, so that parallel guesses are all
counted and only as many are checked as the limits allow; an account guessed ``MAX_FAILURES``
times in a row (from anywhere) gets an audit entry ``guessed``.

A password change, a reset and disabling a user revoke the user's API tokens (audited), so that
enabling the user again revives none. ``actor`` is who acts, as written into the audit log: a
username on the web, ``cli:<os user>`` on the command line.
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
    add_web_session,
    all_users,
    clear_failed_logins,
    clear_failures,
    count_failed_login,
    count_failure,
    delete_expired_web_sessions,
    delete_stale_failures,
    delete_web_session,
    find_user,
    generate_password,
    generate_session_secret,
    generate_token_secret,
    hash_password,
    needs_rehash,
    owned_indicators,
    principal_of,
    sha256,
    token_by_id,
    token_by_secret,
    uncount_failure,
    unknown_indicators,
    user_by_id,
    usernames,
    verify_password,
    web_session_user,
)
from demonitor.store.users import tokens as stored_tokens

__all__ = [
    "ADDRESS_MAX_FAILURES",
    "ADDRESS_WINDOW_MINUTES",
    "BACK_OFF_MINUTES",
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
    "end_session",
    "find_user",
    "parse_role",
    "principal_of",
    "reset_password",
    "revoke_all_tokens",
    "revoke_token",
    "session_user_id",
    "sign_in",
    "start_session",
    "still_has_password",
    "token_holders",
    "tokens",
    "user_by_id",
    "user_of_token",
]

MAX_FAILURES = 5  # for one account from one address, before that address backs off
BACK_OFF_MINUTES = 5
ADDRESS_MAX_FAILURES = 20  # from one address, whatever the usernames tried
ADDRESS_WINDOW_MINUTES = 15
GUESSED_AGAIN_EVERY = 100  # failures in a row between further audit entries ``guessed``
MIN_PASSWORD_LENGTH = 10

REFUSED = (
    "用户名或密码不正确（多次失败后请等几分钟再试）",
    "wrong username or password (after repeated failures, wait a few minutes)",
)
TOO_MANY_FROM_ADDRESS = (
    "该地址登录失败次数过多，请稍后再试",
    "too many failed sign-ins from here: try again later",
)


class UserError(BilingualError):
    """Refused; the reason in Chinese and English."""


@dataclass(frozen=True)
class SignIn:
    user: User | None
    reason_zh: str = ""
    reason_en: str = ""
    too_many_from_address: bool = False  # refused unchecked: the address's limit is reached


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
    revoke_all_tokens(session, actor, user, f"账号已停用 / account disabled: {reason}")
    return user


def enable_user(session: Session, actor: str, username: str, reason: str = "") -> User:
    """Enable a user again; the API tokens revoked when they were disabled stay revoked."""
    user = _require(session, username)
    before = _snapshot(user)
    user.disabled = False
    user.failed_logins = 0
    audit(session, actor, "enable", "user", username, before, _snapshot(user), reason.strip())
    return user


def reset_password(
    session: Session, actor: str, username: str, reason: str = ""
) -> tuple[User, str]:
    """A new generated password that must be changed at the next sign-in; the user's sessions
    end and their API tokens are revoked (a reset is how whoever took over an account is shut
    out)."""
    user = _require(session, username)
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.session_epoch += 1
    audit(session, actor, "reset_password", "user", username, None, None, reason.strip())
    revoke_all_tokens(session, actor, user, "密码已重置 / password reset")
    return user, password


def change_password(
    session: Session, user: User, current: str, new: str, repeat: str | None = None
) -> None:
    """A user changes their own password (``repeat``: the new one typed again, when asked).
    Their other sessions end and their API tokens are revoked."""
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
    revoke_all_tokens(session, user.username, user, "密码已修改 / password changed")


def still_has_password(session: Session, username: str, password: str) -> bool:
    """Whether an active account still has this (published demo) password."""
    user = find_user(session, username)
    return user is not None and not user.disabled and verify_password(user.password_hash, password)


def sign_in(
    session: Session,
    username: str,
    password: str,
    now: dt.datetime | None = None,
    *,
    address: str = "",
) -> SignIn:
    """Check a password given from ``address`` (the client's, as the web sees it).

    The attempt is counted as a failure, for the address and for the account at the address,
    and committed *before* the password is checked: parallel attempts each see the others'
    counts and decide on their own, so no more are checked than the limits allow. A right
    password takes its count back. This commits ``session``.
    """
    now = now or utcnow()
    username = username.strip()
    address = (address or "?")[:64]
    address_key = f"address:{address}"
    account_key = f"account:{sha256(username)[:32]}@{address}"
    from_address = count_failure(
        session, address_key, dt.timedelta(minutes=ADDRESS_WINDOW_MINUTES), now
    )
    at_address = count_failure(session, account_key, dt.timedelta(minutes=BACK_OFF_MINUTES), now)
    session.commit()
    if from_address > ADDRESS_MAX_FAILURES:
        return SignIn(None, *TOO_MANY_FROM_ADDRESS, too_many_from_address=True)
    user = find_user(session, username)
    if user is None or at_address > MAX_FAILURES:
        hash_password(password)  # the work of a check: no timing tells these from a wrong one
        right = False
    else:
        right = verify_password(user.password_hash, password)
    if user is None or not right:
        if user is not None:
            _count_guess(session, user, address, now)
        return SignIn(None, *REFUSED)
    # The right password: this attempt was no guess.
    uncount_failure(session, address_key)
    clear_failures(session, account_key)
    session.commit()  # the counts are right again whatever happens next
    delete_stale_failures(session, now - dt.timedelta(days=1))
    if user.disabled:
        return SignIn(None, "账号已停用", "this account is disabled")
    clear_failed_logins(session, user.id)
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return SignIn(user)


def _count_guess(session: Session, user: User, address: str, now: dt.datetime) -> None:
    """One more failure in a row for the account, from anywhere; audited when it is being
    guessed (once at ``MAX_FAILURES``, then every ``GUESSED_AGAIN_EVERY``)."""
    failures = count_failed_login(session, user.id)
    if failures == MAX_FAILURES or failures % GUESSED_AGAIN_EVERY == 0:
        audit(
            session,
            user.username,
            "guessed",
            "user",
            user.username,
            None,
            {"failed_logins": failures},
            f"连续{failures}次登录失败，最近一次来自{address} / "
            f"{failures} failed sign-ins in a row, the last from {address}",
            at=now,
        )
    session.commit()


# Web sessions ------------------------------------------------------------------------------


def start_session(
    session: Session, user: User, lifetime: dt.timedelta, now: dt.datetime | None = None
) -> str:
    """A new web session of ``user``; returns its secret, for the (signed) session cookie."""
    now = now or utcnow()
    delete_expired_web_sessions(session, now)
    secret = generate_session_secret()
    add_web_session(session, user.id, secret, now + lifetime)
    return secret


def end_session(session: Session, secret: object) -> None:
    """Sign out: the session is over, whoever holds a copy of its cookie."""
    if isinstance(secret, str) and secret:
        delete_web_session(session, secret)


def session_user_id(session: Session, secret: object, now: dt.datetime | None = None) -> int | None:
    """The user of a live web session (not ended, not expired); None for anything else."""
    if not isinstance(secret, str) or not secret:
        return None
    return web_session_user(session, secret, now or utcnow())


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


def revoke_all_tokens(session: Session, actor: str, owner: User, reason: str) -> int:
    """Revoke every active token of ``owner``, each audited; how many were revoked."""
    revoked = 0
    for token in stored_tokens(session, owner):
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit(session, actor, "revoke", "api_token", token.prefix, None, None, reason)
            revoked += 1
    return revoked


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
