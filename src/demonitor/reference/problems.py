"""Problems found in a data file, each naming the file, row and column, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One reason a data file cannot be used. ``row`` counts the header as row 1 (0: no row)."""

    file: str
    row: int
    column: str
    zh: str
    en: str

    def __str__(self) -> str:
        where_zh = self.file + (f" 第{self.row}行" if self.row else "")
        where_en = self.file + (f" row {self.row}" if self.row else "")
        if self.column:
            where_zh += f" 列{self.column}"
            where_en += f", column {self.column}"
        return f"{where_zh}：{self.zh} / {where_en}: {self.en}"


class DataFileError(ValueError):
    """Data files that cannot be used; ``problems`` lists every reason found."""

    def __init__(self, what_zh: str, what_en: str, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = (
            f"\n  … 另有{len(problems) - 50}处 / {len(problems) - 50} more"
            if len(problems) > 50
            else ""
        )
        super().__init__(f"{what_zh}无效 / invalid {what_en}:\n{shown}{more}")
