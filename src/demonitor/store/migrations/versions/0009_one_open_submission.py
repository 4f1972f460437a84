"""one open submission (draft, submitted, returned) per submitter and period

Simultaneous saves could create several open submissions of one submitter for one period (and
approving them published one vintage each). Before the partial unique index is created, the
duplicates already in a database are closed:

- of each submitter's open submissions of a period, the one furthest along the workflow is kept
  (submitted, then returned, then draft) and, among those, the oldest — the one the submission
  form has been showing, since it took the first it found;
- every other becomes ``superseded`` (已作废): closed, never published, its values kept; its
  comment names the one kept; ``reviewed_by`` is ``migration:0009``; and each is audited
  (action ``supersede``, the status before and after).

Downgrading drops the index and gives the superseded submissions their status back (audited as
``unsupersede``), as the code before this revision knows no ``superseded``.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEX = "uq_submissions_open"
OPEN = ("draft", "submitted", "returned")
OPEN_SQL = "status IN ('draft', 'submitted', 'returned')"
KEEP_FIRST = {"submitted": 0, "returned": 1, "draft": 2}
ACTOR = "migration:0009"
REASON = "一个填报人每期只保留一份未结填报 / one open submission per submitter and period"

submissions = sa.table(
    "submissions",
    sa.column("id", sa.Integer),
    sa.column("owner", sa.String),
    sa.column("period", sa.String),
    sa.column("status", sa.String),
    sa.column("comment", sa.Text),
    sa.column("reviewed_by", sa.String),
    sa.column("reviewed_at", sa.DateTime(timezone=True)),
)
audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_key", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
    sa.column("reason", sa.Text),
)


def _snapshot(row: Any) -> dict[str, object]:
    reviewed_at = row.reviewed_at.isoformat() if row.reviewed_at else None
    return {
        "status": row.status,
        "period": row.period,
        "comment": row.comment,
        "reviewed_by": row.reviewed_by,
        "reviewed_at": reviewed_at,
    }


def _audit(action: str, key: int, before: dict[str, object], after: dict[str, object]) -> None:
    op.get_bind().execute(
        audit_log.insert().values(
            at=dt.datetime.now(dt.UTC),
            actor=ACTOR,
            action=action,
            entity="submission",
            entity_key=str(key),
            before=before,
            after=after,
            reason=REASON,
        )
    )


def upgrade() -> None:
    bind = op.get_bind()
    found = bind.execute(
        sa.select(
            submissions.c.id,
            submissions.c.owner,
            submissions.c.period,
            submissions.c.status,
            submissions.c.comment,
            submissions.c.reviewed_by,
            submissions.c.reviewed_at,
        )
        .where(submissions.c.status.in_(OPEN))
        .order_by(submissions.c.id)
    ).all()
    by_owner_period: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in found:
        by_owner_period[(row.owner, row.period)].append(row)
    now = dt.datetime.now(dt.UTC)
    for rows in by_owner_period.values():
        if len(rows) < 2:
            continue
        kept = min(rows, key=lambda r: (KEEP_FIRST[r.status], r.id))
        for row in rows:
            if row.id == kept.id:
                continue
            comment = (
                f"与#{kept.id}重复，已作废（迁移0009）/ superseded by #{kept.id}, "
                "a duplicate open submission of the same submitter and period (migration 0009)"
            )
            bind.execute(
                submissions.update()
                .where(submissions.c.id == row.id)
                .values(status="superseded", comment=comment, reviewed_by=ACTOR, reviewed_at=now)
            )
            after = {
                "status": "superseded",
                "period": row.period,
                "comment": comment,
                "reviewed_by": ACTOR,
                "reviewed_at": now.isoformat(),
            }
            _audit("supersede", row.id, _snapshot(row), after)
    op.create_index(
        INDEX,
        "submissions",
        ["owner", "period"],
        unique=True,
        sqlite_where=sa.text(OPEN_SQL),
        postgresql_where=sa.text(OPEN_SQL),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="submissions")
    bind = op.get_bind()
    entries = bind.execute(
        sa.select(audit_log.c.entity_key, audit_log.c.before).where(
            audit_log.c.entity == "submission",
            audit_log.c.action == "supersede",
            audit_log.c.actor == ACTOR,
        )
    ).all()
    for key, before in entries:
        current = bind.execute(
            sa.select(
                submissions.c.id,
                submissions.c.period,
                submissions.c.status,
                submissions.c.comment,
                submissions.c.reviewed_by,
                submissions.c.reviewed_at,
            ).where(submissions.c.id == int(key))
        ).first()
        if current is None or current.status != "superseded":
            continue
        bind.execute(
            submissions.update()
            .where(submissions.c.id == current.id)
            .values(
                status=before["status"],
                comment=before["comment"],
                reviewed_by=before["reviewed_by"],
                reviewed_at=(
                    dt.datetime.fromisoformat(before["reviewed_at"])
                    if before["reviewed_at"]
                    else None
                ),
            )
        )
        _audit("unsupersede", current.id, _snapshot(current), dict(before))
