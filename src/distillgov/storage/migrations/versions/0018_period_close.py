"""Closed periods: once a month is closed, a change to a closed month's royalty is an
adjustment, posted in the open period (dated the run's day) and naming the closed month. And who
opened each licence, registered each pool claim and matched it (the trail on every record; rows
from before this revision name nobody).

Revision ID: 0018_period_close
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_period_close"
down_revision = "0017_billing"


def upgrade() -> None:
    with op.batch_alter_table("lic_licences") as t:
        t.add_column(sa.Column("opened_by", sa.Text))
    with op.batch_alter_table("pool_claims") as t:
        t.add_column(sa.Column("registered_by", sa.Text))
        t.add_column(sa.Column("matched_by", sa.Text))
        t.add_column(sa.Column("matched_at", sa.DateTime))
    op.create_table(
        "lic_closed_periods",
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("closed_on", sa.Date, nullable=False),
        sa.Column("closed_by", sa.Text, nullable=False),
        sa.Column("closed_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "lic_adjustments",
        sa.Column("licence", sa.String(160), sa.ForeignKey("lic_licences.id"), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),  # the closed month it adjusts
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("posted_period", sa.String(7), nullable=False),  # the open month it is in
        sa.Column("posted_on", sa.Date, nullable=False),
        sa.Column("delta_minor", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("licence", "period", "version"),
    )


def downgrade() -> None:
    op.drop_table("lic_adjustments")
    op.drop_table("lic_closed_periods")
    with op.batch_alter_table("pool_claims") as t:
        for column in ("matched_at", "matched_by", "registered_by"):
            t.drop_column(column)
    with op.batch_alter_table("lic_licences") as t:
        t.drop_column("opened_by")
