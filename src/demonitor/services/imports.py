"""Importing a filled template or a register: all rows or none, in one unit of work.

The CLI's ``import`` and any page that takes a file call ``import_data``; when a file is refused
the transaction is rolled back, so nothing of it is written. A write of microdata refreshes the
materialised accounts before the commit (``store.account_cells``).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from demonitor.core.errors import BilingualError
from demonitor.ingest.importer import ImportResult, import_file
from demonitor.ingest.microdata import (
    import_financials,
    import_rates,
    import_recognitions,
    import_register,
)
from demonitor.ingest.specs import IMPORT_KINDS
from demonitor.store.db import session_scope


class _Refused(Exception):
    """Raised inside the unit of work so that a refused file writes nothing."""


def import_data(
    engine: Engine, kind: str, path: Path, actor: str, edition: str | None = None
) -> ImportResult:
    """Check and import a file of ``kind``; on any error nothing is written and the errors are
    in the result."""
    if kind not in IMPORT_KINDS:
        raise BilingualError(
            f"未知类型{kind}，应为{'、'.join(IMPORT_KINDS)}",
            f"unknown kind {kind}; choose {', '.join(IMPORT_KINDS)}",
        )
    if not path.is_file():
        raise BilingualError(f"{path}: 文件不存在", f"{path}: file not found")
    result = ImportResult()
    try:
        with session_scope(engine) as session:
            if kind == "financials":
                result = import_financials(session, path, actor)
            elif kind == "varates":
                result = import_rates(session, path, actor)
            elif kind == "register":
                result = import_register(session, path, actor, edition)
            elif kind == "recognitions":
                result = import_recognitions(session, path, actor)
            else:
                result = import_file(session, kind, path, actor)
            if result.errors:
                raise _Refused
    except _Refused:
        pass
    return result
