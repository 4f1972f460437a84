"""统一社会信用代码 check character (GB 32100-2015), checked against an independent computation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from demonitor.core.credit_code import CHARSET, check_character, credit_code_problem

# The standard's code table, written out by hand: value of each character.
TABLE = {str(d): d for d in range(10)}
TABLE.update(
    {
        "A": 10,
        "B": 11,
        "C": 12,
        "D": 13,
        "E": 14,
        "F": 15,
        "G": 16,
        "H": 17,
        "J": 18,
        "K": 19,
        "L": 20,
        "M": 21,
        "N": 22,
        "P": 23,
        "Q": 24,
        "R": 25,
        "T": 26,
        "U": 27,
        "W": 28,
        "X": 29,
        "Y": 30,
    }
)
INVERSE = {value: char for char, value in TABLE.items()}


def independent_check(first17: str) -> str:
    """C18 = 31 − (Σ Ci·Wi mod 31), with Wi = 3^(i−1) mod 31 and 31 written as 0."""
    total = sum(TABLE[c] * pow(3, i, 31) for i, c in enumerate(first17))
    return INVERSE[(31 - total % 31) % 31]


def test_the_example_code_from_the_standard_is_valid() -> None:
    # The example printed with GB 32100-2015 (a Fujian enterprise).
    assert credit_code_problem("91350100M000100Y43") is None
    assert independent_check("91350100M000100Y4") == "3"


def test_known_codes_hand_computed() -> None:
    # Hand calculation for 91320000000000000: 9·1 + 1·3 + 3·9 + 2·27 + 0 … = 93; 93 mod 31 = 0 → 0.
    assert check_character("91320000000000000") == "0"
    assert independent_check("91320000000000000") == "0"


def test_wrong_check_character_names_the_expected_one() -> None:
    assert credit_code_problem("91350100M000100Y44") == ("check", "3")


def test_shape_and_missing() -> None:
    assert credit_code_problem("") == ("missing", "")
    assert credit_code_problem("91350100M000100Y4") == ("shape", "")  # 17 characters
    assert credit_code_problem("91350100M000100I43") == ("shape", "")  # I is not in the set
    assert credit_code_problem("91350100m000100y43") == ("shape", "")  # lower case


codes17 = st.text(alphabet=CHARSET, min_size=17, max_size=17)


@given(codes17)
def test_check_character_agrees_with_independent_formula(first17: str) -> None:
    assert check_character(first17) == independent_check(first17)
    assert credit_code_problem(first17 + independent_check(first17)) is None


@given(codes17, st.integers(0, 16), st.sampled_from(CHARSET))
def test_every_single_substitution_is_detected(first17: str, position: int, char: str) -> None:
    valid = first17 + check_character(first17)
    changed = valid[:position] + char + valid[position + 1 :]
    if changed != valid:
        assert credit_code_problem(changed) is not None
