"""The synthetic demo register (演示数据): deterministic, plausible, and deliberately imperfect."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from demonitor.core.credit_code import credit_code_problem
from demonitor.demo import register
from demonitor.demo.register import (
    COLUMNS,
    DEFECT_KINDS,
    DEFECT_SHARES,
    DEMO_METADATA_KEY,
    DEMO_METADATA_VALUE,
    REGIONS,
    XLSX_MAX_ROWS,
    XLSX_SHEET,
    generate_register,
    iter_register_batches,
    iter_register_batches_with_defects,
    write_demo_register,
)
from demonitor.reference import load_industry_tree, load_regions
from demonitor.reference.scope_rules import load_digital_activity_terms, load_scope_rules

ROWS = 20_000
SEED = 2025
INDUSTRY = re.compile(r"^([A-T]?)([0-9]{4})$")
# Profiles whose classes are wholly digital: their scopes may name any digital activity.
DIGITAL_PROFILES = {
    "photovoltaics",
    "electronics",
    "software_it",
    "internet_retail",
    "internet_wholesale",
}


@cache
def sample() -> tuple[pa.Table, np.ndarray]:
    batches, kinds = zip(
        *iter_register_batches_with_defects(ROWS, SEED, batch_size=7_000), strict=True
    )
    return pa.Table.from_batches(batches), np.concatenate(kinds)


@cache
def rows() -> list[dict[str, str]]:
    table_rows: list[dict[str, str]] = sample()[0].to_pylist()
    return table_rows


def industry_problem(raw: str) -> bool:
    tree = load_industry_tree()
    match = INDUSTRY.match(raw)
    if not match:
        return True
    letter, code = match.groups()
    industry = tree.get(code)
    if industry is None or industry.level != "class":
        return True
    return bool(letter) and letter != tree.section_of(code)


def detected_problems(table_rows: list[dict[str, str]]) -> list[set[str]]:
    """Problems found from the data alone, independent of the generator's bookkeeping."""
    seen: set[str] = set()
    found: list[set[str]] = []
    for row in table_rows:
        problems: set[str] = set()
        code = row["credit_code"]
        problem = credit_code_problem(code)
        if not code:
            problems.add("empty_credit_code")
        elif problem:
            problems.add("wrong_check_character")
        elif code in seen:
            problems.add("duplicate_credit_code")
        seen.add(code)
        if not row["name"]:
            problems.add("empty_name")
        if row["region_code"] not in REGIONS:
            problems.add("unknown_region")
        if industry_problem(row["industry_code"]):
            problems.add("invalid_industry_code")
        found.append(problems)
    return found


# --- determinism and shape ---------------------------------------------------------------------


def test_same_seed_gives_the_same_register() -> None:
    assert generate_register(3_000, 7).equals(generate_register(3_000, 7))


def test_another_seed_gives_another_register() -> None:
    first, second = generate_register(3_000, 7), generate_register(3_000, 8)
    for column in ("credit_code", "name", "business_scope"):
        assert first.column(column).to_pylist() != second.column(column).to_pylist()


def test_negative_and_huge_seeds_are_accepted_and_distinct() -> None:
    negative = generate_register(200, -7).column("credit_code")
    positive = generate_register(200, 7).column("credit_code")
    assert not negative.equals(positive)
    assert generate_register(200, 2**70).num_rows == 200


@pytest.mark.parametrize("count", [0, 1, 999, 2_500])
def test_row_count_is_exact(count: int) -> None:
    batches = list(iter_register_batches(count, SEED, batch_size=1_000))
    assert [b.num_rows for b in batches] == [1_000] * (count // 1_000) + (
        [count % 1_000] if count % 1_000 else []
    )
    assert generate_register(count, SEED).num_rows == count


def test_columns_are_the_five_register_strings_in_order() -> None:
    table = sample()[0]
    expected = ["credit_code", "name", "region_code", "industry_code", "business_scope"]
    assert table.column_names == list(COLUMNS) == expected
    assert all(field.type == pa.string() for field in table.schema)
    assert all(table.column(c).null_count == 0 for c in COLUMNS)


