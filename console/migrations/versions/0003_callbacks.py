"""Callback requests of citizens (name, phone, language, reason) and who handled them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-01-15

``(terminal_id, request_id)`` is unique so that a terminal resending a request after a
lost ``callback.accepted`` finds its first row instead of creating a second one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import UTCDateTime

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the callbacks table."""
    op.create_table(
        "callbacks",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "municipality_id",
            sa.Integer(),
            sa.ForeignKey("municipalities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "terminal_id",
            sa.String(32),
            sa.ForeignKey("terminals.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False, server_default="open"),
        sa.Column(
            "done_by",
            sa.Integer(),
            sa.ForeignKey("caseworkers.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("terminal_id", "request_id"),
    )
    op.create_index("ix_callbacks_municipality_id", "callbacks", ["municipality_id"])
    op.create_index("ix_callbacks_done_at", "callbacks", ["done_at"])


def downgrade() -> None:
    """Drop the callbacks table."""
    op.drop_table("callbacks")
