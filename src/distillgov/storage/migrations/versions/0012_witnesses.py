"""The witnesses a log submits its checkpoints to, and the cosignatures they return.

- `log_witnesses`: each witness's name, key (vkey), URL, and the size it last cosigned.
- `log_cosignatures`: the cosignature lines each witness gave on the checkpoint of each size;
  the published checkpoint is the log's note with these lines added.

Revision ID: 0012_witnesses
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_witnesses"
down_revision = "0011_operations"


def upgrade() -> None:
    op.create_table(
        "log_witnesses",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("vkey", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "log_cosignatures",
        sa.Column("size", sa.BigInteger, primary_key=True),
        sa.Column("witness", sa.String(255), primary_key=True),
        sa.Column("line", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_cosignatures")
    op.drop_table("log_witnesses")
