"""Users, their passwords and API tokens, and sign-in with throttling.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommendation).
Generated passwords must be changed at first sign-in. After ``MAX_FAILURES`` failed sign-ins in a
row an account is locked for ``LOCK_MINUTES``, which slows guessing without a permanent lock-out
an attacker could cause. API tokens are random; only their SHA-256 is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.errors import BilingualError
from demonitor.core.permissions import Principal, Role
from demonitor.store.models import ApiToken, Indicator, Region, User
from demonitor.store.observations import as_utc, audit, utcnow

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "dm_"

_hasher = PasswordHasher()


class UserError(BilingualError):
    """Refused; the reason in Chinese and English."""


@dataclass(frozen=True)
class SignIn:
    user: User | None
    reason_zh: str = ""
    reason_en: str = ""


def generate_password() -> str:
    # 16 URL-safe characters ≈ 96 bits; no ambiguous punctuation to mistype from a printout.
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"密码至少{MIN_PASSWORD_LENGTH}个字符",
            f"a password has at least {MIN_PASSWORD_LENGTH} characters",
        )
    if username.lower() in password.lower():
        raise UserError("密码不能包含用户名", "a password may not contain the username")


def owned_indicators(session: Session, department: str) -> list[str]:
    """Indicators whose owner (牵头单位, possibly several joined by 、) names the department."""
    return sorted(
        i.code
        for i in session.scalars(select(Indicator))
        if department in [owner.strip() for owner in i.owner_zh.split("、")]
    )


def principal_of(user: User) -> Principal:
    return Principal(
        role=Role(user.role),
        username=user.username,
        region=user.region_code,
        indicators=frozenset(c for c in user.indicators.split(",") if c),
    )


def _snapshot(user: User) -> dict[str, object]:
    return {
        "role": user.role,
        "region": user.region_code,
        "department": user.department,
        "indicators": user.indicators,
        "disabled": user.disabled,
    }


class UserStore:
    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor

    def get(self, username: str) -> User | None:
        return self.session.scalars(select(User).where(User.username == username)).first()

    def all(self) -> list[User]:
        return list(self.session.scalars(select(User).order_by(User.role, User.username)))

    def add(
        self,
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
        if self.get(username) is not None:
            raise UserError(f"用户{username}已存在", f"user {username} already exists")
        if role is Role.PUBLIC:
            raise UserError("公众无需账号", "the public needs no account")
        if role is Role.DISTRICT:
            if region is None or self.session.get(Region, region) is None:
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
                indicators = owned_indicators(self.session, department)
            unknown = [c for c in indicators if self.session.get(Indicator, c) is None]
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
            must_change_password=generated
            if must_change_password is None
            else must_change_password,
            disabled=False,
            failed_logins=0,
            session_epoch=0,
        )
        self.session.add(user)
        self.session.flush()
        audit(self.session, self.actor, "insert", "user", username, None, _snapshot(user))
        return user, password

    def _require(self, username: str) -> User:
        user = self.get(username)
        if user is None:
            raise UserError(f"用户{username}不存在", f"no user {username}")
        return user

    def disable(self, username: str, reason: str = "") -> User:
        user = self._require(username)
        before = _snapshot(user)
        user.disabled = True
        user.session_epoch += 1
        audit(
            self.session, self.actor, "disable", "user", username, before, _snapshot(user), reason
        )
        return user

    def enable(self, username: str, reason: str = "") -> User:
        user = self._require(username)
        before = _snapshot(user)
        user.disabled = False
        user.failed_logins = 0
        user.locked_until = None
        audit(self.session, self.actor, "enable", "user", username, before, _snapshot(user), reason)
        return user

    def reset(self, username: str, reason: str = "") -> tuple[User, str]:
        """A new generated password that must be changed at the next sign-in."""
        user = self._require(username)
        password = generate_password()
        user.password_hash = hash_password(password)
        user.must_change_password = True
        user.failed_logins = 0
        user.locked_until = None
        user.session_epoch += 1
        audit(self.session, self.actor, "reset_password", "user", username, None, None, reason)
        return user, password

    def change_password(self, user: User, current: str, new: str) -> None:
        if not _verify(user.password_hash, current):
            raise UserError("当前密码不正确", "the current password is wrong")
        if new == current:
            raise UserError("新密码不能与当前密码相同", "the new password must differ")
        check_password_rules(new, user.username)
        user.password_hash = hash_password(new)
        user.must_change_password = False
        user.session_epoch += 1
        audit(self.session, user.username, "change_password", "user", user.username, None, None)

    def still_has_password(self, username: str, password: str) -> bool:
        """Whether an active account still has this (published demo) password."""
        user = self.get(username)
        return user is not None and not user.disabled and _verify(user.password_hash, password)

    def sign_in(self, username: str, password: str, now: dt.datetime | None = None) -> SignIn:
        """Check a password; counts failures and locks the account after too many."""
        now = now or utcnow()
        user = self.get(username.strip())
        refused = SignIn(None, "用户名或密码不正确", "wrong username or password")
        if user is None:
            _hasher.hash(password)  # same work as a real check: no timing hint that a user exists
            return refused
        locked_until = as_utc(user.locked_until) if user.locked_until else None
        if locked_until is not None and locked_until > now:
            minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
            return SignIn(
                None,
                f"登录失败次数过多，账号已锁定，请{minutes}分钟后再试",
                f"too many failed sign-ins: locked, try again in {minutes} min",
            )
        if not _verify(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
                user.failed_logins = 0
                audit(self.session, username, "lock", "user", username, None, None, "失败次数过多")
            return refused
        if user.disabled:
            return SignIn(None, "账号已停用", "this account is disabled")
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return SignIn(user)

    # API tokens -----------------------------------------------------------------------------

    def create_token(self, user: User, name: str) -> tuple[ApiToken, str]:
        if not name.strip():
            raise UserError("令牌须有名称", "a token needs a name")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            user_id=user.id,
            name=name.strip(),
            token_sha256=_sha256(secret),
            prefix=secret[:10],
        )
        self.session.add(token)
        self.session.flush()
        audit(
            self.session,
            self.actor,
            "insert",
            "api_token",
            f"{user.username}/{token.prefix}",
            None,
            {"name": token.name},
        )
        return token, secret

    def tokens(self, user: User | None = None) -> list[ApiToken]:
        query = select(ApiToken).order_by(ApiToken.id)
        if user is not None:
            query = query.where(ApiToken.user_id == user.id)
        return list(self.session.scalars(query))

    def revoke_token(self, token_id: int, owner: User | None = None) -> ApiToken:
        token = self.session.get(ApiToken, token_id)
        if token is None or (owner is not None and token.user_id != owner.id):
            raise UserError("令牌不存在", "no such token")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit(self.session, self.actor, "revoke", "api_token", token.prefix, None, None)
        return token

    def user_of_token(self, secret: str) -> User | None:
        token = self.session.scalars(
            select(ApiToken).where(ApiToken.token_sha256 == _sha256(secret))
        ).first()
        if token is None or token.revoked_at is not None:
            return None
        user = self.session.get(User, token.user_id)
        if user is None or user.disabled:
            return None
        now = utcnow()
        last = as_utc(token.last_used_at) if token.last_used_at else None
        if last is None or now - last > dt.timedelta(minutes=5):
            token.last_used_at = now  # coarse, so that reads do not each become a write
        return user


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
