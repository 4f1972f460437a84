"""Identification of digital-economy units (数字经济单位识别): the rules, as pure data and code.

A unit is classified from its GB/T 4754-2017 class and its business scope (经营范围):

1. ``industry_code``: the class maps wholly to one 小类 → that 小类.
2. ``business_scope``: the class maps only partly (``*``) → the first candidate 小类 (core before
   05) whose scope rule matches: exclude terms are masked out of the scope, then an include
   term must appear. Otherwise the unit is not digital, with the reason.
3. ``first_scope_item``: a unit left unclassified whose first scope item is a digital activity is
   a ``candidate`` for review (NBS classifies by main activity; the code may be wrong).
4. ``manual``: a decision from the overrides file wins over the rules.

Rows that fail validation are ``rejected`` with every reason, in Chinese and English.

This module is the reference implementation, one row at a time. ``demonitor.engine`` runs the
same rules as one vectorised plan; the two are tested against each other. Every text a row can
carry is a template below, so both produce identical output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from demonitor.core.credit_code import credit_code_problem
from demonitor.reference.digital_economy import ClassMapping, Edition
from demonitor.reference.gbt4754 import IndustryTree
from demonitor.reference.scope_rules import DigitalActivityTerm, ScopeRule

# Columns of the register, with the Chinese headers accepted for each.
REGISTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码", "信用代码"),
    "name": ("单位名称", "企业名称", "名称"),
    "region_code": ("行政区划代码", "区划代码"),
    "industry_code": ("行业代码", "国民经济行业代码"),
    "business_scope": ("经营范围",),
}
OUTPUT_COLUMNS = (
    "credit_code",
    "name",
    "region_code",
    "industry_code",
    "de_code",
    "de_name",
    "de_category",
    "core",
    "method",
    "evidence",
    "status",
    "reason",
    "edition",
    "source_row",
)
STATUSES = ("classified", "not_digital", "candidate", "rejected")
METHODS = ("industry_code", "business_scope", "first_scope_item", "manual", "validation")

# Whitespace trimmed from both ends of every field, including the ideographic space.
TRIM_CHARS = " \t\r\n\u3000"
INDUSTRY_CODE_PATTERN = r"^([A-Ta-t]?)([0-9]{4})$"
# 经营范围 begins with an optional section label (all five characters long); the first item ends
# at the first separator, tried in this order.
SCOPE_LABELS = ("一般项目：", "一般项目:", "许可项目：", "许可项目:")
ITEM_SEPARATORS = ("；", ";", "。", "（", "(")
# Exclude terms are replaced by this character, so that no include term can form across the gap.
MASK = "|"

# Text templates. Placeholders are filled by the Python rules here and by the SQL plan alike.
REASON_SEPARATOR = "；"
MESSAGES: dict[str, str] = {
    "credit_code_missing": "[credit_code] 统一社会信用代码为空 / credit_code is missing",
    "credit_code_shape": (
        "[credit_code] 统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z） / "
        "must be 18 characters of 0-9 and A-Z without I, O, S, V, Z"
    ),
    "credit_code_check": (
        "[credit_code] 统一社会信用代码校验码错误（应为{expected}） / "
        "wrong check character (expected {expected})"
    ),
    "credit_code_duplicate": (
        "[credit_code] 统一社会信用代码与第{first_row}行重复 / duplicate of row {first_row}"
    ),
    "name_missing": "[name] 单位名称为空 / name is missing",
    "region_missing": "[region_code] 行政区划代码为空 / region_code is missing",
    "region_unknown": (
        "[region_code] 行政区划代码{region_code}不在区划表中 / {region_code} is not a known region"
    ),
    "industry_missing": "[industry_code] 行业代码为空 / industry_code is missing",
    "industry_invalid": (
        "[industry_code] 行业代码「{industry_code}」不是GB/T 4754-2017的小类 / "
        "{industry_code} is not a GB/T 4754-2017 class"
    ),
    "industry_section": (
        "[industry_code] 门类字母{letter}与行业代码{code}（门类{section}）不符 / "
        "section letter {letter} does not match {code} (section {section})"
    ),
    "evidence_industry": "GB/T 4754 {industry_code} {industry_name} → {de_code} {de_name}",
    "evidence_scope": "经营范围含“{term}” → {de_code} {de_name}",
    "evidence_candidate": "经营范围首项“{item}”含“{term}”（参考 {suggested}）",
    "evidence_manual": "人工认定 / manual decision: {note}",
    "reason_candidate": (
        "主营疑似数字经济活动，行业代码{industry_code}未据此归类，请人工复核 / "
        "first scope item is a digital activity that industry code {industry_code} "
        "does not classify: review"
    ),
    "reason_outside": (
        "行业代码{industry_code}不属于数字经济及其核心产业分类 / "
        "industry code {industry_code} is outside the classification"
    ),
    "reason_partial": (
        "行业代码{industry_code}仅部分属于{candidates}，经营范围未见相应数字活动 / "
        "industry code {industry_code} is only partly digital ({candidates}) "
        "and the business scope shows no matching activity"
    ),
    "reason_manual_not_digital": (
        "人工认定为非数字经济单位 / manual decision: not a digital-economy unit"
    ),
}


def message(key: str, **values: object) -> str:
    return MESSAGES[key].format(**values)


@dataclass(frozen=True)
class Override:
    """A manual decision keyed by credit code; an empty ``de_code`` means "not digital"."""

    credit_code: str
    de_code: str
    note: str


@dataclass(frozen=True)
class CompiledScopeRule:
    de_code: str
    include: tuple[str, ...]  # in priority order: the first one present is the evidence
    exclude: tuple[str, ...]  # masked out first, longest first


@dataclass(frozen=True)
class ClassificationRules:
    """Everything the rules need, as plain data; built once per run."""

    edition_name: str
    edition_label: str
    de_names: Mapping[str, str]
    de_core: Mapping[str, bool]
    mapping: Mapping[str, ClassMapping]
    scope_rules: Mapping[str, CompiledScopeRule]
    digital_terms_pattern: str  # leftmost match; at one position, the earlier term in the list
    digital_term_suggestion: Mapping[str, str]
    industry_names: Mapping[str, str]
    industry_sections: Mapping[str, str]
    regions: frozenset[str]
    rules_version: str

    def partial_classes_without_rule(self) -> list[str]:
        needed = {code for m in self.mapping.values() for code in m.partial}
        return sorted(needed - set(self.scope_rules))


def build_rules(
    edition: Edition,
    tree: IndustryTree,
    regions: frozenset[str],
    scope_rules: Mapping[str, ScopeRule],
    digital_terms: tuple[DigitalActivityTerm, ...],
    rules_version: str,
) -> ClassificationRules:
    small = edition.small_classes()
    return ClassificationRules(
        edition_name=edition.name,
        edition_label=edition.label(),
        de_names={c.code: c.name for c in small},
        de_core={c.code: c.core for c in small},
        mapping=edition.industry_mapping(tree),
        scope_rules={
            code: CompiledScopeRule(
                code, rule.include, tuple(sorted(rule.exclude, key=len, reverse=True))
            )
            for code, rule in scope_rules.items()
            if code in edition.classes
        },
        digital_terms_pattern="|".join(re.escape(t.term) for t in digital_terms),
        digital_term_suggestion={t.term: t.suggests_de_code for t in digital_terms},
        industry_names={i.code: i.name for i in tree.classes()},
        industry_sections={i.code: tree.section_of(i.code) for i in tree.classes()},
        regions=regions,
        rules_version=rules_version,
    )


def clean(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip(TRIM_CHARS)


def normalise_industry_code(raw: str) -> tuple[str, str]:
    """(letter, 4-digit code) when the text has the form ``C3911`` or ``3911``, else ("", "")."""
    match = re.match(INDUSTRY_CODE_PATTERN, raw)
    if not match:
        return "", ""
    return match.group(1).upper(), match.group(2)


def first_scope_item(scope: str) -> str:
    """The first item of the scope, without its 一般项目/许可项目 label."""
    text = scope.lstrip(TRIM_CHARS)
    label = next((label for label in SCOPE_LABELS if text.startswith(label)), "")
    text = text[len(label) :]
    for separator in ITEM_SEPARATORS:
        text = text.split(separator, 1)[0]
    return clean(text)


def mask_terms(text: str, terms: tuple[str, ...]) -> str:
    """Replace each term (in the given order) by MASK, so no other term can match inside it."""
    for term in terms:
        text = text.replace(term, MASK)
    return text


def first_present(text: str, terms: tuple[str, ...]) -> str:
    """The first of the terms, in their order, that occurs in the text, or ""."""
    return next((term for term in terms if term in text), "")


def scope_rule_match(scope: str, rule: CompiledScopeRule) -> str:
    """The include term that shows the activity, after masking the exclude terms, or ""."""
    return first_present(mask_terms(scope, rule.exclude), rule.include)


def validation_reasons(
    row: Mapping[str, str], rules: ClassificationRules, duplicate_of: int | None
) -> list[str]:
    reasons: list[str] = []
    credit_code = row["credit_code"]
    problem = credit_code_problem(credit_code)
    if problem:
        kind, expected = problem
        reasons.append(message(f"credit_code_{kind}", expected=expected))
    elif duplicate_of is not None:
        reasons.append(message("credit_code_duplicate", first_row=duplicate_of))
    if not row["name"]:
        reasons.append(message("name_missing"))
    region = row["region_code"]
    if not region:
        reasons.append(message("region_missing"))
    elif region not in rules.regions:
        reasons.append(message("region_unknown", region_code=region))
    raw_industry = row["industry_code"]
    letter, code = normalise_industry_code(raw_industry)
    if not raw_industry:
        reasons.append(message("industry_missing"))
    elif code not in rules.industry_sections:
        reasons.append(message("industry_invalid", industry_code=raw_industry))
    elif letter and letter != rules.industry_sections[code]:
        section = rules.industry_sections[code]
        reasons.append(message("industry_section", letter=letter, code=code, section=section))
    return reasons


def classify_unit(
    row: Mapping[str, object],
    rules: ClassificationRules,
    *,
    duplicate_of: int | None = None,
    override: Override | None = None,
    source_row: int = 0,
) -> dict[str, object]:
    """Classify one register row. ``duplicate_of`` is the row number of an earlier row with the
    same credit code; ``source_row`` the row number of this one (the header is row 1)."""
    fields = {column: clean(row.get(column)) for column in REGISTER_COLUMNS}
    fields["credit_code"] = fields["credit_code"].upper()
    _, code = normalise_industry_code(fields["industry_code"])
    result: dict[str, object] = {
        "credit_code": fields["credit_code"],
        "name": fields["name"],
        "region_code": fields["region_code"],
        "industry_code": code or fields["industry_code"],
        "de_code": "",
        "de_name": "",
        "de_category": "",
        "core": False,
        "method": "",
        "evidence": "",
        "status": "",
        "reason": "",
        "edition": rules.edition_name,
        "source_row": source_row,
    }
    reasons = validation_reasons(fields, rules, duplicate_of)
    if reasons:
        result.update(method="validation", status="rejected", reason=REASON_SEPARATOR.join(reasons))
        return result

    def assign(de_code: str, method: str, evidence: str) -> dict[str, object]:
        result.update(
            de_code=de_code,
            de_name=rules.de_names[de_code],
            de_category=de_code[:2],
            core=rules.de_core[de_code],
            method=method,
            evidence=evidence,
            status="classified",
        )
        return result

    if override is not None:
        if override.de_code:
            return assign(
                override.de_code, "manual", message("evidence_manual", note=override.note)
            )
        result.update(
            method="manual",
            evidence=message("evidence_manual", note=override.note),
            status="not_digital",
            reason=message("reason_manual_not_digital"),
        )
        return result

    mapping = rules.mapping.get(code, ClassMapping(None))
    if mapping.full:
        evidence = message(
            "evidence_industry",
            industry_code=code,
            industry_name=rules.industry_names[code],
            de_code=mapping.full,
            de_name=rules.de_names[mapping.full],
        )
        return assign(mapping.full, "industry_code", evidence)

    scope = fields["business_scope"]
    for candidate in mapping.partial:
        rule = rules.scope_rules.get(candidate)
        term = scope_rule_match(scope, rule) if rule else ""
        if term:
            evidence = message(
                "evidence_scope", term=term, de_code=candidate, de_name=rules.de_names[candidate]
            )
            return assign(candidate, "business_scope", evidence)

    item = first_scope_item(scope)
    found = re.search(rules.digital_terms_pattern, item) if item else None
    term = found.group(0) if found else ""
    if term:
        suggested = rules.digital_term_suggestion[term]
        result.update(
            method="first_scope_item",
            evidence=message("evidence_candidate", item=item, term=term, suggested=suggested),
            status="candidate",
            reason=message("reason_candidate", industry_code=code),
        )
        return result

    if mapping.partial:
        result.update(
            method="business_scope",
            status="not_digital",
            reason=message(
                "reason_partial", industry_code=code, candidates="/".join(mapping.partial)
            ),
        )
    else:
        result.update(
            method="industry_code",
            status="not_digital",
            reason=message("reason_outside", industry_code=code),
        )
    return result


def classify_register(
    rows: list[Mapping[str, object]],
    rules: ClassificationRules,
    overrides: Mapping[str, Override] | None = None,
) -> list[dict[str, object]]:
    """The reference implementation over a whole register, in input order."""
    overrides = overrides or {}
    first_seen: dict[str, int] = {}
    results = []
    for index, row in enumerate(rows):
        source_row = index + 2  # the header is row 1
        credit_code = clean(row.get("credit_code")).upper()
        duplicate_of = first_seen.get(credit_code) if credit_code else None
        if credit_code and duplicate_of is None:
            first_seen[credit_code] = source_row
        results.append(
            classify_unit(
                row,
                rules,
                duplicate_of=duplicate_of,
                override=overrides.get(credit_code),
                source_row=source_row,
            )
        )
    return results
