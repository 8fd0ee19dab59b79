"""Office hours: ``opening_hours`` per municipality and the municipality's ``timezone``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-15

Existing municipalities get ``Europe/Berlin`` and no hours, which means always open, so
an upgraded console takes calls exactly as before until someone runs ``set-hours``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the timezone column and the opening_hours table."""
    with op.batch_alter_table("municipalities") as batch:
        batch.add_column(
            sa.Column("timezone", sa.String(64), nullable=False, server_default="Europe/Berlin")
        )
    op.create_table(
        "opening_hours",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "municipality_id",
            sa.Integer(),
            sa.ForeignKey("municipalities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.String(5), nullable=False),
        sa.Column("closes", sa.String(5), nullable=False),
    )
    op.create_index("ix_opening_hours_municipality_id", "opening_hours", ["municipality_id"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("opening_hours")
    with op.batch_alter_table("municipalities") as batch:
        batch.drop_column("timezone")
