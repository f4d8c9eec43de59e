"""Queryable projections of the logged records: organisations, models, disclosures, lineage
edges and statements. The log stays the source of truth; these tables are rebuilt from it.

Revision ID: 0002_records
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_records"
down_revision = "0001_log"


def upgrade() -> None:
    op.create_table(
        "reg_organisations",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("entry", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "reg_models",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("owner", sa.String(80), sa.ForeignKey("reg_organisations.id"), nullable=False),
        sa.Column("release_date", sa.Date),
        sa.Column("weights_digest", sa.String(100)),
        sa.Column("catalogue_id", sa.String(120)),
        sa.Column("entry", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "reg_disclosures",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("student", sa.String(120), sa.ForeignKey("reg_models.id"), nullable=False),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("commercial_release_date", sa.Date),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("supersedes", sa.String(120), sa.ForeignKey("reg_disclosures.id"), unique=True),
        sa.Column("entry", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "reg_edges",
        sa.Column(
            "disclosure", sa.String(120), sa.ForeignKey("reg_disclosures.id"), nullable=False
        ),
        sa.Column("student", sa.String(120), sa.ForeignKey("reg_models.id"), nullable=False),
        sa.Column("teacher", sa.String(120), sa.ForeignKey("reg_models.id"), nullable=False),
        sa.Column("signal", sa.String(40), nullable=False),
        sa.Column("share", sa.Float),
        sa.PrimaryKeyConstraint("disclosure", "teacher"),
    )
    op.create_index("reg_edges_student", "reg_edges", ["student"])
    op.create_index("reg_edges_teacher", "reg_edges", ["teacher"])
    op.create_table(
        "reg_statements",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("about", sa.String(120), nullable=False),  # a disclosure or a model
        sa.Column("by_org", sa.String(80), sa.ForeignKey("reg_organisations.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("entry", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "reg_statements",
        "reg_edges",
        "reg_disclosures",
        "reg_models",
        "reg_organisations",
    ):
        op.drop_table(table)
