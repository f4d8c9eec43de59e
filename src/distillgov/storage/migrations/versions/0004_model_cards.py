"""What model cards add to a model: its licence, its base models and whether the card says it was
distilled.

Revision ID: 0004_model_cards
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_model_cards"
down_revision = "0003_log_hashes"


def upgrade() -> None:
    with op.batch_alter_table("reg_models") as t:
        t.add_column(sa.Column("licence", sa.Text))
        t.add_column(
            sa.Column(
                "card_declares_distillation", sa.Boolean, nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "reg_base_models",
        sa.Column("model", sa.String(120), sa.ForeignKey("reg_models.id"), nullable=False),
        sa.Column("base", sa.String(120), sa.ForeignKey("reg_models.id"), nullable=False),
        sa.Column("relation", sa.String(20)),
        sa.PrimaryKeyConstraint("model", "base"),
    )
    op.create_index("reg_base_models_base", "reg_base_models", ["base"])


def downgrade() -> None:
    op.drop_table("reg_base_models")
    with op.batch_alter_table("reg_models") as t:
        t.drop_column("card_declares_distillation")
        t.drop_column("licence")
