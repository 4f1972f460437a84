"""the date of a recognition, so that counts as of a quarter take only what was recognised by then

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recognitions") as batch:
        batch.add_column(sa.Column("recognised_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recognitions") as batch:
        batch.drop_column("recognised_on")
