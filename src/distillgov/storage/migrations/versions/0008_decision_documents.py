"""The decision log keeps each distinct input and output once (`svc_documents`, by the SHA-256 of
its JSON) and each decision refers to them by hash. Decisions already logged are moved over with
their compressed bytes unchanged.

Revision ID: 0008_decision_documents
"""

from __future__ import annotations

import hashlib
import zlib

import sqlalchemy as sa
from alembic import op

revision = "0008_decision_documents"
down_revision = "0007_sessions"

CHUNK = 1_000


def upgrade() -> None:
    op.create_table(
        "svc_documents",
        sa.Column("hash", sa.String(64), primary_key=True),  # SHA-256 of the uncompressed JSON
        sa.Column("body", sa.LargeBinary, nullable=False),  # zlib-compressed JSON
    )
    with op.batch_alter_table("svc_decisions") as table:
        table.add_column(sa.Column("input_hash", sa.String(64)))
        table.add_column(sa.Column("output_hash", sa.String(64)))
    _move_documents_out()
    with op.batch_alter_table("svc_decisions") as table:
        table.drop_column("input")
        table.drop_column("output")
        table.alter_column("input_hash", existing_type=sa.String(64), nullable=False)
        table.alter_column("output_hash", existing_type=sa.String(64), nullable=False)
        table.create_foreign_key("fk_decision_input", "svc_documents", ["input_hash"], ["hash"])
        table.create_foreign_key("fk_decision_output", "svc_documents", ["output_hash"], ["hash"])


def _move_documents_out() -> None:
    bind = op.get_bind()
    stored: set[str] = set()
    last = ""
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, input, output FROM svc_decisions WHERE id > :last ORDER BY id "
                f"LIMIT {CHUNK}"
            ),
            {"last": last},
        ).all()
        if not rows:
            return
        documents: dict[str, bytes] = {}
        updates = []
        for decision, packed_input, packed_output in rows:
            hashes = []
            for packed in (bytes(packed_input), bytes(packed_output)):
                h = hashlib.sha256(zlib.decompress(packed)).hexdigest()
                if h not in stored:
                    documents[h] = packed
                hashes.append(h)
            updates.append({"i": hashes[0], "o": hashes[1], "id": decision})
        if documents:
            bind.execute(
                sa.text("INSERT INTO svc_documents (hash, body) VALUES (:h, :b)"),
                [{"h": h, "b": b} for h, b in documents.items()],
            )
            stored.update(documents)
        bind.execute(
            sa.text("UPDATE svc_decisions SET input_hash = :i, output_hash = :o WHERE id = :id"),
            updates,
        )
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("svc_decisions") as table:
        table.drop_constraint("fk_decision_input", type_="foreignkey")
        table.drop_constraint("fk_decision_output", type_="foreignkey")
        table.add_column(sa.Column("input", sa.LargeBinary))
        table.add_column(sa.Column("output", sa.LargeBinary))
    op.execute(
        "UPDATE svc_decisions SET "
        "input = (SELECT body FROM svc_documents WHERE hash = input_hash), "
        "output = (SELECT body FROM svc_documents WHERE hash = output_hash)"
    )
    with op.batch_alter_table("svc_decisions") as table:
        table.drop_column("input_hash")
        table.drop_column("output_hash")
        table.alter_column("input", existing_type=sa.LargeBinary, nullable=False)
        table.alter_column("output", existing_type=sa.LargeBinary, nullable=False)
    op.drop_table("svc_documents")
