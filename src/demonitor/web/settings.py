"""How the web platform runs: database, secret key, cookie policy.

The secret key signs session cookies. It comes from ``DEMONITOR_SECRET_KEY`` or, failing that, a
file ``secret_key`` in ``DEMONITOR_HOME`` created once with mode 0600, so that sessions survive
a restart and every worker of one installation signs alike.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from demonitor.store.db import database_url

SESSION_HOURS = 8
# Plain-HTTP cookies on an intranet address, knowingly.
INSECURE_COOKIES = "DEMONITOR_INSECURE_COOKIES"
# serve's decision, handed to its uvicorn workers, which are separate processes.
SERVE_SECURE_COOKIES = (
    "DEMONITOR_SERVE_SECURE_COOKIES"  # a working day; after it a person signs in again
)


def demonitor_home() -> Path:
    return Path(os.environ.get("DEMONITOR_HOME", Path.home() / ".demonitor"))


def secret_key() -> str:
    given = os.environ.get("DEMONITOR_SECRET_KEY")
    if given:
        return given
    path = demonitor_home() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    session_seconds: int = SESSION_HOURS * 3600
    # Send cookies over HTTPS only; on by default outside loopback (set DEMONITOR_INSECURE_COOKIES=1
    # to serve plain HTTP on an intranet address, knowingly).
    secure_cookies: bool = False
    edition: str = "nbs-de-2021-reconstructed"

    @classmethod
    def load(cls, url: str | None = None, *, secure_cookies: bool = False) -> Settings:
        return cls(
            database_url=database_url(url),
            secret_key=secret_key(),
            secure_cookies=secure_cookies,
        )

    @classmethod
    def from_environment(cls) -> Settings:
        """What a worker of ``demonitor serve`` runs with: the environment serve set."""
        decided = os.environ.get(SERVE_SECURE_COOKIES)
        secure = decided == "1" if decided else os.environ.get(INSECURE_COOKIES) != "1"
        return cls.load(secure_cookies=secure)
