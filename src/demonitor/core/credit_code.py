"""统一社会信用代码 (unified social credit code) per GB 32100-2015.

18 characters: registration authority (1), organisation type (1), administrative division (6),
organisation identifier (9) and a check character computed from the first 17 with modulus 31.
"""

from __future__ import annotations

# GB 32100-2015 table: digits and capital letters except I, O, S, V, Z; the index is the value.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3^(i) mod 31
_VALUES = {char: value for value, char in enumerate(CHARSET)}


def check_character(first17: str) -> str:
    """The 18th character for the given first 17 (which must be in CHARSET)."""
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> tuple[str, str] | None:
    """None for a valid code, else (problem, expected check character).

    The problem is ``missing``, ``shape`` (not 18 characters of the GB 32100 set) or ``check``
    (wrong 18th character; the expected one is given).
    """
    if not code:
        return ("missing", "")
    if len(code) != 18 or any(char not in _VALUES for char in code):
        return ("shape", "")
    expected = check_character(code[:17])
    if code[17] != expected:
        return ("check", expected)
    return None
