"""Browser sessions: a random id in a cookie (only its hash stored) and a CSRF token.

Revision ID: 0007_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sessions"
down_revision = "0006_service"


def upgrade() -> None:
    op.create_table(
        "svc_sessions",
        sa.Column("hash", sa.String(80), primary_key=True),
        sa.Column("account", sa.String(120), sa.ForeignKey("svc_accounts.id"), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("csrf", sa.String(80), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("svc_sessions")
