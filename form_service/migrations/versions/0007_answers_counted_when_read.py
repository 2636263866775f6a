"""A self-evaluation's answers are counted when read: `evaluation_summaries` loses `answered`, `reviewed` and
`answered_at`, which the LA's pages now add up from the heading rows (`summaries.answers_counted`).

Keeping the sums on the evaluation's row cost every autosave a second summary statement, and on PostgreSQL a
second round trip, for a figure read only when the LA opens its dashboard or an export.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("answered", "reviewed", "answered_at")


def upgrade() -> None:
    with op.batch_alter_table("evaluation_summaries") as table:  # SQLite copies the table; PostgreSQL drops them
        for column in COLUMNS:
            table.drop_column(column)


def downgrade() -> None:
    """The sums back on each evaluation's row, added up from its listed headings' rows."""
    with op.batch_alter_table("evaluation_summaries") as table:
        table.add_column(sa.Column("answered", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("reviewed", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("answered_at", sa.Float(), nullable=True))
    listed = (
        "FROM heading_summaries AS h WHERE h.urn = evaluation_summaries.urn "
        "AND h.cycle = evaluation_summaries.cycle AND h.listed"
    )
    op.execute(
        sa.text(
            f"UPDATE evaluation_summaries SET answered = (SELECT coalesce(sum(h.answered), 0) {listed}), "
            f"reviewed = (SELECT coalesce(sum(h.reviewed), 0) {listed}), "
            f"answered_at = (SELECT max(h.answered_at) {listed})"
        )
    )
