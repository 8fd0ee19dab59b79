"""Mobile kits: a terminal's kind, one-time kit codes and staff sessions on kits (issue 8).

Revision ID: 0009_kits
Revises: 0008_visits
Create Date: 2026-11-27

``terminals.kind`` is ``stationary`` (every terminal so far) or ``mobile``; ``kit_codes``
holds the hashes of the short-lived codes caseworkers create for signing in on a kit;
``kit_sessions`` the staff member signed in on each kit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_kits"
down_revision: str | tuple[str, ...] | None = "0008_visits"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add terminals.kind, kit_codes and kit_sessions."""
    with op.batch_alter_table("terminals") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="stationary")
        )
    op.create_table(
        "kit_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column(
            "caseworker_id",
            sa.Integer(),
            sa.ForeignKey("caseworkers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_kit_codes_caseworker_id", "kit_codes", ["caseworker_id"])
    op.create_table(
        "kit_sessions",
        sa.Column(
            "terminal_id",
            sa.String(32),
            sa.ForeignKey("terminals.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "caseworker_id",
            sa.Integer(),
            sa.ForeignKey("caseworkers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kit_sessions_caseworker_id", "kit_sessions", ["caseworker_id"])


def downgrade() -> None:
    """Drop kit_sessions, kit_codes and terminals.kind."""
    op.drop_index("ix_kit_sessions_caseworker_id", "kit_sessions")
    op.drop_table("kit_sessions")
    op.drop_index("ix_kit_codes_caseworker_id", "kit_codes")
    op.drop_table("kit_codes")
    with op.batch_alter_table("terminals") as batch:
        batch.drop_column("kind")
