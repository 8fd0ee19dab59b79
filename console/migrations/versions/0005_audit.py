"""The audit log becomes append-only in the database itself.

Revision ID: 0005_audit
Revises: 0004
Create Date: 2026-11-26

Triggers abort any UPDATE of ``audit_log`` and any DELETE of an entry younger than the
retention period, so neither a bug in the console nor a hand-typed SQL statement can rewrite
or thin out the trail; only the retention purge, deleting entries past the limit, succeeds.
The limit lives in the one-row table ``audit_retention`` (days; 90 until the console writes
its configured value at start, see :mod:`console.store.audit`). Someone with the database
owner's rights can still drop a trigger: this guards against mistakes, not against the DBA.

SQLite compares the stored text ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC) with
``strftime('%Y-%m-%d %H:%M:%f', 'now', '-<days> days')``; PostgreSQL compares timestamps.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_audit"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

SQLITE_UP = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_keep_young BEFORE DELETE ON audit_log
    WHEN OLD.at > strftime('%Y-%m-%d %H:%M:%f', 'now',
        '-' || COALESCE((SELECT days FROM audit_retention WHERE id = 1), 90) || ' days')
    BEGIN SELECT RAISE(ABORT, 'audit entries younger than the retention period stay'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_log_keep_young",
    "DROP TRIGGER IF EXISTS audit_log_no_update",
]
POSTGRESQL_UP = [
    """CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD.at <= now() - COALESCE(
            (SELECT days FROM audit_retention WHERE id = 1), 90) * interval '1 day' THEN
            RETURN OLD;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'audit entries younger than the retention period stay';
        END IF;
        RAISE EXCEPTION 'audit_log is append-only';
    END $$""",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard()""",
    """CREATE TRIGGER audit_log_keep_young BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard()""",
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_keep_young ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_guard()",
]


def upgrade() -> None:
    """Create the retention table (90 days) and the guarding triggers."""
    op.create_table(
        "audit_retention",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("days", sa.Float(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_retention_one_row"),
        sa.CheckConstraint("days > 0 AND days <= 90", name="ck_audit_retention_days"),
    )
    op.execute("INSERT INTO audit_retention (id, days) VALUES (1, 90)")
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    """Drop the triggers and the retention table."""
    for statement in _statements(up=False):
        op.execute(statement)
    op.drop_table("audit_retention")


def _statements(*, up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        return POSTGRESQL_UP if up else POSTGRESQL_DOWN
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    raise NotImplementedError(f"no audit triggers for the {dialect} dialect")
