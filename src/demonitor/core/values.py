"""Reading and checking one value as a person typed it (pure): a cell of an uploaded file and a
field of a web form go through the same functions, so both refuse the same things."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

ErrorSink = Callable[[int, str, str, str], None]  # (row, column, reason zh, reason en)


@dataclass(frozen=True)
class CellError:
    """A refused cell: where it is and why, in Chinese and English."""

    file: str
    row: int
    column: str
    reason_zh: str
    reason_en: str

    def __str__(self) -> str:
        return f"{self.file} 第{self.row}行 [{self.column}] {self.reason_zh} / {self.reason_en}"


def to_number(text: str) -> float:
    """A finite number from text with thousands separators ('1,234.5'); ValueError otherwise.

    Python's ``float`` also reads '1_0' as 10 (digit grouping in source code): a person typing
    that meant something else, so underscores are refused, as is a percent sign."""
    if "_" in text:
        raise ValueError(text)
    value = float(text.replace(",", "").replace("，", ""))
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_number(
    text: str, column: str, number: int, error: ErrorSink, *, percent: bool = False
) -> float | None:
    """The number in a cell ('' → None), reporting text that is not one. A trailing percent sign
    is read only in a column whose unit is % (``percent``); elsewhere it is refused, since the
    template asks for the number alone."""
    if not text:
        return None
    body = text.strip()
    if body.endswith(("%", "％")):
        if not percent:
            error(
                number,
                column,
                f"「{text}」请只填数值，不带百分号",
                f"{text!r}: write the number without a percent sign",
            )
            return None
        body = body[:-1]
    try:
        return to_number(body)
    except ValueError:
        error(number, column, f"「{text}」不是数值", f"{text!r} is not a number")
        return None


def indicator_value_problem(kind: str, value: float) -> tuple[str, str] | None:
    """Why a value cannot be one of an indicator of this kind (zh, en), or None when it can."""
    if kind == "ratio" and not 0 <= value <= 100:
        return (
            f"比率应在0～100之间，实为{value:g}",
            f"a ratio must be between 0 and 100, got {value:g}",
        )
    if kind == "milestone" and value not in (0, 1):
        return "里程碑指标只能填0或1", "a milestone is 0 or 1"
    if kind == "count_cumulative" and (value < 0 or not value.is_integer()):
        return "计数应为非负整数", "a count must be a whole number ≥ 0"
    return None
