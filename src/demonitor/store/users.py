"""Users, API tokens and web sessions in the database: the queries, the password and token
primitives, and the counters of failed sign-ins.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommendation).
API tokens and session secrets are random; only their SHA-256 is stored. Failed sign-ins are
counted by single statements that return the new count (``UPDATE … RETURNING``, an upsert
``… ON CONFLICT DO UPDATE … RETURNING``; SQLite ≥ 3.35 and PostgreSQL), so that parallel
attempts never lose a count. What may be done with users and tokens, and the audit entries of
it, are the use cases of ``demonitor.services.users``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from demonitor.core.permissions import Principal, Role
from demonitor.store.db import upsert_insert
from demonitor.store.models import ApiToken, Indicator, SignInFailures, User, WebSession

TOKEN_PREFIX = "dm_"

_hasher = PasswordHasher()


# Passwords and token secrets ---------------------------------------------------------------


def generate_password() -> str:
    # 16 URL-safe characters ≈ 96 bits; no ambiguous punctuation to mistype from a printout.
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# Queries -----------------------------------------------------------------------------------


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def usernames(session: Session) -> dict[int, str]:
    """Every user's name by id."""
    return {user_id: name for user_id, name in session.execute(select(User.id, User.username))}


def unknown_indicators(session: Session, codes: list[str]) -> list[str]:
    return [c for c in codes if session.get(Indicator, c) is None]


def owned_indicators(session: Session, department: str) -> list[str]:
    """Indicators whose owner (牵头单位, possibly several joined by 、) names the department."""
    return sorted(
        i.code
        for i in session.scalars(select(Indicator))
        if department in [owner.strip() for owner in i.owner_zh.split("、")]
    )


def tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def token_by_id(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def token_by_secret(session: Session, secret: str) -> ApiToken | None:
    return session.scalars(select(ApiToken).where(ApiToken.token_sha256 == sha256(secret))).first()


def principal_of(user: User) -> Principal:
    return Principal(
        role=Role(user.role),
        username=user.username,
        region=user.region_code,
        indicators=frozenset(c for c in user.indicators.split(",") if c),
    )


# Web sessions ------------------------------------------------------------------------------


def generate_session_secret() -> str:
    return secrets.token_urlsafe(32)


def add_web_session(session: Session, user_id: int, secret: str, expires_at: dt.datetime) -> None:
    session.add(WebSession(user_id=user_id, token_sha256=sha256(secret), expires_at=expires_at))


def delete_web_session(session: Session, secret: str) -> None:
    session.execute(
        delete(WebSession).where(WebSession.token_sha256 == sha256(secret)),
        execution_options={"synchronize_session": False},
    )


def web_session_user(session: Session, secret: str, now: dt.datetime) -> int | None:
    """The user id of a session that has not ended or expired."""
    return session.scalar(
        select(WebSession.user_id).where(
            WebSession.token_sha256 == sha256(secret), WebSession.expires_at > now
        )
    )


def delete_expired_web_sessions(session: Session, now: dt.datetime) -> None:
    session.execute(
        delete(WebSession).where(WebSession.expires_at <= now),
        execution_options={"synchronize_session": False},
    )


# Failed sign-ins ---------------------------------------------------------------------------


def count_failed_login(session: Session, user_id: int) -> int:
    """One more failed sign-in of the account; the count including it."""
    counted = session.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
    ).scalar_one()
    return int(counted)


def clear_failed_logins(session: Session, user_id: int) -> None:
    session.execute(update(User).where(User.id == user_id).values(failed_logins=0))


def count_failure(session: Session, key: str, window: dt.timedelta, now: dt.datetime) -> int:
    """One more failure under ``key``; the count including it, in a window that starts with
    the first failure and lasts ``window`` (a failure after it starts a new window at 1)."""
    over = SignInFailures.window_start <= now - window
    counted = {
        "failures": case((over, 1), else_=SignInFailures.failures + 1),
        "window_start": case((over, now), else_=SignInFailures.window_start),
    }
    new = {"key": key, "failures": 1, "window_start": now}
    statement = (
        upsert_insert(session, SignInFailures)
        .values(new)
        .on_conflict_do_update(index_elements=["key"], set_=counted)
    )
    return int(session.execute(statement.returning(SignInFailures.failures)).scalar_one())


def uncount_failure(session: Session, key: str) -> None:
    """One failure fewer under ``key`` (an attempt counted in advance that succeeded)."""
    session.execute(
        update(SignInFailures)
        .where(SignInFailures.key == key, SignInFailures.failures > 0)
        .values(failures=SignInFailures.failures - 1),
        execution_options={"synchronize_session": False},
    )


def clear_failures(session: Session, key: str) -> None:
    session.execute(
        delete(SignInFailures).where(SignInFailures.key == key),
        execution_options={"synchronize_session": False},
    )


def delete_stale_failures(session: Session, started_before: dt.datetime) -> None:
    """Forget old windows; rows another attempt is counting in right now are skipped (on
    PostgreSQL), so that tidying up never waits for, or deadlocks with, a sign-in."""
    stale = (
        select(SignInFailures.key)
        .where(SignInFailures.window_start < started_before)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(SignInFailures).where(SignInFailures.key.in_(stale)),
        execution_options={"synchronize_session": False},
    )
