"""Data subjects' requests and the datasets models declare.

- `reg_datasets`: which dataset each model (or each disclosure's student) declares it was trained
  on, projected from the logged records like the other `reg_` tables.
- `dsr_events`: every step of every request, append-only, each row chained to the one before by
  SHA-256 (`requests check` replays them); they hold no identifiers of the data subject.
- `dsr_requests`, `dsr_duties`: the current state of requests and of the duties they put on
  downstream models, projected from the events.
- `dsr_subjects`: who the request is for, kept apart so that it can be erased without touching
  the chained trail.

Revision ID: 0009_requests
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_requests"
down_revision = "0008_decision_documents"

ID = sa.String(120)


def upgrade() -> None:
    op.create_table(
        "reg_datasets",
        sa.Column("record", ID, nullable=False),  # the model or disclosure that declares it
        sa.Column("model", ID, sa.ForeignKey("reg_models.id"), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("record", "dataset"),
    )
    op.create_index("reg_datasets_dataset", "reg_datasets", ["dataset"])
    op.create_table(
        "dsr_requests",
        sa.Column("id", ID, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("organisation", ID, nullable=False),  # addressed to
        sa.Column("dataset", sa.String(200)),
        sa.Column("model", ID),
        sa.Column("profile", sa.String(80), nullable=False),
        sa.Column("profile_hash", sa.String(80), nullable=False),
        sa.Column("clocks", sa.Text, nullable=False),  # the levers in force on receipt, as JSON
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("on_behalf", sa.Boolean, nullable=False),  # filed by an authorised agent
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("identity", sa.String(20), nullable=False),
        sa.Column("verified_on", sa.Date),
        sa.Column("extended_on", sa.Date),
        sa.Column("closed_on", sa.Date),
        sa.Column("refusal", sa.String(40)),
        sa.Column("acknowledge_due", sa.Date),
        sa.Column("response_due", sa.Date),
        sa.Column("last_event", sa.BigInteger, nullable=False),
    )
    op.create_index("dsr_requests_organisation", "dsr_requests", ["organisation"])
    op.create_table(
        "dsr_subjects",
        sa.Column("request", ID, sa.ForeignKey("dsr_requests.id"), primary_key=True),
        sa.Column("account", ID),  # the requester's account, to show them their requests
        sa.Column("name", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("reference", sa.Text),  # the subject's id at the organisation, if they know it
        sa.Column("erased_on", sa.Date),
    )
    op.create_index("dsr_subjects_account", "dsr_subjects", ["account"])
    op.create_table(
        "dsr_events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("key", sa.String(160), unique=True),  # the caller's idempotency key
        sa.Column("request", ID, sa.ForeignKey("dsr_requests.id"), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),  # the server's clock
        sa.Column("effective_on", sa.Date, nullable=False),  # the day the step counts from
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),  # JSON, no personal data
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("dsr_events_request", "dsr_events", ["request"])
    op.create_table(
        "dsr_duties",
        sa.Column("id", ID, primary_key=True),
        sa.Column("request", ID, sa.ForeignKey("dsr_requests.id"), nullable=False),
        sa.Column("model", ID, nullable=False),
        sa.Column("owner", ID, nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("via", ID),
        sa.Column("duty", sa.String(40), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("closed_on", sa.Date),
        sa.Column("outcome", sa.String(40)),
        sa.UniqueConstraint("request", "model", name="dsr_duties_one_per_model"),
    )
    op.create_index("dsr_duties_owner", "dsr_duties", ["owner"])


def downgrade() -> None:
    for table in ("dsr_duties", "dsr_events", "dsr_subjects", "dsr_requests", "reg_datasets"):
        op.drop_table(table)
