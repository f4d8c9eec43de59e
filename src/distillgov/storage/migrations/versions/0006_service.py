"""The service: accounts, API tokens (stored only as hashes) and the decision log.

Revision ID: 0006_service
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_service"
down_revision = "0005_licensing"


def upgrade() -> None:
    op.create_table(
        "svc_accounts",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("organisation", sa.String(120)),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "svc_tokens",
        sa.Column("hash", sa.String(80), primary_key=True),  # SHA-256 of the token
        sa.Column("account", sa.String(120), sa.ForeignKey("svc_accounts.id"), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "svc_decisions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("framework_version", sa.String(80), nullable=False),
        sa.Column("profile_id", sa.String(80), nullable=False),
        sa.Column("profile_hash", sa.String(80), nullable=False),
        sa.Column("assessed_on", sa.Date, nullable=False),
        sa.Column("input", sa.LargeBinary, nullable=False),  # zlib-compressed JSON
        sa.Column("output", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("svc_decisions")
    op.drop_table("svc_tokens")
    op.drop_table("svc_accounts")
