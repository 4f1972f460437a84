"""Business-scope rules for partial industry codes, and the terms that mark a digital main activity.

Both are data (``data/classify/*.csv``) so that the statistics bureau can refine them without
touching code. Terms are literal strings, matched as substrings of 经营范围.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from demonitor.reference._files import data_path, read_csv_rows

RULES_VERSION = "scope-rules-2021-v1"


@dataclass(frozen=True)
class ScopeRule:
    """A partial 小类 is assigned when an include term remains after masking the exclude terms."""

    de_code: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class DigitalActivityTerm:
    term: str
    suggests_de_code: str
    note: str = ""


def _terms(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split("|") if t.strip())


def parse_scope_rules(path: Path) -> dict[str, ScopeRule]:
    rules: dict[str, ScopeRule] = {}
    for number, row in enumerate(read_csv_rows(path), start=2):
        code = row["de_code"]
        if code in rules:
            raise ValueError(f"{path}: 第{number}行 {code} 重复 / row {number}: duplicate rule")
        include = _terms(row["include"])
        if not include:
            raise ValueError(f"{path}: 第{number}行缺少include / row {number}: include is empty")
        rules[code] = ScopeRule(code, include, _terms(row.get("exclude", "")), row.get("note", ""))
    return rules


@cache
def load_scope_rules(path: str = "") -> dict[str, ScopeRule]:
    return parse_scope_rules(Path(path) if path else data_path("classify/scope_rules.csv"))


@cache
def load_digital_activity_terms() -> tuple[DigitalActivityTerm, ...]:
    return tuple(
        DigitalActivityTerm(r["term"], r["suggests_de_code"], r.get("note", ""))
        for r in read_csv_rows(data_path("classify/digital_activity_terms.csv"))
    )
