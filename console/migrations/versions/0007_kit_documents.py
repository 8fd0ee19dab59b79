"""Receipts of documents mobile office kits uploaded, so each arrives in the inbox once.

Revision ID: 0007_kit_documents
Revises: 0006_update_location
Create Date: 2026-11-27

One row per (terminal, kit document id) (``kit_receipts``), written in the same transaction
as the inbox document: a repeated upload of the same id is acknowledged and not stored
again (console/kit_inbox.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_kit_documents"
down_revision: str | tuple[str, ...] | None = "0006_update_location"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create kit_receipts."""
    op.create_table(
        "kit_receipts",
        sa.Column("terminal_id", sa.String(32), primary_key=True),
        sa.Column("kit_document_id", sa.String(32), primary_key=True),
        sa.Column(
            "municipality_id",
            sa.Integer(),
            sa.ForeignKey("municipalities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("document_id", sa.String(32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kit_receipts_municipality_id", "kit_receipts", ["municipality_id"])
    op.create_index("ix_kit_receipts_received_at", "kit_receipts", ["received_at"])


def downgrade() -> None:
    """Drop kit_receipts."""
    op.drop_index("ix_kit_receipts_received_at", table_name="kit_receipts")
    op.drop_index("ix_kit_receipts_municipality_id", table_name="kit_receipts")
    op.drop_table("kit_receipts")