def test_negative_row_count_is_refused() -> None:
    with pytest.raises(ValueError):
        generate_register(-1, SEED)


# --- credit codes ---------------------------------------------------------------------------------


def test_at_least_95_percent_of_credit_codes_are_valid() -> None:
    valid = sum(credit_code_problem(r["credit_code"]) is None for r in rows())
    assert valid / ROWS >= 0.95


def test_credit_codes_embed_the_region_and_start_with_91() -> None:
    for row, kind in zip(rows(), sample()[1], strict=True):
        if DEFECT_KINDS[kind] in ("ok", "unknown_region"):
            assert row["credit_code"][:2] == "91"
            assert row["credit_code"][2:8] == row["region_code"]


def test_valid_credit_codes_are_unique_except_the_planned_duplicates() -> None:
    table, kinds = sample()
    codes = table.column("credit_code").to_pylist()
    first_seen: dict[str, int] = {}
    for index, (code, kind) in enumerate(zip(codes, kinds, strict=True)):
        if not code or credit_code_problem(code):
            continue
        if code in first_seen:
            assert DEFECT_KINDS[kind] == "duplicate_credit_code", (index, code)
            assert first_seen[code] < index
        else:
            assert DEFECT_KINDS[kind] != "duplicate_credit_code", (index, code)
            first_seen[code] = index
    # codes are unique across batches too: every non-duplicate code appears once
    counts = Counter(c for c, k in zip(codes, kinds, strict=True) if DEFECT_KINDS[k] == "ok")
    assert max(counts.values()) == 1


def test_half_of_the_duplicates_repeat_the_whole_row() -> None:
    table_rows, kinds = rows(), sample()[1]
    by_code: dict[str, dict[str, str]] = {}
    exact = total = 0
    for row, kind in zip(table_rows, kinds, strict=True):
        if DEFECT_KINDS[kind] == "duplicate_credit_code":
            total += 1
            exact += row == by_code[row["credit_code"]]
        else:
            by_code.setdefault(row["credit_code"], row)
    assert total > 0
    assert 0.25 <= exact / total <= 0.75


# --- defects ------------------------------------------------------------------------------------


def test_bad_rows_are_between_1_and_6_percent() -> None:
    bad = sum(bool(p) for p in detected_problems(rows()))
    assert 0.01 <= bad / ROWS <= 0.06


def test_each_planned_defect_is_the_only_problem_of_its_row() -> None:
    for problems, kind in zip(detected_problems(rows()), sample()[1], strict=True):
        name = DEFECT_KINDS[kind]
        assert problems == (set() if name == "ok" else {name})


def test_every_defect_kind_occurs_near_its_share() -> None:
    counts = Counter(DEFECT_KINDS[k] for k in sample()[1])
    for name, share in DEFECT_SHARES.items():
        assert 0.5 * share * ROWS <= counts[name] <= 1.5 * share * ROWS, name
    assert 0.025 <= sum(DEFECT_SHARES.values()) <= 0.035


# --- content --------------------------------------------------------------------------------------


def test_good_rows_are_in_the_seven_county_level_units_of_taizhou() -> None:
    assert set(REGIONS) == {"321202", "321203", "321204", "321271", "321281", "321282", "321283"}
    assert set(REGIONS) <= {r.code for r in load_regions()}
    regions = Counter(r["region_code"] for r, k in zip(rows(), sample()[1], strict=True) if k == 0)
    assert set(regions) == set(REGIONS)


def test_good_industry_codes_are_gbt_4754_classes() -> None:
    tree = load_industry_tree()
    lettered = 0
    for row, kind in zip(rows(), sample()[1], strict=True):
        if DEFECT_KINDS[kind] == "invalid_industry_code":
            continue
        match = INDUSTRY.match(row["industry_code"])
        assert match, row["industry_code"]
        letter, code = match.groups()
        industry = tree.get(code)
        assert industry is not None and industry.level == "class", code
        if letter:
            lettered += 1
            assert letter == tree.section_of(code)
    assert 0.25 <= lettered / ROWS <= 0.35


