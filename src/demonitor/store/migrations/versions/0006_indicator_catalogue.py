"""indicator catalogue columns of indicators

The columns the city profile's indicator catalogue (reference/city.py) gives every indicator
besides those it had: how a missing base-year value is handled, its natural limit, who collects
it, whether it is a stock or a count since the base year, where its values come from, and the
policy's note. Existing rows get what their kind implies; ``demonitor init`` then sets every
column from the city profile.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "missing_base",
                sa.String(length=16),
                server_default="no_assessment",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("natural_limit", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "collected_by", sa.String(length=16), server_default="department", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("measure", sa.String(length=16), server_default="stock", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "source", sa.String(length=128), server_default="observations", nullable=False
            )
        )
        batch_op.add_column(sa.Column("note", sa.Text(), server_default="", nullable=False))
    op.execute(
        "UPDATE indicators SET measure = 'count_since_base', missing_base = 'zero' "
        "WHERE kind = 'count_cumulative'"
    )
    op.execute("UPDATE indicators SET missing_base = 'zero' WHERE kind = 'milestone'")


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35, PostgreSQL): a batch copy of the table
    # would have to drop the table that targets refer to.
    for column in ("note", "source", "measure", "collected_by", "natural_limit", "missing_base"):
        op.drop_column("indicators", column)
