"""Assemble the classification rules from the reference data of a run."""

from __future__ import annotations

from demonitor.core.classify import ClassificationRules, build_rules
from demonitor.reference.digital_economy import load_edition
from demonitor.reference.gbt4754 import load_industry_tree
from demonitor.reference.regions import load_regions
from demonitor.reference.scope_rules import (
    RULES_VERSION,
    load_digital_activity_terms,
    load_scope_rules,
)


def load_classification_rules(
    edition: str | None = None, regions_file: str | None = None
) -> ClassificationRules:
    regions = load_regions(regions_file)
    return build_rules(
        load_edition(edition),
        load_industry_tree(),
        frozenset(r.code for r in regions),
        load_scope_rules(),
        load_digital_activity_terms(),
        RULES_VERSION,
    )
