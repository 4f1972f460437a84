"""The access policy, role by role: allowed and refused, with a reason for each."""

from __future__ import annotations

import itertools

import pytest

from demonitor.core.permissions import (
    Action,
    Kind,
    Level,
    Principal,
    Resource,
    Role,
    decide,
)

ADMIN = Principal(Role.ADMIN, "admin")
OFFICE = Principal(Role.OFFICE, "fgw")
STATS = Principal(Role.STATISTICS, "tjj")
INDUSTRY = Principal(Role.DEPARTMENT, "gxj", indicators=frozenset({"DE04", "DE05"}))
HAILING = Principal(Role.DISTRICT, "hailing", region="321202")
LEADER = Principal(Role.LEADER, "leader")
PUBLIC = Principal(Role.PUBLIC)
EVERYONE = (ADMIN, OFFICE, STATS, INDUSTRY, HAILING, LEADER, PUBLIC)

MICRODATA = Resource(Kind.MICRODATA, Level.SECRET)
HAILING_DRAFT = Resource(Kind.SUBMISSION, region="321202", indicator="DE13")
GAOGANG_DRAFT = Resource(Kind.SUBMISSION, region="321203", indicator="DE13")
GAOGANG_PUBLISHED = Resource(Kind.AGGREGATE, Level.PUBLIC, region="321203", published=True)
DE05_DRAFT = Resource(Kind.SUBMISSION, region="321200", indicator="DE05")
DE13_DRAFT = Resource(Kind.SUBMISSION, region="321200", indicator="DE13")
INTERNAL_AGGREGATE = Resource(Kind.AGGREGATE, Level.INTERNAL, region="321200", published=True)
SECRET_AGGREGATE = Resource(Kind.AGGREGATE, Level.SECRET, region="321200")
AUDIT = Resource(Kind.AUDIT)
USERS = Resource(Kind.USERS)

# The region- and indicator-scoped data that every internal role meets.
SCOPED = (
    HAILING_DRAFT,
    GAOGANG_DRAFT,
    GAOGANG_PUBLISHED,
    DE05_DRAFT,
    DE13_DRAFT,
    INTERNAL_AGGREGATE,
)
RESOURCES = (MICRODATA, *SCOPED, SECRET_AGGREGATE, AUDIT, USERS)

# (principal, action, resource) → allowed; everything not listed here is refused.
ALLOWED = {
    *((ADMIN, a, r) for a in Action for r in RESOURCES),
    (STATS, Action.READ, MICRODATA),
    (STATS, Action.WRITE, MICRODATA),
    # The statistics bureau also confirms identification decisions (approve on microdata).
    (STATS, Action.APPROVE, MICRODATA),
    (OFFICE, Action.READ, AUDIT),
    *((p, Action.READ, r) for p in (OFFICE, STATS, LEADER) for r in SCOPED),
    (OFFICE, Action.READ, SECRET_AGGREGATE),
    (LEADER, Action.READ, SECRET_AGGREGATE),
    *((p, Action.WRITE, r) for p in (OFFICE, STATS) for r in SCOPED),
    (OFFICE, Action.WRITE, SECRET_AGGREGATE),
    *((OFFICE, Action.APPROVE, r) for r in (*SCOPED, SECRET_AGGREGATE)),
    (HAILING, Action.READ, HAILING_DRAFT),
    (HAILING, Action.WRITE, HAILING_DRAFT),
    (HAILING, Action.READ, GAOGANG_PUBLISHED),
    (HAILING, Action.READ, INTERNAL_AGGREGATE),
    (INDUSTRY, Action.READ, DE05_DRAFT),
    (INDUSTRY, Action.WRITE, DE05_DRAFT),
    (INDUSTRY, Action.READ, GAOGANG_PUBLISHED),
    (INDUSTRY, Action.READ, INTERNAL_AGGREGATE),
    (PUBLIC, Action.READ, GAOGANG_PUBLISHED),
}


@pytest.mark.parametrize(
    ("principal", "action", "resource"),
    list(itertools.product(EVERYONE, Action, RESOURCES)),
)
def test_every_role_action_and_resource(
    principal: Principal, action: Action, resource: Resource
) -> None:
    decision = decide(principal, action, resource)
    assert bool(decision) == ((principal, action, resource) in ALLOWED), decision
    assert decision.reason_zh and decision.reason_en


def test_refusals_say_why_in_both_languages() -> None:
    refusal = decide(LEADER, Action.READ, MICRODATA)
    assert not refusal and "统计法" in refusal.reason_zh and "Statistics Law" in refusal.reason_en
    district = decide(HAILING, Action.WRITE, GAOGANG_DRAFT)
    assert not district and "本区划" in district.reason_zh
