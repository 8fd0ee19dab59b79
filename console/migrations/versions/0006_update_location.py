"""Where each municipality's terminals fetch their update bundle; joins the two 0005 heads.

Revision ID: 0006_update_location
Revises: 0005_audit, 0005_hours
Create Date: 2026-11-26

One row per municipality (``update_locations``): the bundle's HTTPS URL, its optional
SHA-256 and the version label terminals report once they run it. The revision depends on
both 0005 siblings, so the history has one head again; ``migrate`` upgrades to "heads"
either way.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_update_location"
down_revision: str | tuple[str, ...] | None = ("0005_audit", "0005_hours")
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create update_locations."""
    op.create_table(
        "update_locations",
        sa.Column(
            "municipality_id",
            sa.Integer(),
            sa.ForeignKey("municipalities.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    """Drop update_locations."""
    op.drop_table("update_locations")
