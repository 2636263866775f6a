"""The document store: documents, the deletions followers must hear of, and the change counter.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Keys sort by code point on both engines (as Python sorts them): byte order of UTF-8, which is SQLite's
# default and PostgreSQL's "C" collation.
NAME = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("collection", NAME, primary_key=True),
        sa.Column("key", NAME, primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("changed_seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("documents_changed_seq", "documents", ["changed_seq"], unique=True)
    op.create_table(
        "deleted_documents",
        sa.Column("collection", NAME, primary_key=True),
        sa.Column("key", NAME, primary_key=True),
        sa.Column("changed_seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("deleted_documents_changed_seq", "deleted_documents", ["changed_seq"], unique=True)
    state = op.create_table(
        "store_state",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="store_state_one_row"),
    )
    op.bulk_insert(state, [{"id": 1, "seq": 0, "epoch": secrets.randbelow(2**62)}])


def downgrade() -> None:
    op.drop_table("store_state")
    op.drop_index("deleted_documents_changed_seq", "deleted_documents")
    op.drop_table("deleted_documents")
    op.drop_index("documents_changed_seq", "documents")
    op.drop_table("documents")
