"""The clearinghouse's trail: who did what and when, and corrections that never edit.

- `lic_status_events`: a licence's status changes, each dated (effective on), with its reason,
  actor and the time it was recorded. A licence already suspended or revoked before this revision
  gets one event, effective on the day it opened (its real date was never recorded).
- `lic_reports`: who sent a report (`received_by`), the report it replaces (`replaces`), and a
  void (`voided_at`, `voided_by`, `void_reason`): a voided report stays, and stops counting.
- `lic_unlicensed`: per licence-month, the usage on days the licence was suspended or revoked
  inside its window: flagged, never settled as royalties.
- `ledger_transfers`: when (`posted_at`) and by whom (`actor`) each transfer was posted, and
  `chain`, the SHA-256 of the previous transfer's chain and this transfer's fields, so that an
  edit of any stored transfer breaks the chain from there on (`ledger check`). Transfers posted
  before this revision are chained here, in their order.

Revision ID: 0015_clearinghouse_trail
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from distillgov.licensing.chain import GENESIS, link

revision = "0015_clearinghouse_trail"
down_revision = "0014_model_amendments"

ID = sa.String(160)


def upgrade() -> None:
    op.create_table(
        "lic_status_events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("licence", ID, sa.ForeignKey("lic_licences.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_index("lic_status_events_licence", "lic_status_events", ["licence"])
    bind = op.get_bind()
    old = bind.execute(
        sa.text(
            "SELECT id, status, opened_on FROM lic_licences WHERE status <> 'active' ORDER BY id"
        )
    ).all()
    for seq, (licence, status, opened_on) in enumerate(old, start=1):
        bind.execute(
            sa.text(
                "INSERT INTO lic_status_events (seq, licence, status, effective_on, reason, actor, "
                "recorded_at) VALUES (:s, :l, :st, :on, :r, 'migration', CURRENT_TIMESTAMP)"
            ),
            {
                "s": seq,
                "l": licence,
                "st": status,
                "on": opened_on,
                "r": "recorded before status changes were dated",
            },
        )
    with op.batch_alter_table("lic_reports") as t:
        t.add_column(sa.Column("received_by", sa.Text))
        t.add_column(sa.Column("replaces", ID))
        t.add_column(sa.Column("voided_at", sa.DateTime))
        t.add_column(sa.Column("voided_by", sa.Text))
        t.add_column(sa.Column("void_reason", sa.Text))
    op.create_index("lic_reports_content", "lic_reports", ["content_hash"])
    op.create_table(
        "lic_unlicensed",
        sa.Column("licence", ID, sa.ForeignKey("lic_licences.id"), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("units", sa.Text, nullable=False),  # of the month's usage, pro rata by days
        sa.Column("revenue_minor", sa.Text, nullable=False),
        sa.Column("days", sa.Integer, nullable=False),  # days unlicensed inside the window
        sa.Column("days_in_period", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("licence", "period"),
    )
    with op.batch_alter_table("ledger_transfers") as t:
        t.add_column(sa.Column("posted_at", sa.DateTime))
        t.add_column(sa.Column("actor", sa.Text))
        t.add_column(sa.Column("chain", sa.String(64)))
    previous = GENESIS
    rows = bind.execute(
        sa.text(
            "SELECT seq, id, debit, credit, amount, currency, memo, posted_on "
            "FROM ledger_transfers ORDER BY seq"
        )
    ).all()
    for r in rows:
        previous = link(previous, (*r, None, None))
        bind.execute(
            sa.text("UPDATE ledger_transfers SET chain = :c WHERE seq = :s"),
            {"c": previous, "s": r[0]},
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_transfers") as t:
        t.drop_column("chain")
        t.drop_column("actor")
        t.drop_column("posted_at")
    op.drop_table("lic_unlicensed")
    op.drop_index("lic_reports_content", "lic_reports")
    with op.batch_alter_table("lic_reports") as t:
        for column in ("void_reason", "voided_by", "voided_at", "replaces", "received_by"):
            t.drop_column(column)
    op.drop_table("lic_status_events")
