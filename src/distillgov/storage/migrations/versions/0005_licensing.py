"""The clearinghouse: licences, usage reports, settlements, the double-entry ledger and the
collective pool. (The registry's and the clearinghouse's tables share one database and one chain of
migrations.)

Revision ID: 0005_licensing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_licensing"
down_revision = "0004_model_cards"

ID = sa.String(160)
MONEY = sa.BigInteger  # integer minor units


def upgrade() -> None:
    op.create_table(
        "lic_licences",
        sa.Column("id", ID, primary_key=True),
        sa.Column("licensee", ID, nullable=False),
        sa.Column("student", ID, nullable=False),
        sa.Column("teacher", ID, nullable=False),
        sa.Column("teacher_owner", ID, nullable=False),
        sa.Column("profile", sa.String(80), nullable=False),
        sa.Column("profile_hash", sa.String(80), nullable=False),
        sa.Column("determination_hash", sa.String(80), nullable=False),
        sa.Column("window_start", sa.Date, nullable=False),
        sa.Column("window_end", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tariff", sa.Text, nullable=False),  # the tariff version in force, as JSON
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
    )
    op.create_table(
        "lic_reports",
        sa.Column("id", ID, primary_key=True),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "lic_settlements",
        sa.Column("licence", ID, sa.ForeignKey("lic_licences.id"), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("units", sa.Text, nullable=False),  # exact, may exceed 64 bits
        sa.Column("revenue_minor", sa.Text, nullable=False),
        sa.Column("share", sa.String(40), nullable=False),  # of the period inside the window
        sa.Column("royalty_minor", MONEY, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("licence", "period"),
    )
    op.create_table(
        "ledger_accounts",
        sa.Column("id", ID, primary_key=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("debits_must_not_exceed_credits", sa.Boolean, nullable=False),
        sa.Column("debits", MONEY, nullable=False),
        sa.Column("credits", MONEY, nullable=False),
    )
    op.create_table(
        "ledger_transfers",
        sa.Column("id", sa.String(240), primary_key=True),  # chosen by the poster: idempotent
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
        sa.Column("debit", ID, sa.ForeignKey("ledger_accounts.id"), nullable=False),
        sa.Column("credit", ID, sa.ForeignKey("ledger_accounts.id"), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("memo", sa.Text, nullable=False),
        sa.Column("posted_on", sa.Date, nullable=False),
        sa.CheckConstraint("amount > 0", name="ledger_transfers_amount_positive"),
        sa.CheckConstraint("debit <> credit", name="ledger_transfers_two_accounts"),
    )
    op.create_index("ledger_transfers_debit", "ledger_transfers", ["debit"])
    op.create_index("ledger_transfers_credit", "ledger_transfers", ["credit"])
    op.create_table(
        "pool_claims",
        sa.Column("id", ID, primary_key=True),
        sa.Column("pool", sa.String(80), nullable=False),
        sa.Column("holder", ID, nullable=False),
        sa.Column("work", sa.Text, nullable=False),
        sa.Column("weight", sa.BigInteger, nullable=False),
        sa.Column("matched", sa.Boolean, nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.CheckConstraint("weight > 0", name="pool_claims_weight_positive"),
    )
    op.create_index("pool_claims_pool", "pool_claims", ["pool"])
    op.create_table(
        "pool_runs",
        sa.Column("id", ID, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),  # the lines' compact key
        sa.Column("pool", sa.String(80), nullable=False),
        sa.Column("run_on", sa.Date, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("admin", MONEY, nullable=False),
        sa.Column("paid", MONEY, nullable=False),
        sa.Column("carried", MONEY, nullable=False),
        sa.Column("held", MONEY, nullable=False),
        sa.Column("released", MONEY, nullable=False),
    )
    op.create_table(
        "pool_lines",
        sa.Column("run", sa.BigInteger, sa.ForeignKey("pool_runs.seq"), nullable=False),
        sa.Column("claim", ID, nullable=False),
        sa.Column("holder", ID, nullable=False),
        sa.Column("share", MONEY, nullable=False),  # this run's share, before carry
        sa.Column("carried_in", MONEY, nullable=False),
        sa.Column("paid", MONEY, nullable=False),
        sa.Column("carried_out", MONEY, nullable=False),
        sa.Column("held", MONEY, nullable=False),
        sa.Column("hold_until", sa.Date),
        sa.Column("hold_open", sa.Boolean, nullable=False),  # held, not yet paid or released
        sa.PrimaryKeyConstraint("run", "claim"),
    )
    op.create_index("pool_lines_holder", "pool_lines", ["holder"])


def downgrade() -> None:
    for table in (
        "pool_lines",
        "pool_runs",
        "pool_claims",
        "ledger_transfers",
        "ledger_accounts",
        "lic_settlements",
        "lic_reports",
        "lic_licences",
    ):
        op.drop_table(table)
