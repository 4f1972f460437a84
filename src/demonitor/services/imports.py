"""Importing a filled template or a register: all rows or none, in one unit of work.

The CLI's ``import`` and any page that takes a file call ``import_data``. The file is read whole,
within the limits of an import (``ingest.reading``), before the transaction opens, so that a big
or damaged file never holds the database; when a file is refused the transaction is rolled back,
so nothing of it is written. A write of microdata refreshes the materialised accounts before the
commit (``store.account_cells``).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError

from demonitor.core.errors import BilingualError
from demonitor.ingest.importer import ImportResult, import_file
from demonitor.ingest.microdata import (
    column_length,
    import_financials,
    import_rates,
    import_recognitions,
    import_register,
)
from demonitor.ingest.reading import (
    REGISTER_LIMITS,
    WORKBOOK_SUFFIXES,
    Row,
    UnreadableFile,
    check_workbook,
    import_limits,
    read_rows,
)
from demonitor.ingest.specs import IMPORT_KINDS
from demonitor.store.db import session_scope
from demonitor.store.models import ImportBatch


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
    longest = column_length(ImportBatch.__table__, "imported_by")
    if len(actor) > longest:
        raise BilingualError(
            f"操作人（--actor）有{len(actor)}个字符，超过{longest}个字符的上限",
            f"the actor (--actor) holds {len(actor)} characters, more than the {longest} allowed",
        )
    limits = import_limits()
    result = ImportResult()
    rows: list[Row] | None = None
    try:  # read before the transaction opens
        if kind != "register":
            rows = read_rows(path, limits)
        elif path.suffix.lower() in WORKBOOK_SUFFIXES:
            check_workbook(path, REGISTER_LIMITS)  # the engine reads it; refuse a bomb first
    except UnreadableFile as problem:
        result.errors.append(problem.error)
        return result
    try:
        with session_scope(engine) as session:
            if kind == "financials":
                result = import_financials(session, path, actor, rows)
            elif kind == "varates":
                result = import_rates(session, path, actor, rows)
            elif kind == "register":
                result = import_register(session, path, actor, edition)
            elif kind == "recognitions":
                result = import_recognitions(session, path, actor, rows)
            else:
                result = import_file(session, kind, path, actor, rows)
            if result.errors:
                raise _Refused
    except _Refused:
        pass
    except (DataError, IntegrityError) as failure:
        # What the checks let through and the database refuses: rolled back, said in words.
        reason = str(failure.orig).strip().splitlines()[0] if failure.orig else str(failure)
        raise BilingualError(
            f"{path.name}: 数据库拒绝写入，未导入任何数据：{reason}",
            f"{path.name}: the database refused the write, nothing was imported: {reason}",
        ) from None
    return result
