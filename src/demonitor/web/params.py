"""Bounds of the numbers a URL may carry: a row id or a page beyond what the database can hold
is refused with 422 before it reaches SQLite (whose integers stop at 2⁶³ − 1) or PostgreSQL."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

LARGEST_ROW_ID = 2**63 - 1
LARGEST_PAGE = 1_000_000  # far beyond any list the platform shows, far below an overflow

RowId = Annotated[int, Path(ge=1, le=LARGEST_ROW_ID, description="数据库编号 / row id")]
PageNumber = Annotated[int, Query(ge=1, le=LARGEST_PAGE, description="页码 / page number")]
Offset = Annotated[int, Query(ge=0, le=LARGEST_PAGE * 100, description="起始位置 / offset")]
Limit = Annotated[int, Query(ge=1, le=500, description="每页条数 / rows per page")]
