"""Initial schema: municipalities, caseworkers, terminals, enrollment codes.

Revision ID: 0001
Revises:
Create Date: 2025-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import UTCDateTime

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "municipalities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
    )
    op.create_table(
        "caseworkers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "municipality_id",
            sa.Integer(),
            sa.ForeignKey("municipalities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.create_index("ix_caseworkers_municipality_id", "caseworkers", ["municipality_id"])
    op.create_table(
        "terminals",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "municipality_id",
            sa.Integer(),
            sa.ForeignKey("municipalities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credential_hash", sa.String(64), nullable=True),
        sa.Column("enrolled_at", UTCDateTime(), nullable=True),
        sa.Column("last_seen", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_terminals_municipality_id", "terminals", ["municipality_id"])
    op.create_table(
        "enrollment_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column(
            "terminal_id",
            sa.String(32),
            sa.ForeignKey("terminals.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_enrollment_codes_terminal_id", "enrollment_codes", ["terminal_id"])


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_table("enrollment_codes")
    op.drop_table("terminals")
    op.drop_table("caseworkers")
    op.drop_table("municipalities")
