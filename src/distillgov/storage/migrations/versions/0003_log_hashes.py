"""The log's stored hashes: the hash of every complete subtree of two or more leaves (leaf hashes
are in log_entries), so proofs and appends read O(log n) rows instead of every leaf. Filled in for
logs created before this revision.

Revision ID: 0003_log_hashes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from distillgov.registry.merkle import extend
from distillgov.registry.storedhashes import node_id

revision = "0003_log_hashes"
down_revision = "0002_records"


def upgrade() -> None:
    table = op.create_table(
        "log_hashes",
        # On SQLite an INTEGER PRIMARY KEY is the table's own row id: no second index to keep.
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    leaves = [
        bytes(h)
        for h in op.get_bind()
        .execute(sa.text("SELECT leaf_hash FROM log_entries ORDER BY idx"))
        .scalars()
    ]
    rows = [{"id": node_id(n), "hash": h} for n, h in extend(0, {}, leaves) if n[0] > 0]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("log_hashes")
