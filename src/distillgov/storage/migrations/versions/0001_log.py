"""The append-only log, its signed checkpoints and its settings.

Revision ID: 0001_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_log"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "log_entries",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "log_settings",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_settings")
    op.drop_table("log_checkpoints")
    op.drop_table("log_entries")
