"""Rates in time: `lic_rate_periods` holds the tariff versions a licence settles under after the
one it opened with (`lic_licences.tariff`), each from its own date — a new rate period, such as a
rate-setting body announces, reaches licences already open. A period's usage is settled under the
version in force on the period's first day.

Revision ID: 0016_rate_periods
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_rate_periods"
down_revision = "0015_clearinghouse_trail"


def upgrade() -> None:
    op.create_table(
        "lic_rate_periods",
        sa.Column("licence", sa.String(160), sa.ForeignKey("lic_licences.id"), nullable=False),
        sa.Column("from_date", sa.Date, nullable=False),
        sa.Column("tariff", sa.Text, nullable=False),  # the version, as JSON
        sa.Column("source", sa.Text, nullable=False),  # where it came from (a file, built-in)
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("licence", "from_date"),
    )


def downgrade() -> None:
    op.drop_table("lic_rate_periods")
