"""Summary rows for the LA's dashboard, exports, insight and year on year, kept in the transaction of each write.

See form_service/summaries.py for what each table holds. The rows are worked out from the documents already
stored, so a database upgraded from an earlier revision shows every school at once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NAME = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "school_summaries",
        sa.Column("urn", NAME, primary_key=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("has_members", sa.Boolean(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("award", sa.Text(), nullable=True),
        sa.Column("activity_at", sa.Float(), nullable=True),
    )
    op.create_table(
        "evaluation_summaries",
        sa.Column("urn", NAME, primary_key=True),
        sa.Column("cycle", NAME, primary_key=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("framework", sa.Text(), nullable=True),
        sa.Column("framework_version", sa.Text(), nullable=True),
        sa.Column("extension_until", sa.Text(), nullable=True),
        sa.Column("parts", sa.Text(), nullable=False),
        sa.Column("activity_at", sa.Float(), nullable=True),
        sa.Column("answered", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("reviewed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("answered_at", sa.Float(), nullable=True),
    )
    op.create_index("evaluation_summaries_cycle", "evaluation_summaries", ["cycle", "urn"])
    op.create_table(
        "heading_summaries",
        sa.Column("urn", NAME, primary_key=True),
        sa.Column("cycle", NAME, primary_key=True),
        sa.Column("heading", NAME, primary_key=True),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("reviewed", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.Float(), nullable=True),
    )
    op.create_table(
        "submitted_ratings",
        sa.Column("urn", NAME, primary_key=True),
        sa.Column("cycle", NAME, primary_key=True),
        sa.Column("framework", sa.Text(), nullable=True),
        sa.Column("framework_version", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("ratings", sa.Text(), nullable=False),
        sa.Column("moderated", sa.Boolean(), nullable=False),
    )
    # The rows of the documents already stored. (The service's own code works them out, so that they are exactly
    # what the store keeps from now on.)
    from form_service import summaries

    summaries.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("submitted_ratings")
    op.drop_table("heading_summaries")
    op.drop_index("evaluation_summaries_cycle", "evaluation_summaries")
    op.drop_table("evaluation_summaries")
    op.drop_table("school_summaries")
