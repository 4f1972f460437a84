"""Users and API tokens in the database: the queries, and the password and token primitives.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommendation).
API tokens are random; only their SHA-256 is stored. What may be done with users and tokens,
and the audit entries of it, are the use cases of ``demonitor.services.users``.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.permissions import Principal, Role
from demonitor.store.models import ApiToken, Indicator, User

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
