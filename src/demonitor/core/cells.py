"""What a cell of a CSV the platform writes may hold: the OWASP rule against CSV (formula)
injection, as a pure function.

A spreadsheet program reads a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return as a formula (``=HYPERLINK(...)``, ``-2+3``, DDE payloads). Such a text cell
is written with a leading ``'``, which spreadsheets take as "this is text". Numbers stay
numbers: a number, or a text that is a plain decimal number such as ``-3.5`` (which a
spreadsheet reads as that number, harmlessly), is left alone.

Every CSV and XLSX writer goes through ``demonitor.engine.safe_tables``, which applies this rule
(and for XLSX writes strings as string cells); DuckDB's ``COPY`` gets the same rule as SQL
(``safe_tables.sql_neutralised``, tested to agree with ``neutralise``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ASCII digits only (the same pattern runs in DuckDB's RE2).
PLAIN_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)
QUOTE = "'"

T = TypeVar("T")


def begins_like_formula(text: str) -> bool:
    """A text a spreadsheet would take as a formula (a plain number is not one)."""
    return text[:1] in FORMULA_STARTS and _PLAIN_NUMBER.fullmatch(text) is None


def neutralise(value: T) -> T | str:
    """The value as a CSV cell may hold it: a text that begins like a formula gets a leading
    ``'``; anything else (numbers, other text, None) is returned as it is."""
    if isinstance(value, str) and begins_like_formula(value):
        return QUOTE + value
    return value


def neutralise_row(row: Iterable[object]) -> list[object]:
    return [neutralise(value) for value in row]
