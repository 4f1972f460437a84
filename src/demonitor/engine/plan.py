"""The classification rules as one vectorised SQL plan, independent of the backend.

A plan has four parts:

- ``lookups``: small keyed relations made from the rules (GB/T classes and their mapping, DE
  classes, digital-activity terms), read with ``Dialect.lookup``;
- ``overrides``: the manual decisions, keyed by credit code;
- ``derived``: relations computed from the register before the main query (the credit codes
  that occur more than once, with the row of their first occurrence);
- ``sql``: one query over ``register``.

Lookups. On DuckDB the static lookups are ENUM casts and list indexes, not joins; only the two
lookups keyed by credit code (duplicates, overrides) are joins, and the result is sorted by
``source_row`` at the end, since a join may reorder rows. A Spark dialect renders lookups as scalar
subqueries (which Spark turns into broadcast joins) and skips the sort.

The engine does not share repeated subexpressions, so every heavy expression is computed once in
its own CTE and later ones refer to the column.

Every row-level text is produced from the templates of ``demonitor.core.classify``, so the plan
and the reference implementation give the same output, byte for byte.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from demonitor.core.classify import (
    INDUSTRY_CODE_PATTERN,
    ITEM_SEPARATORS,
    MASK,
    MESSAGES,
    REASON_SEPARATOR,
    SCOPE_LABELS,
    TRIM_CHARS,
    ClassificationRules,
    Override,
)
from demonitor.core.credit_code import CHARSET, WEIGHTS

CREDIT_CODE_SHAPE = "^[0-9A-HJ-NP-RTUWXY]{18}$"


@dataclass(frozen=True)
class Lookup:
    """A relation read by key: ``table`` has the column ``key`` and the value columns."""

    key: str
    table: pa.Table


class Dialect:
    """SQL that differs between engines. The default is DuckDB's."""

    name = "duckdb"
    text_type = "VARCHAR"

    def literal(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def position(self, haystack: str, needle: str) -> str:
        return f"strpos({haystack}, {needle})"

    def split_first(self, expr: str, separator: str) -> str:
        return f"split_part({expr}, {self.literal(separator)}, 1)"

    def full_match(self, expr: str, pattern: str) -> str:
        return f"regexp_full_match({expr}, {self.literal(pattern)})"

    def regex_extract(self, expr: str, pattern: str) -> str:
        """The leftmost match of the pattern, or ''."""
        return f"regexp_extract({expr}, {self.literal(pattern)}, 0)"

    def regex_matches(self, expr: str, pattern: str) -> str:
        return f"regexp_matches({expr}, {self.literal(pattern)})"

    def starts_with(self, expr: str, prefix: str) -> str:
        return f"prefix({expr}, {self.literal(prefix)})"

    def ltrim(self, expr: str) -> str:
        return f"ltrim({expr}, {self.literal(TRIM_CHARS)})"

    def contains(self, expr: str, term: str) -> str:
        return f"contains({expr}, {self.literal(term)})"

    def replace(self, expr: str, term: str, replacement: str) -> str:
        return f"replace({expr}, {self.literal(term)}, {self.literal(replacement)})"

    def trim(self, expr: str) -> str:
        # Reference expr once: the engine does not share repeated subexpressions.
        return f"trim({expr}, {self.literal(TRIM_CHARS)})"

    def lookup(self, relation: str, key_expr: str, column: str) -> str:
        """The value of ``column`` in ``relation`` for the key, NULL when the key is absent."""
        return self.lookup_at(relation, self.lookup_position(relation, key_expr), column)

    def lookup_position(self, relation: str, key_expr: str) -> str:
        """Where the key is in the relation; computed once when several columns are read."""
        return f"(enum_code(TRY_CAST({key_expr} AS {relation}__key)) + 1)"

    def lookup_at(self, relation: str, position: str, column: str) -> str:
        return f"getvariable('{relation}__{column}')[{position}]"

    def in_values(self, expr: str, values: list[str]) -> str:
        # Not "IN (…)" nor list_contains: DuckDB plans a constant list as a join, which gives up
        # the row order. list_position stays a scalar expression (a linear scan of few values).
        listed = ", ".join(self.literal(v) for v in sorted(values))
        return f"(list_position([{listed}], {expr}) IS NOT NULL)"

    def with_row_flags(self, register_columns: str, flags_from: str) -> str:
        """The register joined with ``duplicates`` (dup) and ``overrides`` (ovr).

        The join may reorder rows; ``order_by_row`` restores the register order at the end.
        """
        columns = ", ".join(f"r.{c.strip()}" for c in register_columns.split(","))
        return f"""SELECT {columns}, dup.first_row, ovr.de_code AS override_de,
        ovr.note AS override_note, ovr.key IS NOT NULL AS override_found
    FROM register r {flags_from}"""

    def order_by_row(self) -> str:
        return "ORDER BY source_row"


class SparkDialect(Dialect):
    """Spark SQL: Java regex, global regexp_replace, instr, and joins for lookups."""

    name = "spark"
    text_type = "STRING"

    def literal(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def position(self, haystack: str, needle: str) -> str:
        return f"instr({haystack}, {needle})"

    def split_first(self, expr: str, separator: str) -> str:
        return f"split_part({expr}, {self.literal(separator)}, 1)"

    def full_match(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {self.literal('^(' + pattern + ')$')})"

    def regex_extract(self, expr: str, pattern: str) -> str:
        return f"regexp_extract({expr}, {self.literal(pattern)}, 0)"

    def regex_matches(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {self.literal(pattern)})"

    def starts_with(self, expr: str, prefix: str) -> str:
        return f"startswith({expr}, {self.literal(prefix)})"

    def ltrim(self, expr: str) -> str:
        return f"trim(LEADING {self.literal(TRIM_CHARS)} FROM {expr})"

    def contains(self, expr: str, term: str) -> str:
        return f"(instr({expr}, {self.literal(term)}) > 0)"

    def trim(self, expr: str) -> str:
        return f"trim(BOTH {self.literal(TRIM_CHARS)} FROM {expr})"

    def lookup(self, relation: str, key_expr: str, column: str) -> str:
        return self.lookup_at(relation, key_expr, column)

    def lookup_position(self, relation: str, key_expr: str) -> str:
        return key_expr  # Spark looks up by the key itself

    def lookup_at(self, relation: str, position: str, column: str) -> str:
        return f"(SELECT l.{column} FROM {relation} l WHERE l.key = {position})"

    def in_values(self, expr: str, values: list[str]) -> str:
        return f"({expr} IN ({', '.join(self.literal(v) for v in values)}))"

    def order_by_row(self) -> str:
        return ""  # a Spark result has no order to keep; source_row is in every row


@dataclass(frozen=True)
class ClassificationPlan:
    lookups: Mapping[str, Lookup]
    overrides: pa.Table  # key (credit code), de_code, note
    derived: Mapping[str, str]  # name → SQL over ``register`` with a ``key`` column
    sql: str
    dialect: str


def _template(dialect: Dialect, key: str, **exprs: str) -> str:
    """A message template as a SQL concat of literals and expressions."""
    parts: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(MESSAGES[key]):
        if literal:
            parts.append(dialect.literal(literal))
        if field is not None:
            parts.append(f"CAST({exprs[field]} AS {dialect.text_type})")
    return "concat(" + ", ".join(parts) + ")"


def _strings(values: list[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def build_lookups(rules: ClassificationRules) -> dict[str, Lookup]:
    """Static lookups. ``gbt_class`` is keyed by every 4-digit string, so that a well-formed code
    that is not a class finds a row of NULLs rather than no row (a failed ENUM cast is slow)."""
    slots = max((len(m.partial) for m in rules.mapping.values()), default=0)
    codes = [f"{n:04d}" for n in range(10_000)]
    mapping = [rules.mapping.get(c) for c in codes]
    gbt: dict[str, pa.Array] = {
        "key": _strings(list(codes)),
        "section": _strings([rules.industry_sections.get(c) for c in codes]),
        "industry_name": _strings([rules.industry_names.get(c) for c in codes]),
        "full_de": _strings([m.full if m else None for m in mapping]),
        "partial_list": _strings([("/".join(m.partial) or None) if m else None for m in mapping]),
    }
    for slot in range(slots):
        gbt[f"cand_{slot + 1}"] = _strings(
            [m.partial[slot] if m and slot < len(m.partial) else None for m in mapping]
        )
    de_codes = sorted(rules.de_names)
    terms = sorted(rules.digital_term_suggestion)
    return {
        "gbt_class": Lookup("key", pa.table(gbt)),
        "de_class": Lookup(
            "key",
            pa.table(
                {
                    "key": _strings(list(de_codes)),
                    "de_name": _strings([rules.de_names[c] for c in de_codes]),
                    "core": pa.array([rules.de_core[c] for c in de_codes], pa.bool_()),
                }
            ),
        ),
        "digital_term": Lookup(
            "key",
            pa.table(
                {
                    "key": _strings(list(terms)),
                    "suggested": _strings([rules.digital_term_suggestion[t] for t in terms]),
                }
            ),
        ),
    }


def overrides_table(overrides: Mapping[str, Override]) -> pa.Table:
    return pa.table(
        {
            "key": _strings([o.credit_code for o in overrides.values()]),
            "de_code": _strings([o.de_code for o in overrides.values()]),
            "note": _strings([o.note for o in overrides.values()]),
        }
    )


def build_plan(
    rules: ClassificationRules,
    overrides: Mapping[str, Override] | None = None,
    dialect: Dialect | None = None,
) -> ClassificationPlan:
    d = dialect or Dialect()
    lookups = build_lookups(rules)
    slots = sum(1 for name in lookups["gbt_class"].table.column_names if name.startswith("cand_"))
    lit = d.literal
    null_text = f"CAST(NULL AS {d.text_type})"

    def cleaned(column: str) -> str:
        return d.trim(f"coalesce(CAST({column} AS {d.text_type}), {lit('')})")

    def clean_credit(column: str) -> str:
        return f"upper({cleaned(column)})"

    clean_credit_code = clean_credit("credit_code")
    flags_from = (
        f"LEFT JOIN duplicates dup ON dup.key = {clean_credit('r.credit_code')} "
        f"LEFT JOIN overrides ovr ON ovr.key = {clean_credit('r.credit_code')}"
    )
    derived = {
        "duplicates": f"""SELECT {clean_credit_code} AS key, min(source_row) AS first_row
FROM register
WHERE {clean_credit_code} <> ''
GROUP BY 1
HAVING count(*) > 1"""
    }

    # GB 32100 check character: Σ value(char_i)·w_i over the first 17 characters, modulus 31.
    weighted = " + ".join(
        f"({d.position(lit(CHARSET), f'substr(credit_code, {i + 1}, 1)')} - 1) * {w}"
        for i, w in enumerate(WEIGHTS)
    )
    expected_check = f"substr({lit(CHARSET)}, ((31 - ({weighted}) % 31) % 31) + 1, 1)"

    def gbt(column: str) -> str:
        return d.lookup_at("gbt_class", "gbt_position", column)

    def masked(exclude: tuple[str, ...]) -> str:
        """The scope with the exclude terms replaced, only computed where one occurs."""
        if not exclude:
            return "business_scope"
        text = "business_scope"
        for term in exclude:
            text = d.replace(text, term, MASK)
        present = " OR ".join(d.contains("business_scope", t) for t in exclude)
        return f"CASE WHEN {present} THEN {text} ELSE business_scope END"

    def any_present(text: str, terms: tuple[str, ...]) -> str:
        return "(" + " OR ".join(d.contains(text, t) for t in terms) + ")"

    def first_present(text: str, terms: tuple[str, ...]) -> str:
        branches = " ".join(f"WHEN {d.contains(text, t)} THEN {lit(t)}" for t in terms)
        return f"CASE {branches} END"

    def slot_match(slot: int) -> str:
        """Whether the scope shows the activity of the candidate class in this slot."""
        codes = sorted(
            {m.partial[slot - 1] for m in rules.mapping.values() if len(m.partial) >= slot}
        )
        branches = [
            f"WHEN {lit(code)} THEN {any_present(masked(rule.exclude), rule.include)}"
            for code in codes
            if (rule := rules.scope_rules.get(code))
        ]
        if not branches:
            return "FALSE"
        return f"CASE cand_{slot} " + " ".join(branches) + " ELSE FALSE END"

    # The term that decided, found only for the class that won.
    matched_codes = sorted({code for m in rules.mapping.values() for code in m.partial})
    term_branches = " ".join(
        f"WHEN {lit(code)} THEN {first_present(masked(rule.exclude), rule.include)}"
        for code in matched_codes
        if (rule := rules.scope_rules.get(code))
    )
    scope_term = f"CASE scope_de {term_branches} END" if term_branches else null_text

    slot_columns = ",\n        ".join(
        f"CASE WHEN section IS NOT NULL THEN {gbt(f'cand_{s}')} END AS cand_{s}"
        for s in range(1, slots + 1)
    )
    # The first candidate slot whose class matches; COALESCE tries a slot only where all the
    # earlier ones failed, so most rows pay for one scan of their scope.
    slot_tries = ", ".join(
        f"CASE WHEN cand_{s} IS NOT NULL AND {slot_match(s)} THEN cand_{s} END"
        for s in range(1, slots + 1)
    )
    scope_de = f"CASE WHEN scope_hit THEN coalesce({slot_tries}) END" if slots else null_text
    every_include = sorted({t for rule in rules.scope_rules.values() for t in rule.include})
    any_term_pattern = "|".join(re.escape(t) for t in every_include) or "$^"
    # The first scope item with string functions only: the same steps as first_scope_item.
    head = d.ltrim(d.split_first("business_scope", ITEM_SEPARATORS[0]))
    has_label = " OR ".join(d.starts_with("head", label) for label in SCOPE_LABELS)
    label_length = len(SCOPE_LABELS[0])  # all labels have the same length
    item = f"CASE WHEN {has_label} THEN substr(head, {label_length + 1}) ELSE head END"
    for separator in ITEM_SEPARATORS[1:]:
        item = d.split_first(item, separator)

    sql = f"""
WITH flagged AS (
    {
        d.with_row_flags(
            "source_row, credit_code, name, region_code, industry_code, business_scope", flags_from
        )
    }
),
prepared AS (
    SELECT source_row,
        {clean_credit_code} AS credit_code,
        {cleaned("name")} AS name,
        {cleaned("region_code")} AS region_code,
        {cleaned("industry_code")} AS industry_code,
        coalesce(CAST(business_scope AS {d.text_type}), {lit("")}) AS business_scope,
        first_row, override_de, override_note, override_found
    FROM flagged
),
shaped AS (
    SELECT *,
        {d.full_match("industry_code", INDUSTRY_CODE_PATTERN.strip("^$"))} AS industry_shape_ok,
        {d.full_match("credit_code", CREDIT_CODE_SHAPE.strip("^$"))} AS shape_ok
    FROM prepared
),
coded AS (
    SELECT *,
        CASE WHEN industry_shape_ok THEN right(industry_code, 4) ELSE '' END AS code4,
        CASE WHEN industry_shape_ok AND length(industry_code) = 5
            THEN upper(left(industry_code, 1)) ELSE '' END AS letter
    FROM shaped
),
positioned AS (
    SELECT *,
        CASE WHEN code4 <> '' THEN {d.lookup_position("gbt_class", "code4")} END AS gbt_position
    FROM coded
),
checked AS (
    SELECT *,
        {gbt("section")} AS section,
        {d.in_values("region_code", sorted(rules.regions))} AS region_known,
        CASE WHEN shape_ok THEN {expected_check} END AS expected_check
    FROM positioned
),
validated AS (
    SELECT *, concat_ws({lit(REASON_SEPARATOR)},
        CASE
            WHEN credit_code = '' THEN {_template(d, "credit_code_missing")}
            WHEN NOT shape_ok THEN {_template(d, "credit_code_shape")}
            WHEN substr(credit_code, 18, 1) <> expected_check THEN {
        _template(d, "credit_code_check", expected="expected_check")
    }
            WHEN first_row < source_row THEN {
        _template(d, "credit_code_duplicate", first_row="first_row")
    }
        END,
        CASE WHEN name = '' THEN {_template(d, "name_missing")} END,
        CASE
            WHEN region_code = '' THEN {_template(d, "region_missing")}
            WHEN NOT region_known THEN {_template(d, "region_unknown", region_code="region_code")}
        END,
        CASE
            WHEN industry_code = '' THEN {_template(d, "industry_missing")}
            WHEN section IS NULL THEN {
        _template(d, "industry_invalid", industry_code="industry_code")
    }
            WHEN letter <> '' AND letter <> section THEN {
        _template(d, "industry_section", letter="letter", code="code4", section="section")
    }
        END
    ) AS reasons
    FROM checked
),
staged AS (
    SELECT *,
        reasons = '' AND override_found AS has_override,
        CASE WHEN section IS NOT NULL THEN {gbt("full_de")} END AS full_de,
        CASE WHEN section IS NOT NULL THEN {gbt("partial_list")} END AS partial_list,
        {slot_columns + "," if slots else ""}
        TRUE AS staged
    FROM validated
),
staged2 AS (
    SELECT *, reasons = '' AND NOT has_override AND full_de IS NULL AS rule_stage FROM staged
),
scoped AS (
    -- One pass over the scope for the terms of every rule: most scopes have none, and masking
    -- cannot create a term, so their rows skip the per-class tests.
    SELECT *, rule_stage AND partial_list IS NOT NULL
        AND {d.regex_matches("business_scope", any_term_pattern)} AS scope_hit
    FROM staged2
),
decided AS (
    SELECT *, {scope_de} AS scope_de FROM scoped
),
heads AS (
    SELECT *,
        CASE WHEN rule_stage AND scope_de IS NULL THEN {head} END AS head
    FROM decided
),
items AS (
    -- The first item lies within the head, so a head without any digital term needs no item.
    SELECT *,
        CASE WHEN head IS NOT NULL AND {d.regex_matches("head", rules.digital_terms_pattern)}
            THEN {item} END AS raw_item
    FROM heads
),
candidates AS (
    SELECT *, {d.trim("raw_item")} AS first_item FROM items
),
termed AS (
    SELECT *,
        CASE WHEN first_item <> '' THEN nullif({
        d.regex_extract("first_item", rules.digital_terms_pattern)
    }, '') END
            AS candidate_term,
        {scope_term} AS scope_term
    FROM candidates
),
final AS (
    SELECT *,
        CASE
            WHEN reasons <> '' THEN NULL
            WHEN has_override THEN nullif(override_de, '')
            WHEN full_de IS NOT NULL THEN full_de
            ELSE scope_de
        END AS de_code
    FROM termed
),
named AS (
    SELECT *,
        {d.lookup("de_class", "de_code", "de_name")} AS de_name,
        {d.lookup("de_class", "de_code", "core")} AS de_core,
        {d.lookup("digital_term", "candidate_term", "suggested")} AS suggested,
        CASE WHEN section IS NOT NULL THEN {gbt("industry_name")} END AS industry_name
    FROM final
)
SELECT
    credit_code,
    name,
    region_code,
    CASE WHEN section IS NOT NULL THEN code4 ELSE industry_code END AS industry_code,
    coalesce(de_code, '') AS de_code,
    coalesce(de_name, '') AS de_name,
    coalesce(substr(de_code, 1, 2), '') AS de_category,
    coalesce(de_core, FALSE) AS core,
    CASE
        WHEN reasons <> '' THEN 'validation'
        WHEN has_override THEN 'manual'
        WHEN full_de IS NOT NULL THEN 'industry_code'
        WHEN scope_de IS NOT NULL THEN 'business_scope'
        WHEN candidate_term IS NOT NULL THEN 'first_scope_item'
        WHEN partial_list IS NOT NULL THEN 'business_scope'
        ELSE 'industry_code'
    END AS method,
    CASE
        WHEN reasons <> '' THEN ''
        WHEN has_override THEN {_template(d, "evidence_manual", note="override_note")}
        WHEN full_de IS NOT NULL THEN {
        _template(
            d,
            "evidence_industry",
            industry_code="code4",
            industry_name="industry_name",
            de_code="de_code",
            de_name="de_name",
        )
    }
        WHEN scope_de IS NOT NULL THEN {
        _template(d, "evidence_scope", term="scope_term", de_code="de_code", de_name="de_name")
    }
        WHEN candidate_term IS NOT NULL THEN {
        _template(
            d, "evidence_candidate", item="first_item", term="candidate_term", suggested="suggested"
        )
    }
        ELSE ''
    END AS evidence,
    CASE
        WHEN reasons <> '' THEN 'rejected'
        WHEN de_code IS NOT NULL THEN 'classified'
        WHEN candidate_term IS NOT NULL THEN 'candidate'
        ELSE 'not_digital'
    END AS status,
    CASE
        WHEN reasons <> '' THEN reasons
        WHEN de_code IS NOT NULL THEN ''
        WHEN has_override THEN {_template(d, "reason_manual_not_digital")}
        WHEN candidate_term IS NOT NULL THEN {
        _template(d, "reason_candidate", industry_code="code4")
    }
        WHEN partial_list IS NOT NULL THEN {
        _template(d, "reason_partial", industry_code="code4", candidates="partial_list")
    }
        ELSE {_template(d, "reason_outside", industry_code="code4")}
    END AS reason,
    {lit(rules.edition_name)} AS edition,
    source_row
FROM named
{d.order_by_row()}
"""
    return ClassificationPlan(
        lookups=lookups,
        overrides=overrides_table(overrides or {}),
        derived=derived,
        sql=sql,
        dialect=d.name,
    )


__all__ = [
    "ClassificationPlan",
    "Dialect",
    "Lookup",
    "SparkDialect",
    "build_plan",
]
