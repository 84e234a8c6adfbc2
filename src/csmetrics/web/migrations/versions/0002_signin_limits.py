"""Failed sign-ins and lockouts; the idle timeout's last-seen time on sessions; audit
entries indexed by action for the admin page's filter.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime, nullable=True))
    op.execute("UPDATE sessions SET last_seen_at = created_at")
    with op.batch_alter_table("sessions") as batch:
        batch.alter_column("last_seen_at", existing_type=sa.DateTime, nullable=False)
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("login", sa.String(120), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
    )
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    op.create_index("ix_login_failures_login", "login_failures", ["login"])
    op.create_index("ix_login_failures_address", "login_failures", ["address"])
    op.create_table(
        "lockouts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("until", sa.DateTime, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("refused", sa.Integer, nullable=False),
        sa.Column("cleared_at", sa.DateTime, nullable=True),
        sa.Column("cleared_by", sa.String(120), nullable=True),
    )
    op.create_index("ix_lockouts_key", "lockouts", ["key"])
    op.create_index("ix_lockouts_until", "lockouts", ["until"])


def downgrade() -> None:
    op.drop_table("lockouts")
    op.drop_table("login_failures")
    op.drop_index("ix_audit_log_action", "audit_log")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("last_seen_at")
