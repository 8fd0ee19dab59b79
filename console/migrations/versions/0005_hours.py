"""Office hours live only per office: drop the municipality-level ``opening_hours``.

Revision ID: 0005_hours
Revises: 0004
Create Date: 2026-11-26

Revision 0004 copied every municipality's week into its office's ``office_hours``; nothing
reads ``opening_hours`` since, so it goes. A downgrade recreates it from each
municipality's first office, so going back to 0004 (and below) loses no hours.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_hours"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Drop the old table; its rows were copied into office_hours by 0004."""
    op.drop_table("opening_hours")


def downgrade() -> None:
    """Recreate opening_hours from each municipality's first office."""
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
    op.execute(
        "INSERT INTO opening_hours (municipality_id, weekday, opens, closes)"
        " SELECT o.municipality_id, h.weekday, h.opens, h.closes FROM office_hours h"
        " JOIN offices o ON o.id = h.office_id"
        " WHERE o.id = (SELECT MIN(f.id) FROM offices f"
        " WHERE f.municipality_id = o.municipality_id)"
    )
