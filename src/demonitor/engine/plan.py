"""The classification rules as one vectorised SQL plan, independent of the backend.

The plan reads a relation ``register`` (the register's five columns as text plus
``source_row``) and small reference relations built here from the rules. Every row-level text is
produced from the templates of ``demonitor.core.classify``, so the plan and the reference
implementation give the same output byte for byte. Backend differences (function names, regex
flags) live in a ``Dialect``: DuckDB runs it embedded; a Spark dialect can run the same plan on a
cluster.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from demonitor.core.classify import (
    FIRST_ITEM_PATTERN,
    INDUSTRY_CODE_PATTERN,
    MESSAGES,
    REASON_SEPARATOR,
    REGISTER_COLUMNS,
    SCOPE_LABEL_PATTERN,
    TRIM_CHARS,
    ClassificationRules,
    Override,
)
from demonitor.core.credit_code import CHARSET, WEIGHTS

CREDIT_CODE_SHAPE = "^[0-9A-HJ-NP-RTUWXY]{18}$"


class Dialect:
    """SQL that differs between engines. The default is DuckDB's."""

    name = "duckdb"

    def literal(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def regex_extract(self, expr: str, pattern: str, group: int = 0) -> str:
        return f"regexp_extract({expr}, {self.literal(pattern)}, {group})"

    def regex_replace_all(self, expr: str, pattern: str, replacement: str = "") -> str:
        return f"regexp_replace({expr}, {self.literal(pattern)}, {self.literal(replacement)}, 'g')"

    def regex_matches(self, expr: str, pattern: str) -> str:
        return f"regexp_matches({expr}, {self.literal(pattern)})"

    def position(self, haystack: str, needle: str) -> str:
        return f"strpos({haystack}, {needle})"

    def trim(self, expr: str) -> str:
        return f"trim({expr}, {self.literal(TRIM_CHARS)})"


class SparkDialect(Dialect):
    """Spark SQL: regexp_replace is global and Java regex; strpos is instr."""

    name = "spark"

    def literal(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def regex_replace_all(self, expr: str, pattern: str, replacement: str = "") -> str:
        return f"regexp_replace({expr}, {self.literal(pattern)}, {self.literal(replacement)})"

    def regex_matches(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {self.literal(pattern)})"

    def position(self, haystack: str, needle: str) -> str:
        return f"instr({haystack}, {needle})"

    def trim(self, expr: str) -> str:
        return f"trim(BOTH {self.literal(TRIM_CHARS)} FROM {expr})"


@dataclass(frozen=True)
class ClassificationPlan:
    """SQL over ``register`` plus the reference relations it joins."""

    sql: str
    relations: Mapping[str, pa.Table]
    dialect: str


def _template(dialect: Dialect, key: str, **exprs: str) -> str:
    """A message template as a SQL concat of literals and expressions."""
    parts: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(MESSAGES[key]):
        if literal:
            parts.append(dialect.literal(literal))
        if field is not None:
            parts.append(f"CAST({exprs[field]} AS VARCHAR)")
    return "concat(" + ", ".join(parts) + ")"


def reference_relations(
    rules: ClassificationRules, overrides: Mapping[str, Override]
) -> dict[str, pa.Table]:
    slots = max((len(m.partial) for m in rules.mapping.values()), default=0)
    mapping_rows = sorted(rules.mapping.items())
    de_map: dict[str, list[str | None]] = {
        "code": [code for code, _ in mapping_rows],
        "full_de": [m.full for _, m in mapping_rows],
        "partial_list": ["/".join(m.partial) or None for _, m in mapping_rows],
    }
    for slot in range(slots):
        de_map[f"cand_{slot + 1}"] = [
            m.partial[slot] if slot < len(m.partial) else None for _, m in mapping_rows
        ]
    industry_codes = sorted(rules.industry_sections)
    de_codes = sorted(rules.de_names)
    terms = sorted(rules.digital_term_suggestion)
    return {
        "de_map": pa.table(de_map, schema=pa.schema([(k, pa.string()) for k in de_map])),
        "gbt_class": pa.table(
            {
                "code": industry_codes,
                "section": [rules.industry_sections[c] for c in industry_codes],
                "industry_name": [rules.industry_names[c] for c in industry_codes],
            }
        ),
        "de_class": pa.table(
            {
                "de_code": de_codes,
                "de_name": [rules.de_names[c] for c in de_codes],
                "core": [rules.de_core[c] for c in de_codes],
            }
        ),
        "region": pa.table({"region_code": sorted(rules.regions)}),
        "digital_term": pa.table(
            {"term": terms, "suggested": [rules.digital_term_suggestion[t] for t in terms]}
        ),
        "override": pa.table(
            {
                "credit_code": [o.credit_code for o in overrides.values()],
                "de_code": [o.de_code for o in overrides.values()],
                "note": [o.note for o in overrides.values()],
            },
            schema=pa.schema(
                [("credit_code", pa.string()), ("de_code", pa.string()), ("note", pa.string())]
            ),
        ),
    }


def build_plan(
    rules: ClassificationRules,
    overrides: Mapping[str, Override] | None = None,
    dialect: Dialect | None = None,
) -> ClassificationPlan:
    d = dialect or Dialect()
    overrides = overrides or {}
    relations = reference_relations(rules, overrides)
    slots = sum(1 for name in relations["de_map"].column_names if name.startswith("cand_"))
    lit = d.literal

    empty = lit("")
    cleaned = ",\n    ".join(
        f"{d.trim(f'coalesce(CAST({column} AS VARCHAR), {empty})')} AS {column}"
        for column in REGISTER_COLUMNS
    )

    # GB 32100 check character: Σ value(char_i)·w_i over the first 17 characters, modulus 31.
    weighted = " + ".join(
        f"({d.position(lit(CHARSET), f'substr(credit_code, {i + 1}, 1)')} - 1) * {w}"
        for i, w in enumerate(WEIGHTS)
    )
    expected_check = f"substr({lit(CHARSET)}, ((31 - ({weighted}) % 31) % 31) + 1, 1)"

    credit_reason = f"""CASE
        WHEN credit_code = '' THEN {_template(d, "credit_code_missing")}
        WHEN NOT shape_ok THEN {_template(d, "credit_code_shape")}
        WHEN substr(credit_code, 18, 1) <> expected_check THEN {
        _template(d, "credit_code_check", expected="expected_check")
    }
        WHEN first_row < source_row THEN {
        _template(d, "credit_code_duplicate", first_row="first_row")
    }
    END"""
    name_reason = f"CASE WHEN name = '' THEN {_template(d, 'name_missing')} END"
    region_reason = f"""CASE
        WHEN region_code = '' THEN {_template(d, "region_missing")}
        WHEN NOT region_known THEN {_template(d, "region_unknown", region_code="region_code")}
    END"""
    industry_reason = f"""CASE
        WHEN industry_code = '' THEN {_template(d, "industry_missing")}
        WHEN section IS NULL THEN {_template(d, "industry_invalid", industry_code="industry_code")}
        WHEN letter <> '' AND letter <> section THEN {
        _template(d, "industry_section", letter="letter", code="code4", section="section")
    }
    END"""

    def scope_slot(slot: int) -> str:
        codes = sorted({m.partial[slot - 1] for m in rules.mapping.values() if len(m.partial) >= slot})
        branches = []
        for code in codes:
            rule = rules.scope_rules.get(code)
            if rule is None:
                continue
            masked = (
                d.regex_replace_all("business_scope", rule.exclude_pattern)
                if rule.exclude_pattern
                else "business_scope"
            )
            term = d.regex_extract(masked, rule.include_pattern)
            branches.append(f"WHEN {lit(code)} THEN nullif({term}, '')")
        if not branches:
            return "CAST(NULL AS VARCHAR)"
        return f"CASE cand_{slot} " + " ".join(branches) + " END"

    term_columns = [f"t_{slot}" for slot in range(1, slots + 1)]
    slot_ctes = []
    previous = "eligible"
    for slot in range(1, slots + 1):
        prior_unmatched = " AND ".join(f"t_{s} IS NULL" for s in range(1, slot)) or "TRUE"
        slot_ctes.append(
            f"""slot_{slot} AS (
    SELECT *, CASE WHEN rule_stage AND {prior_unmatched} THEN {scope_slot(slot)} END AS t_{slot}
    FROM {previous}
)"""
        )
        previous = f"slot_{slot}"
    scope_de = (
        "CASE " + " ".join(f"WHEN t_{s} IS NOT NULL THEN cand_{s}" for s in range(1, slots + 1))
        + " END"
        if slots
        else "CAST(NULL AS VARCHAR)"
    )
    scope_term = f"coalesce({', '.join(term_columns)})" if slots else "CAST(NULL AS VARCHAR)"
    first_item = d.trim(
        d.regex_extract(d.regex_replace_all("business_scope", SCOPE_LABEL_PATTERN), FIRST_ITEM_PATTERN)
    )
    slot_sql = ",\n".join(slot_ctes)
    slot_sep = ",\n" if slot_ctes else ""

    sql = f"""
WITH cleaned AS (
    SELECT source_row,
    {cleaned}
    FROM register
),
prepared AS (
    SELECT * EXCLUDE (credit_code), upper(credit_code) AS credit_code,
        {d.regex_extract("industry_code", INDUSTRY_CODE_PATTERN, 2)} AS code4,
        upper({d.regex_extract("industry_code", INDUSTRY_CODE_PATTERN, 1)}) AS letter
    FROM cleaned
),
duplicates AS (
    SELECT credit_code, min(source_row) AS first_row
    FROM prepared WHERE credit_code <> ''
    GROUP BY credit_code HAVING count(*) > 1
),
checked AS (
    SELECT p.*, dup.first_row, g.section, g.industry_name,
        {d.regex_matches("p.credit_code", CREDIT_CODE_SHAPE)} AS shape_ok,
        r.region_code IS NOT NULL AS region_known
    FROM prepared p
    LEFT JOIN duplicates dup ON dup.credit_code = p.credit_code
    LEFT JOIN gbt_class g ON g.code = p.code4
    LEFT JOIN region r ON r.region_code = p.region_code
),
checked2 AS (
    SELECT *, CASE WHEN shape_ok THEN {expected_check} END AS expected_check FROM checked
),
validated AS (
    SELECT *, concat_ws({lit(REASON_SEPARATOR)},
        {credit_reason},
        {name_reason},
        {region_reason},
        {industry_reason}
    ) AS reasons
    FROM checked2
),
eligible AS (
    SELECT v.*, m.full_de, m.partial_list, {", ".join(f"m.cand_{s}" for s in range(1, slots + 1)) or "NULL AS cand_none"},
        o.credit_code IS NOT NULL AS has_override, o.de_code AS override_de, o.note AS override_note,
        v.reasons = '' AND o.credit_code IS NULL AND m.full_de IS NULL AS rule_stage
    FROM validated v
    LEFT JOIN de_map m ON m.code = v.code4
    LEFT JOIN override o ON o.credit_code = v.credit_code AND v.reasons = ''
){slot_sep}{slot_sql},
decided AS (
    SELECT *,
        {scope_de} AS scope_de,
        {scope_term} AS scope_term
    FROM {previous}
),
with_item AS (
    SELECT *,
        CASE WHEN rule_stage AND scope_de IS NULL THEN {first_item} END AS first_item
    FROM decided
),
with_candidate AS (
    SELECT w.*, nullif({d.regex_extract("w.first_item", rules.digital_terms_pattern)}, '')
        AS candidate_term
    FROM with_item w
),
final AS (
    SELECT c.*, t.suggested,
        CASE
            WHEN reasons <> '' THEN NULL
            WHEN has_override THEN nullif(override_de, '')
            WHEN full_de IS NOT NULL THEN full_de
            ELSE scope_de
        END AS de_code
    FROM with_candidate c
    LEFT JOIN digital_term t ON t.term = c.candidate_term
)
SELECT
    f.credit_code,
    f.name,
    f.region_code,
    CASE WHEN f.section IS NOT NULL THEN f.code4 ELSE f.industry_code END AS industry_code,
    coalesce(f.de_code, '') AS de_code,
    coalesce(dc.de_name, '') AS de_name,
    coalesce(substr(f.de_code, 1, 2), '') AS de_category,
    coalesce(dc.core, FALSE) AS core,
    CASE
        WHEN f.reasons <> '' THEN 'validation'
        WHEN f.has_override THEN 'manual'
        WHEN f.full_de IS NOT NULL THEN 'industry_code'
        WHEN f.scope_de IS NOT NULL THEN 'business_scope'
        WHEN f.candidate_term IS NOT NULL THEN 'first_scope_item'
        WHEN f.partial_list IS NOT NULL THEN 'business_scope'
        ELSE 'industry_code'
    END AS method,
    CASE
        WHEN f.reasons <> '' THEN ''
        WHEN f.has_override THEN {_template(d, "evidence_manual", note="f.override_note")}
        WHEN f.full_de IS NOT NULL THEN {
        _template(
            d,
            "evidence_industry",
            industry_code="f.code4",
            industry_name="f.industry_name",
            de_code="f.de_code",
            de_name="dc.de_name",
        )
    }
        WHEN f.scope_de IS NOT NULL THEN {
        _template(d, "evidence_scope", term="f.scope_term", de_code="f.de_code", de_name="dc.de_name")
    }
        WHEN f.candidate_term IS NOT NULL THEN {
        _template(
            d, "evidence_candidate", item="f.first_item", term="f.candidate_term", suggested="f.suggested"
        )
    }
        ELSE ''
    END AS evidence,
    CASE
        WHEN f.reasons <> '' THEN 'rejected'
        WHEN f.de_code IS NOT NULL THEN 'classified'
        WHEN f.candidate_term IS NOT NULL AND NOT f.has_override THEN 'candidate'
        ELSE 'not_digital'
    END AS status,
    CASE
        WHEN f.reasons <> '' THEN f.reasons
        WHEN f.de_code IS NOT NULL THEN ''
        WHEN f.has_override THEN {_template(d, "reason_manual_not_digital")}
        WHEN f.candidate_term IS NOT NULL THEN {
        _template(d, "reason_candidate", industry_code="f.code4")
    }
        WHEN f.partial_list IS NOT NULL THEN {
        _template(d, "reason_partial", industry_code="f.code4", candidates="f.partial_list")
    }
        ELSE {_template(d, "reason_outside", industry_code="f.code4")}
    END AS reason,
    {lit(rules.edition_name)} AS edition,
    f.source_row
FROM final f
LEFT JOIN de_class dc ON dc.de_code = f.de_code
ORDER BY f.source_row
"""
    return ClassificationPlan(sql=sql, relations=relations, dialect=d.name)
