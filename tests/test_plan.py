"""The classification plan is plain SQL over named relations, independent of the backend."""

from __future__ import annotations

import sqlglot

from demonitor.core.classify import ClassificationRules
from demonitor.engine.plan import Dialect, SparkDialect, build_plan


def test_the_plan_parses_as_duckdb_and_as_spark_sql(rules: ClassificationRules) -> None:
    duck = build_plan(rules, dialect=Dialect())
    spark = build_plan(rules, dialect=SparkDialect())
    for plan, read in ((duck, "duckdb"), (spark, "spark")):
        assert sqlglot.parse_one(plan.sql, read=read) is not None
        assert set(plan.derived) == {"duplicates"}, read  # the loop below checks something
        for derived in plan.derived.values():
            assert sqlglot.parse_one(derived, read=read) is not None
    # Spark's own spellings are used, not DuckDB's.
    assert "getvariable(" not in spark.sql and "strpos(" not in spark.sql
    assert "instr(" in spark.sql and "ORDER BY source_row" not in spark.sql
    assert "ORDER BY source_row" in duck.sql
    assert set(duck.lookups) == {"gbt_class", "de_class", "digital_term"}


def test_the_industry_lookup_has_a_row_for_every_four_digit_code(
    rules: ClassificationRules,
) -> None:
    gbt = build_plan(rules).lookups["gbt_class"].table
    assert gbt.num_rows == 10_000
    rows = {r["key"]: r for r in gbt.to_pylist()}
    assert rows["3911"]["full_de"] == "010101" and rows["3911"]["section"] == "C"
    assert rows["3831"]["cand_1"] == "010606" and rows["3831"]["cand_2"] == "050203"
    assert rows["3999"]["section"] is None  # well-formed but not a class
    slots = [c for c in gbt.column_names if c.startswith("cand_")]
    assert len(slots) == max(len(m.partial) for m in rules.mapping.values())
