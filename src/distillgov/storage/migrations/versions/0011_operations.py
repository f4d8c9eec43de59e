"""What several servers on one database share, and what an operator watches.

- `svc_rate_buckets`: each client's token bucket (tokens left, and when that was so, in Unix
  seconds), so that a client's rate limit holds across every server, not per process.
- `svc_quota_use`: decisions logged per anonymous address per UTC day, for the same reason.
- `log_checkpoints.signed_at`: when a checkpoint was signed (the metrics report the age of the
  latest); empty for checkpoints signed before this revision.

Revision ID: 0011_operations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_operations"
down_revision = "0010_consent"

CLIENT = sa.String(200)


def upgrade() -> None:
    op.create_table(
        "svc_rate_buckets",
        sa.Column("client", CLIENT, primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "svc_quota_use",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("client", CLIENT, primary_key=True),
        sa.Column("used", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("svc_rate_buckets_updated", "svc_rate_buckets", ["updated_at"])
    op.create_index("svc_quota_use_updated", "svc_quota_use", ["day", "updated_at"])
    with op.batch_alter_table("log_checkpoints") as t:
        t.add_column(sa.Column("signed_at", sa.DateTime))


def downgrade() -> None:
    with op.batch_alter_table("log_checkpoints") as t:
        t.drop_column("signed_at")
    op.drop_table("svc_quota_use")
    op.drop_table("svc_rate_buckets")
