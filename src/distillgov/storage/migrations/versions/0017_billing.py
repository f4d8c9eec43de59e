"""Money that moves: invoices, payments, the cash they bring in, and remittances out.

- `lic_invoices`, `lic_invoice_lines`: what was invoiced to a licensee for a month (an invoice,
  a credit note for a month settled lower, or late interest), with due dates;
  `lic_settlements.invoiced_minor` keeps how much of each licence-month has been invoiced.
- `lic_payments`: payments against invoices, idempotent by the payer's own id; and
  `lic_allocations`: how each payment (or credit note) was applied to invoices.
- `lic_payees`: the bank details of whoever a payable account pays (IBAN, BIC).
- `lic_remittances`, `lic_remittance_lines`: batches of payouts, exported for a bank and marked
  paid only when confirmed.

Revision ID: 0017_billing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_billing"
down_revision = "0016_rate_periods"

ID = sa.String(160)
MONEY = sa.BigInteger


def upgrade() -> None:
    with op.batch_alter_table("lic_settlements") as t:
        t.add_column(sa.Column("invoiced_minor", MONEY, nullable=False, server_default="0"))
    op.create_table(
        "lic_invoices",
        sa.Column("number", sa.String(40), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),  # invoice | credit_note | interest
        sa.Column("licensee", ID, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("amount_minor", MONEY, nullable=False),  # positive; a credit note's too
        sa.Column("interest_percent", sa.String(20), nullable=False),  # a year, simple
        sa.Column("interest_through", sa.Date),  # interest charged up to (excluded)
        sa.Column("refers_to", sa.String(40)),  # an interest invoice: the invoice it is on
        sa.Column("issued_by", sa.Text, nullable=False),
        sa.Column("issued_at", sa.DateTime, nullable=False),
    )
    op.create_index("lic_invoices_licensee", "lic_invoices", ["licensee", "currency"])
    op.create_table(
        "lic_invoice_lines",
        sa.Column("invoice", sa.String(40), sa.ForeignKey("lic_invoices.number"), nullable=False),
        sa.Column("licence", ID, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("amount_minor", MONEY, nullable=False),
        sa.Column("teacher_developer", MONEY, nullable=False),
        sa.Column("data_creators", MONEY, nullable=False),
        sa.Column("collective_pool", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("invoice", "licence", "period"),
    )
    op.create_table(
        "lic_payments",
        sa.Column("id", ID, primary_key=True),  # the payer's own id: the same payment is one
        sa.Column("invoice", sa.String(40), sa.ForeignKey("lic_invoices.number"), nullable=False),
        sa.Column("amount_minor", MONEY, nullable=False),
        sa.Column("paid_on", sa.Date, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("amount_minor > 0", name="lic_payments_positive"),
    )
    op.create_table(
        "lic_allocations",
        sa.Column("source", sa.String(200), nullable=False),  # payment:<id> | credit:<number>
        sa.Column("invoice", sa.String(40), sa.ForeignKey("lic_invoices.number"), nullable=False),
        sa.Column("amount_minor", MONEY, nullable=False),
        sa.Column("applied_on", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("source", "invoice"),
    )
    op.create_table(
        "lic_payees",
        sa.Column("account", ID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("iban", sa.String(40), nullable=False),
        sa.Column("bic", sa.String(11)),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "lic_remittances",
        sa.Column("id", sa.String(60), primary_key=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),  # exported | paid | returned
        sa.Column("total_minor", MONEY, nullable=False),
        sa.Column("confirmed_on", sa.Date),
        sa.Column("confirmation", sa.Text),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("confirmed_by", sa.Text),
    )
    op.create_table(
        "lic_remittance_lines",
        sa.Column("remittance", sa.String(60), sa.ForeignKey("lic_remittances.id"), nullable=False),
        sa.Column("account", ID, nullable=False),
        sa.Column("amount_minor", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("remittance", "account"),
    )


def downgrade() -> None:
    for table in (
        "lic_remittance_lines",
        "lic_remittances",
        "lic_payees",
        "lic_allocations",
        "lic_payments",
        "lic_invoice_lines",
        "lic_invoices",
    ):
        op.drop_table(table)
    with op.batch_alter_table("lic_settlements") as t:
        t.drop_column("invoiced_minor")
