"""Amendments that complete a model registered bare (from its model card, filed later): the
licence, the distillation tag, and — in the tables they already had — its base models and
datasets. `reg_model_facts` reads a model with its amendments folded in, so every reader sees
one row per model; the log's records are never changed in place.

Revision ID: 0014_model_amendments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_model_amendments"
down_revision = "0013_log_time"

# A licence comes from the model's own record or else from its first amendment that gives one
# (an amendment may only give a licence to a model without one, so there is never a choice).
FACTS = """
CREATE VIEW reg_model_facts AS
SELECT m.id, m.name, m.owner, m.release_date, m.weights_digest, m.catalogue_id,
       COALESCE(m.licence, (SELECT a.licence FROM reg_model_amendments a
                            WHERE a.model = m.id AND a.licence IS NOT NULL
                            ORDER BY a.entry LIMIT 1)) AS licence,
       (m.card_declares_distillation OR EXISTS (SELECT 1 FROM reg_model_amendments a
            WHERE a.model = m.id AND a.card_declares_distillation)) AS card_declares_distillation,
       m.entry
FROM reg_models m
"""


def upgrade() -> None:
    op.create_table(
        "reg_model_amendments",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("model", sa.String(120), sa.ForeignKey("reg_models.id"), nullable=False),
        sa.Column("licence", sa.Text),
        sa.Column(
            "card_declares_distillation", sa.Boolean, nullable=False, server_default=sa.false()
        ),
        sa.Column("entry", sa.BigInteger, nullable=False),
    )
    op.create_index("reg_model_amendments_model", "reg_model_amendments", ["model"])
    op.execute(FACTS)


def downgrade() -> None:
    op.execute("DROP VIEW reg_model_facts")
    op.drop_table("reg_model_amendments")
