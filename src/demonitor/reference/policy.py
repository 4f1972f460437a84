"""The policy's quantified targets and key tasks, as shipped data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from demonitor.reference._files import data_path, read_csv_rows


@dataclass(frozen=True)
class Target:
    code: str
    section: str
    name_zh: str
    name_en: str
    unit: str
    kind: str  # ratio | count_cumulative | milestone
    comparator: str  # approx | ge | gt | eq
    target: float
    target_year: int
    wording_zh: str
    suggested_owner_zh: str
    note: str


@dataclass(frozen=True)
class Task:
    number: int
    pillar_no: str
    pillar_zh: str
    title_zh: str
    title_en: str
    related_targets: tuple[str, ...]
    lead_unit_illustrative: str


@cache
def load_targets() -> tuple[Target, ...]:
    return tuple(
        Target(
            code=r["code"],
            section=r["section"],
            name_zh=r["name_zh"],
            name_en=r["name_en"],
            unit=r["unit"],
            kind=r["kind"],
            comparator=r["comparator"],
            target=float(r["target"]),
            target_year=int(r["target_year"]),
            wording_zh=r["wording_zh"],
            suggested_owner_zh=r["suggested_owner_zh"],
            note=r["note"],
        )
        for r in read_csv_rows(data_path("policy/targets.csv"))
    )


@cache
def load_tasks() -> tuple[Task, ...]:
    return tuple(
        Task(
            number=int(r["task_no"]),
            pillar_no=r["pillar_no"],
            pillar_zh=r["pillar_zh"],
            title_zh=r["title_zh"],
            title_en=r["title_en"],
            related_targets=tuple(t for t in r["related_targets"].split(";") if t),
            lead_unit_illustrative=r["lead_unit_illustrative"],
        )
        for r in read_csv_rows(data_path("policy/tasks.csv"))
    )
