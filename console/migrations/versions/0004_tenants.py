"""Offices and queues, roles and second factor, audit log, usage records, document inbox,
API tokens and single sign-on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Existing data moves into the new shape: every municipality gets one office (named after
it, in its time zone) with one queue "Bürgerservice"; its terminals join that office and
its weekly opening hours become the office's. ``opening_hours`` stays for now so a
downgrade loses nothing. Existing caseworkers keep the role ``caseworker``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from console.store.models import UTCDateTime

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def _fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete=ondelete)


def upgrade() -> None:
    """Create the tables and columns, then move existing data into offices and queues."""
    with op.batch_alter_table("municipalities") as batch:
        batch.add_column(sa.Column("brand_color", sa.String(7), nullable=True))
        batch.add_column(sa.Column("welcome_text", sa.String(500), nullable=True))
    with op.batch_alter_table("caseworkers") as batch:
        batch.add_column(
            sa.Column("role", sa.String(16), nullable=False, server_default="caseworker")
        )
        batch.add_column(sa.Column("totp_secret", sa.String(64), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("oidc_subject", sa.String(255), nullable=True))
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.create_table(
        "offices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), _fk("municipalities"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="Europe/Berlin"),
        sa.UniqueConstraint("municipality_id", "name"),
    )
    op.create_index("ix_offices_municipality_id", "offices", ["municipality_id"])
    with op.batch_alter_table("terminals") as batch:
        batch.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_ip", sa.String(64), nullable=True))
        batch.add_column(sa.Column("software", sa.String(100), nullable=True))
        batch.create_foreign_key(
            "fk_terminals_office_id", "offices", ["office_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_terminals_office_id", ["office_id"])
    op.create_table(
        "queues",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("office_id", sa.Integer(), _fk("offices"), nullable=False),
        sa.Column("municipality_id", sa.Integer(), _fk("municipalities"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("routing", sa.String(16), nullable=False, server_default="longest_idle"),
        sa.Column("wrap_up_s", sa.Integer(), nullable=False, server_default="60"),
        sa.Column("ring_s", sa.Integer(), nullable=False, server_default="20"),
        sa.Column("answer_limit_s", sa.Integer(), nullable=False, server_default="600"),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("office_id", "name"),
    )
    op.create_index("ix_queues_office_id", "queues", ["office_id"])
    op.create_index("ix_queues_municipality_id", "queues", ["municipality_id"])
    op.create_table(
        "caseworker_queues",
        sa.Column("caseworker_id", sa.Integer(), _fk("caseworkers"), primary_key=True),
        sa.Column("queue_id", sa.Integer(), _fk("queues"), primary_key=True),
    )
    op.create_table(
        "office_hours",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("office_id", sa.Integer(), _fk("offices"), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.String(5), nullable=False),
        sa.Column("closes", sa.String(5), nullable=False),
    )
    op.create_index("ix_office_hours_office_id", "office_hours", ["office_id"])
    op.create_table(
        "office_exceptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("office_id", sa.Integer(), _fk("offices"), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("opens", sa.String(5), nullable=True),
        sa.Column("closes", sa.String(5), nullable=True),
        sa.Column("note", sa.String(200), nullable=False, server_default=""),
    )
    op.create_index("ix_office_exceptions_office_id", "office_exceptions", ["office_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False, server_default=""),
        sa.Column("target_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("detail", sa.String(1000), nullable=False, server_default=""),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_municipality_id", "audit_log", ["municipality_id"])
    op.create_table(
        "call_records",
        sa.Column("call_id", sa.String(32), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("terminal_id", sa.String(32), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False, server_default="waiting"),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("transfers", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("language", sa.String(16), nullable=True),
    )
    op.create_index("ix_call_records_municipality_id", "call_records", ["municipality_id"])
    op.create_index("ix_call_records_requested_at", "call_records", ["requested_at"])
    op.create_table(
        "documents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), _fk("municipalities"), nullable=False),
        sa.Column("call_id", sa.String(32), nullable=False),
        sa.Column("terminal_id", sa.String(32), nullable=True),
        sa.Column("caseworker_id", sa.Integer(), _fk("caseworkers", "SET NULL"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("height", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("nonce", sa.LargeBinary(12), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_documents_municipality_id", "documents", ["municipality_id"])
    op.create_index("ix_documents_expires_at", "documents", ["expires_at"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("caseworker_id", sa.Integer(), _fk("caseworkers"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_api_tokens_caseworker_id", "api_tokens", ["caseworker_id"])
    op.create_table(
        "oidc_providers",
        sa.Column("municipality_id", sa.Integer(), _fk("municipalities"), primary_key=True),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("client_secret", sa.String(500), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    _move_into_offices()


def _move_into_offices() -> None:
    """One office and one queue per existing municipality; terminals and hours move in."""
    bind = op.get_bind()
    for municipality_id, name, timezone in bind.execute(
        sa.text("SELECT id, name, timezone FROM municipalities")
    ).all():
        bind.execute(
            sa.text("INSERT INTO offices (municipality_id, name, timezone) VALUES (:m, :n, :tz)"),
            {"m": municipality_id, "n": name, "tz": timezone},
        )
        office_id = bind.execute(
            sa.text("SELECT id FROM offices WHERE municipality_id = :m"), {"m": municipality_id}
        ).scalar_one()
        bind.execute(
            sa.text(
                "INSERT INTO queues (office_id, municipality_id, name, routing, wrap_up_s,"
                " ring_s, answer_limit_s, position)"
                " VALUES (:o, :m, 'Bürgerservice', 'longest_idle', 60, 20, 600, 0)"
            ),
            {"o": office_id, "m": municipality_id},
        )
        bind.execute(
            sa.text("UPDATE terminals SET office_id = :o WHERE municipality_id = :m"),
            {"o": office_id, "m": municipality_id},
        )
        bind.execute(
            sa.text(
                "INSERT INTO office_hours (office_id, weekday, opens, closes)"
                " SELECT :o, weekday, opens, closes FROM opening_hours WHERE municipality_id = :m"
            ),
            {"o": office_id, "m": municipality_id},
        )


def downgrade() -> None:
    """Drop what revision 0004 added."""
    for table in (
        "oidc_providers",
        "api_tokens",
        "documents",
        "call_records",
        "audit_log",
        "office_exceptions",
        "office_hours",
        "caseworker_queues",
        "queues",
    ):
        op.drop_table(table)
    with op.batch_alter_table("terminals") as batch:
        batch.drop_index("ix_terminals_office_id")
        batch.drop_constraint("fk_terminals_office_id", type_="foreignkey")
        batch.drop_column("software")
        batch.drop_column("last_ip")
        batch.drop_column("office_id")
    op.drop_table("offices")
    with op.batch_alter_table("caseworkers") as batch:
        for column in (
            "active",
            "language",
            "oidc_subject",
            "totp_last_step",
            "totp_secret",
            "role",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("municipalities") as batch:
        batch.drop_column("welcome_text")
        batch.drop_column("brand_color")
