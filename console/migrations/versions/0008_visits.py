"""The mobile office's schedule: public outpost hours and private home visits.

Revision ID: 0008_visits
Revises: 0007_kit_documents
Create Date: 2026-11-27

``outpost_hours``: a date, local times, place and address, the office (and optionally the
queue) that runs it; the terminals' welcome screens show the next ones. ``home_visits``:
a time, duration, a short place, the staff member and a status; personal data, deleted by
the retention job ``home_visit_retention_days`` after the visit (console/store/visits.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import UTCDateTime

revision = "0008_visits"
down_revision: str | tuple[str, ...] | None = "0007_kit_documents"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create outpost_hours and home_visits."""
    op.create_table(
        "outpost_hours",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "municipality_id",
            sa.Integer(),
            sa.ForeignKey("municipalities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "office_id", sa.Integer(), sa.ForeignKey("offices.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "queue_id", sa.Integer(), sa.ForeignKey("queues.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts", sa.String(5), nullable=False),
        sa.Column("ends", sa.String(5), nullable=False),
        sa.Column("place", sa.String(120), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
    )  # fmt: skip
    op.create_index("ix_outpost_hours_municipality_id", "outpost_hours", ["municipality_id"])
    op.create_index("ix_outpost_hours_day", "outpost_hours", ["day"])
    op.create_table(
        "home_visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "municipality_id",
            sa.Integer(),
            sa.ForeignKey("municipalities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(80), nullable=False),
        sa.Column(
            "caseworker_id", sa.Integer(), sa.ForeignKey("caseworkers.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("status", sa.String(16), nullable=False),
    )  # fmt: skip
    op.create_index("ix_home_visits_municipality_id", "home_visits", ["municipality_id"])
    op.create_index("ix_home_visits_at", "home_visits", ["at"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("home_visits")
    op.drop_table("outpost_hours")
