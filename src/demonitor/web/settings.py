"""How the web platform runs: database, secret key, cookie policy, classification edition, and
the reverse proxies whose ``X-Forwarded-For`` is believed.

The secret key signs session cookies. It comes from ``DEMONITOR_SECRET_KEY`` or, failing that, a
file ``secret_key`` in ``DEMONITOR_HOME`` created once with mode 0600, so that sessions survive
a restart and every worker of one installation signs alike. The edition is the command line's:
``DEMONITOR_DE_EDITION`` or the packaged default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from demonitor import config
from demonitor.reference.digital_economy import load_edition
from demonitor.store.db import database_url

SESSION_HOURS = 8  # a working day; after it a person signs in again
# Kept here for callers that named them; the environment is read by demonitor.config only.
INSECURE_COOKIES = config.INSECURE_COOKIES
SERVE_SECURE_COOKIES = config.SERVE_SECURE_COOKIES


def demonitor_home() -> Path:
    return config.home()


def secret_key() -> str:
    return config.session_secret()


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    session_seconds: int = SESSION_HOURS * 3600
    # Send cookies over HTTPS only; on by default outside loopback (set DEMONITOR_INSECURE_COOKIES=1
    # to serve plain HTTP on an intranet address, knowingly).
    secure_cookies: bool = False
    # The edition the command line uses too (DEMONITOR_DE_EDITION or the packaged default),
    # resolved, so that an unknown name stops the platform at start-up.
    edition: str = field(default_factory=lambda: load_edition(None).name)
    # Addresses or networks of reverse proxies whose X-Forwarded-For is believed; none: the
    # header is ignored and the peer is the client (DEMONITOR_TRUSTED_PROXIES, serve's
    # --trusted-proxy).
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def load(
        cls,
        url: str | None = None,
        *,
        secure_cookies: bool = False,
        trusted_proxies: tuple[str, ...] = (),
    ) -> Settings:
        return cls(
            database_url=database_url(url),
            secret_key=secret_key(),
            secure_cookies=secure_cookies,
            trusted_proxies=trusted_proxies,
        )

    @classmethod
    def from_environment(cls) -> Settings:
        """What a worker of ``demonitor serve`` runs with: the environment serve set."""
        decided = config.serve_secure_cookies()
        secure = decided if decided is not None else not config.insecure_cookies()
        return cls.load(secure_cookies=secure, trusted_proxies=config.trusted_proxies())
