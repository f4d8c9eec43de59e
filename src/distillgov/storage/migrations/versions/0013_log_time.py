"""The log's own time of filing: `reg_disclosures.logged_on`, the date the log appended the
disclosure (from the entry's `logged_at`). The filer's `filed_on` is kept as what they claim.
Empty for disclosures logged before entries recorded the time (`registry rebuild` fills nothing
for them: their entries hold no time).

Revision ID: 0013_log_time
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_log_time"
down_revision = "0012_witnesses"


def upgrade() -> None:
    with op.batch_alter_table("reg_disclosures") as t:
        t.add_column(sa.Column("logged_on", sa.Date))


def downgrade() -> None:
    with op.batch_alter_table("reg_disclosures") as t:
        t.drop_column("logged_on")
