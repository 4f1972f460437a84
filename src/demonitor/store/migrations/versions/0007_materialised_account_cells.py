"""materialised value-added cells, and an index to find the latest change of microdata

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_cells",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("edition", sa.String(length=64), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("de_code", sa.String(length=6), nullable=False),
        sa.Column("value_added", sa.Float(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.Column("estimated", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("edition", "data_version", "period", "region_code", "de_code"),
    )
    op.create_table(
        "account_builds",
        sa.Column("edition", sa.String(length=64), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("periods", sa.Text(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("edition"),
    )
    # The accounts ask "what is the newest change of the microdata?" on every read.
    op.create_index("ix_audit_log_entity_id", "audit_log", ["entity", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_entity_id", table_name="audit_log")
    op.drop_table("account_builds")
    op.drop_table("account_cells")
