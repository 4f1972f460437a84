"""The statistics bureau's review of unit identification, kept as classification vintages and
exported as the engine's overrides file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from demonitor.core.classify import ClassificationRules
from demonitor.engine.sources import load_overrides
from demonitor.services.identification import (
    ReviewError,
    decide_case,
    overrides_rows,
    review_cases,
)
from demonitor.store.account_cells import latest_classifications
from demonitor.store.catalogue import seed_reference
from demonitor.store.db import session_scope
from demonitor.store.models import Classification, Enterprise
from demonitor.store.observations import utcnow

EDITION = "nbs-de-2021-reconstructed"
CANDIDATE = "91321202MA1XXXXX0A"
PARTIAL = "91321202MA1XXXXX1B"
RULED = "91321202MA1XXXXX2C"


def _units(session: Session) -> None:
    seed_reference(session, "test")
    rows = [
        (CANDIDATE, "泰州某科技有限公司", "5190", None, "candidate", "first_scope_item"),
        (PARTIAL, "泰州某线缆有限公司", "3831", "010606", "classified", "business_scope"),
        (RULED, "泰州某软件有限公司", "6511", "030101", "classified", "industry_code"),
    ]
    for code, name, industry, de_code, status, method in rows:
        session.add(
            Enterprise(
                credit_code=code,
                name=name,
                region_code="321202",
                industry_code=industry,
                business_scope="软件开发；通信电缆制造",
            )
        )
        session.flush()
        session.add(
            Classification(
                credit_code=code,
                edition=EDITION,
                de_code=de_code,
                status=status,
                method=method,
                evidence="规则依据",
                reason="",
                vintage=1,
                recorded_at=utcnow(),
                recorded_by="engine",
            )
        )
    session.flush()


def test_the_queues_hold_what_the_rules_could_not_settle(engine: Engine) -> None:
    with session_scope(engine) as session:
        _units(session)
        candidates, total = review_cases(session, EDITION, "candidate")
        assert (total, [c.credit_code for c in candidates]) == (1, [CANDIDATE])
        partial, _ = review_cases(session, EDITION, "partial")
        assert [(c.credit_code, c.de_code) for c in partial] == [(PARTIAL, "010606")]
        assert review_cases(session, EDITION, "reviewed") == ([], 0)


def test_a_decision_is_a_new_vintage_that_the_accounts_follow(engine: Engine) -> None:
    with session_scope(engine) as session:
        _units(session)
        assert set(latest_classifications(session, EDITION)) == {PARTIAL, RULED}
        with pytest.raises(ReviewError, match="确认须选择小类代码"):
            decide_case(session, EDITION, CANDIDATE, True, None, "软件开发为主业", "stats")
        with pytest.raises(ReviewError, match="复核须说明理由"):
            decide_case(session, EDITION, CANDIDATE, True, "030101", " ", "stats")
        with pytest.raises(ReviewError, match=r"不是.*的小类代码"):
            decide_case(session, EDITION, CANDIDATE, True, "03", "软件开发为主业", "stats")
        confirmed = decide_case(
            session, EDITION, CANDIDATE, True, "030101", "软件开发为主业", "stats"
        )
        rejected = decide_case(session, EDITION, PARTIAL, False, None, "只生产电力电缆", "stats")
        assert (confirmed.vintage, confirmed.method, confirmed.de_code) == (
            2, "review_confirmed", "030101",
        )  # fmt: skip
        assert (rejected.vintage, rejected.status, rejected.de_code) == (2, "not_digital", None)
        assert latest_classifications(session, EDITION) == {CANDIDATE: "030101", RULED: "030101"}
        assert review_cases(session, EDITION, "candidate")[1] == 0
        assert review_cases(session, EDITION, "reviewed")[1] == 2


def test_decisions_export_as_an_overrides_file_the_engine_reads(
    engine: Engine, tmp_path: Path, rules: ClassificationRules
) -> None:
    with session_scope(engine) as session:
        _units(session)
        decide_case(session, EDITION, CANDIDATE, True, "030101", "软件开发为主业", "stats")
        decide_case(session, EDITION, PARTIAL, False, None, "只生产电力电缆", "stats")
        rows = overrides_rows(session, EDITION)
    path = tmp_path / "overrides.csv"
    lines = ["统一社会信用代码,数字经济分类代码,理由"] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    overrides = load_overrides(path, rules)
    assert {(o.credit_code, o.de_code, o.note) for o in overrides.values()} == {
        (CANDIDATE, "030101", "软件开发为主业"),
        (PARTIAL, "", "只生产电力电缆"),  # empty: not a digital-economy unit
    }
