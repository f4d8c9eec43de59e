"""Creators' reservations of works from AI training, and consent-check reports.

- `cns_reservations`, `cns_scopes`, `cns_withdrawals`: projections of the reservation and
  withdrawal entries appended to the transparency log (the log is the source of truth; each row
  names its entry).
- `pool_claims.reservation`: a collective-pool claim may name the registered reservation of the
  works it claims for.
- `cns_reports`: the summary of a dataset's consent check (counts, the reservations it met), so
  that a creator can see which registered datasets, and the disclosures naming them, contained
  their reserved works.

Revision ID: 0010_consent
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_consent"
down_revision = "0009_requests"

ID = sa.String(120)


def upgrade() -> None:
    op.create_table(
        "cns_reservations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("holder", ID, nullable=False),
        sa.Column("preferences", sa.Text, nullable=False),  # JSON: AI-preferences labels -> y/n
        sa.Column("tdm_reservation", sa.Integer),
        sa.Column("tdm_policy", sa.Text),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("claimed_from", sa.Date),
        sa.Column("filed_by", sa.String(160), nullable=False),
        sa.Column("entry", sa.BigInteger, nullable=False),
    )
    op.create_index("cns_reservations_holder", "cns_reservations", ["holder"])
    op.create_table(
        "cns_scopes",
        sa.Column("reservation", ID, sa.ForeignKey("cns_reservations.id"), nullable=False),
        sa.Column(
            "kind", sa.String(20), nullable=False
        ),  # work | collection | domain | url_pattern
        sa.Column("value", sa.String(2000), nullable=False),
        sa.Column("host", sa.String(300)),  # for domain and url_pattern: the lookup key
    )
    op.create_index("cns_scopes_host", "cns_scopes", ["host"])
    op.create_index("cns_scopes_value", "cns_scopes", ["kind", "value"])
    op.create_table(
        "cns_withdrawals",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "reservation", ID, sa.ForeignKey("cns_reservations.id"), nullable=False, unique=True
        ),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("filed_by", sa.String(160), nullable=False),
        sa.Column("entry", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "cns_reports",
        sa.Column("id", ID, primary_key=True),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("checked_on", sa.Date, nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("items", sa.BigInteger, nullable=False),
        sa.Column("reserved", sa.BigInteger, nullable=False),
        sa.Column("not_reserved", sa.BigInteger, nullable=False),
        sa.Column("unknown", sa.BigInteger, nullable=False),
        sa.Column("reservations", sa.Text, nullable=False),  # JSON: register ids met, with counts
    )
    op.create_index("cns_reports_dataset", "cns_reports", ["dataset"])
    with op.batch_alter_table("pool_claims") as t:  # a claim may name the reservation it rests on
        t.add_column(sa.Column("reservation", ID))


def downgrade() -> None:
    with op.batch_alter_table("pool_claims") as t:
        t.drop_column("reservation")
    for table in ("cns_reports", "cns_withdrawals", "cns_scopes", "cns_reservations"):
        op.drop_table(table)