def test_industry_mix_follows_the_city() -> None:
    table_rows = rows()

    def share_in(codes: set[str], region: str) -> float:
        hits = [r for r in table_rows if r["industry_code"][-4:] in codes]
        return sum(r["region_code"] == region for r in hits) / len(hits)

    assert share_in({"3731", "3735", "3737"}, "321282") > 0.4  # ships: 靖江
    assert share_in({"2710", "2720", "2761", "2762"}, "321271") > 0.4  # pharma: 医药高新区
    assert share_in({"2614", "2619", "2641", "2669"}, "321283") > 0.5  # chemicals: 泰兴
    assert share_in({"0412"}, "321281") > 0.5  # crabs: 兴化


def test_names_look_like_enterprise_names() -> None:
    names = [r["name"] for r, k in zip(rows(), sample()[1], strict=True) if k != 4]
    assert all(n.endswith(("有限公司", "有限责任公司")) for n in names)
    prefixes = ("泰州", "江苏", "兴化", "靖江", "泰兴", "姜堰")
    assert all(n.startswith(prefixes) for n in names)
    assert len(set(names)) > 0.5 * len(names)


def test_scopes_use_the_standard_wording() -> None:
    general_tail = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
    old_tail = "。（依法须经批准的项目，经相关部门批准后方可开展经营活动）"
    old_style = 0
    for row in rows():
        scope = row["business_scope"]
        assert "；；" not in scope and "：；" not in scope and "；（" not in scope
        if scope.endswith(old_tail):
            old_style += 1
            assert "一般项目" not in scope and "许可项目" not in scope
        else:
            assert scope.endswith(general_tail), scope
            assert scope.startswith(("一般项目：", "许可项目：")), scope
            assert scope.count("一般项目：") == 1
    assert 0.15 <= old_style / ROWS <= 0.25


# --- the classifier's paths -------------------------------------------------------------------


@cache
def rule_terms() -> tuple[str, ...]:
    terms = {t for rule in load_scope_rules().values() for t in rule.include}
    terms |= {t.term for t in load_digital_activity_terms()}
    return tuple(sorted(terms))


def test_plain_items_of_non_digital_profiles_contain_no_digital_term() -> None:
    for profile in register._PROFILES:
        if profile.key in DIGITAL_PROFILES:
            continue
        for item in (*profile.main, *profile.generic, *profile.licence):
            hits = [t for t in rule_terms() if t in item]
            assert not hits, (profile.key, item, hits)


def test_digital_items_contain_a_rule_term() -> None:
    for profile in register._PROFILES:
        for item in profile.digital:
            assert any(t in item for t in rule_terms()), (profile.key, item)
        assert (profile.digital_share > 0) == bool(profile.digital), profile.key
        assert (profile.licence_share > 0) == bool(profile.licence), profile.key


def test_candidate_first_items_are_digital_activities() -> None:
    terms = {t.term for t in load_digital_activity_terms()}
    assert set(register._CANDIDATE_FIRST_ITEMS) <= terms


def test_item_pools_of_a_profile_do_not_overlap() -> None:
    for profile in register._PROFILES:
        pools = [set(profile.main), set(profile.generic), set(profile.digital)]
        assert sum(len(p) for p in pools) == len(set().union(*pools)), profile.key
        if profile.candidate_share:
            assert not set(register._CANDIDATE_FIRST_ITEMS) & set(profile.main)


