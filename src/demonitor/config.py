"""Every environment variable the platform reads, in one place.

Nothing else in demonitor reads ``os.environ``. Each setting is a function, read when it is
needed (tests change the environment between calls). This module imports nothing from the rest
of demonitor: every other layer may use it.

``DEMONITOR_DATABASE_URL``         database (default ``sqlite:///demonitor.db``)
``DEMONITOR_HOME``                 editions, secret key (default ``~/.local/share/demonitor``)
``DEMONITOR_DE_EDITION``           classification edition (default ``nbs-de-2021-reconstructed``)
``DEMONITOR_CITY``                 city profile: a packaged name or a folder (default ``taizhou``)
``DEMONITOR_REGIONS``              retired (the regions are in the city profile); refused if set
``DEMONITOR_SECRET_KEY``           signs session cookies (default: ``secret_key`` in the home)
``DEMONITOR_INSECURE_COOKIES``     ``1``: session cookies over plain HTTP beyond loopback
``DEMONITOR_SERVE_SECURE_COOKIES`` set by ``demonitor serve`` for its workers
``DEMONITOR_TRUSTED_PROXIES``      reverse proxies whose ``X-Forwarded-For`` is believed
                                   (comma-separated addresses or networks; default none)
``DEMONITOR_MAX_IMPORT_ROWS``      rows a file of ``demonitor import`` may hold (default 200000)
"""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_URL = "DEMONITOR_DATABASE_URL"
HOME = "DEMONITOR_HOME"
DE_EDITION = "DEMONITOR_DE_EDITION"
CITY = "DEMONITOR_CITY"
REGIONS = "DEMONITOR_REGIONS"  # retired: the regions are part of the city profile
SECRET_KEY = "DEMONITOR_SECRET_KEY"
# Plain-HTTP cookies on an intranet address, knowingly.
INSECURE_COOKIES = "DEMONITOR_INSECURE_COOKIES"
# serve's decision, handed to its uvicorn workers, which are separate processes.
SERVE_SECURE_COOKIES = "DEMONITOR_SERVE_SECURE_COOKIES"
# Reverse proxies whose X-Forwarded-For is believed; also how serve hands --trusted-proxy over.
TRUSTED_PROXIES = "DEMONITOR_TRUSTED_PROXIES"
# The rows an imported file may hold; a city whose files are bigger raises it knowingly.
MAX_IMPORT_ROWS = "DEMONITOR_MAX_IMPORT_ROWS"

VARIABLES = (
    DATABASE_URL,
    HOME,
    DE_EDITION,
    CITY,
    REGIONS,
    SECRET_KEY,
    INSECURE_COOKIES,
    SERVE_SECURE_COOKIES,
    TRUSTED_PROXIES,
    MAX_IMPORT_ROWS,
)

DEFAULT_DATABASE_URL = "sqlite:///demonitor.db"
DEFAULT_MAX_IMPORT_ROWS = 200_000


def _get(name: str) -> str | None:
    """The variable's value; unset and empty are the same."""
    return os.environ.get(name) or None


def database_url() -> str:
    return _get(DATABASE_URL) or DEFAULT_DATABASE_URL


def home() -> Path:
    """Where the platform keeps what it makes at run time: loaded editions, the secret key."""
    given = _get(HOME)
    return Path(given) if given else Path.home() / ".local" / "share" / "demonitor"


def de_edition() -> str | None:
    """The classification edition named by the environment; None: the packaged default."""
    return _get(DE_EDITION)


def city() -> str | None:
    """The city profile named by the environment (a packaged name or a folder); None: default."""
    given = _get(CITY)
    return given.strip() if given else None


def regions_file() -> str | None:
    """The retired region-table setting, so that a profile can refuse it with a clear message."""
    return _get(REGIONS)


def secret_key() -> str | None:
    """The key given by the environment; None: the one kept in ``home()``."""
    return _get(SECRET_KEY)


def session_secret() -> str:
    """The key that signs session cookies: ``DEMONITOR_SECRET_KEY``, else a file ``secret_key``
    in ``home()`` created once with mode 0600, so that sessions survive a restart and every
    worker of one installation signs alike."""
    given = secret_key()
    if given:
        return given
    path = home() / "secret_key"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it first
            return path.read_text().strip()
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def insecure_cookies() -> bool:
    return _get(INSECURE_COOKIES) == "1"


def serve_secure_cookies() -> bool | None:
    """What ``demonitor serve`` decided for its workers; None outside such a worker."""
    decided = _get(SERVE_SECURE_COOKIES)
    return None if decided is None else decided == "1"


def trusted_proxies() -> tuple[str, ...]:
    """The reverse proxies whose ``X-Forwarded-For`` is believed, as written (addresses or
    networks, comma-separated); none by default, and then the header is ignored."""
    given = _get(TRUSTED_PROXIES) or ""
    return tuple(part.strip() for part in given.split(",") if part.strip())


def max_import_rows() -> int:
    """The rows (the header included) a file given to ``demonitor import`` may hold; ValueError
    with a bilingual message when the variable is not a positive whole number."""
    given = _get(MAX_IMPORT_ROWS)
    if given is None:
        return DEFAULT_MAX_IMPORT_ROWS
    try:
        rows = int(given.strip())
    except ValueError:
        rows = 0
    if rows < 1:
        raise ValueError(
            f"{MAX_IMPORT_ROWS}须为正整数，实为「{given}」 / "
            f"{MAX_IMPORT_ROWS} must be a positive whole number, got {given!r}"
        )
    return rows


def hand_to_workers(
    database_url: str, secure_cookies: bool, trusted_proxies: tuple[str, ...] = ()
) -> None:
    """Settings for the workers of ``demonitor serve``, which are separate processes."""
    os.environ[DATABASE_URL] = database_url
    os.environ[SERVE_SECURE_COOKIES] = "1" if secure_cookies else "0"
    os.environ[TRUSTED_PROXIES] = ",".join(trusted_proxies)