def test_scopes_exercise_every_path_of_the_classifier() -> None:
    table_rows = rows()
    scopes: Counter[str] = Counter()
    for row in table_rows:
        code, scope = row["industry_code"][-4:], row["business_scope"]
        first = re.sub(r"^(一般项目|许可项目)[：:]", "", scope)
        first = re.match(r"^[^；;。（(]*", first).group(0)  # type: ignore[union-attr]
        if code == "3831":
            masked = re.sub("电力电缆|电力线缆|矿用电缆|电缆附件", "", scope)
            digital = re.search("通信电缆|数据电缆|射频电缆|光电复合缆|光缆|光纤", masked)
            scopes["cable_digital" if digital else "cable_power"] += 1
        if code in {"5179", "5279"}:
            scopes["trade_digital" if "电子" in scope or "智能" in scope else "trade_plain"] += 1
        if code in {"4790", "4851", "4910", "4999"} and any(
            t in scope for t in ("通信工程", "数据中心", "智能化安装", "弱电工程")
        ):
            scopes["construction_digital"] += 1
        if code == "7320" and any(t in scope for t in ("人工智能", "集成电路", "大数据")):
            scopes["research_digital"] += 1
        if code == "0412" and any(t in scope for t in ("智慧渔业", "养殖物联网")):
            scopes["fishery_05"] += 1
        if "智能制造" in scope or "工业互联网" in scope or "数字化车间" in scope:
            scopes["manufacturing_05"] += 1
        if "在线教育" in scope:
            scopes["education_05"] += 1
        if code in {"7212", "7239", "7299"} and first in register._CANDIDATE_FIRST_ITEMS:
            scopes["candidate"] += 1
        if code in {"6513", "3973", "5292", "5193", "3825"}:
            scopes["wholly_digital"] += 1
    for path in (
        "cable_digital",
        "cable_power",
        "trade_digital",
        "trade_plain",
        "construction_digital",
        "research_digital",
        "fishery_05",
        "manufacturing_05",
        "education_05",
        "candidate",
        "wholly_digital",
    ):
        assert scopes[path] >= 10, (path, scopes)
    assert 0.3 <= scopes["cable_digital"] / (scopes["cable_digital"] + scopes["cable_power"]) <= 0.7


# --- files ----------------------------------------------------------------------------------------


def test_writing_csv_parquet_and_xlsx_round_trips_the_rows(tmp_path: Path) -> None:
    expected = generate_register(300, SEED).to_pylist()
    for suffix in (".csv", ".parquet", ".xlsx"):
        path = tmp_path / f"register{suffix}"
        assert write_demo_register(path, 300, SEED) == 300
        if suffix == ".csv":
            options = pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS})
            got = pacsv.read_csv(path, convert_options=options).to_pylist()
            assert path.read_bytes().startswith(b'"credit_code"')
        elif suffix == ".parquet":
            got = pq.read_table(path).to_pylist()
        else:
            workbook = load_workbook(path, read_only=True)
            assert workbook.sheetnames == [XLSX_SHEET]
            sheet_rows = list(workbook[XLSX_SHEET].iter_rows(values_only=True))
            workbook.close()
            assert list(sheet_rows[0]) == list(COLUMNS)
            got = [
                {c: ("" if v is None else str(v)) for c, v in zip(COLUMNS, r, strict=True)}
                for r in sheet_rows[1:]
            ]
        assert got == expected, suffix


def test_parquet_carries_the_demo_marker(tmp_path: Path) -> None:
    path = tmp_path / "register.parquet"
    write_demo_register(path, 500, SEED)
    metadata = pq.read_schema(path).metadata
    assert metadata[DEMO_METADATA_KEY.encode()].decode() == DEMO_METADATA_VALUE
    assert DEMO_METADATA_VALUE == "演示数据（合成）/ synthetic demo data"
    assert pq.ParquetFile(path).metadata.num_rows == 500


def test_an_empty_register_still_has_its_columns(tmp_path: Path) -> None:
    for suffix in (".csv", ".parquet"):
        path = tmp_path / f"empty{suffix}"
        assert write_demo_register(path, 0, SEED) == 0
    assert pq.read_table(tmp_path / "empty.parquet").column_names == list(COLUMNS)
    assert (tmp_path / "empty.csv").read_text(encoding="utf-8").strip() == ",".join(
        f'"{c}"' for c in COLUMNS
    )


def test_xlsx_refuses_more_rows_than_a_sheet_holds(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="xlsx"):
        write_demo_register(tmp_path / "big.xlsx", XLSX_MAX_ROWS + 1, SEED)
    assert not (tmp_path / "big.xlsx").exists()


def test_unknown_file_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_demo_register(tmp_path / "register.json", 10, SEED)
