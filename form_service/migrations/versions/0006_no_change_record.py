"""No change record: documents lose `changed_seq`, and `deleted_documents` and `store_state` go; one
`writer_lock` row stays for writers to lock.

Nothing follows changes any more: the LA's pages read summary rows kept in each write's transaction (0004). The
numbering cost every write one more statement and an update of a unique index, and its deletion records grew
without end.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NAME = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")


def upgrade() -> None:
    lock = op.create_table(
        "writer_lock",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.CheckConstraint("id = 1", name="writer_lock_one_row"),
    )
    op.bulk_insert(lock, [{"id": 1}])
    op.drop_table("store_state")
    op.drop_index("deleted_documents_changed_seq", "deleted_documents")
    op.drop_table("deleted_documents")
    op.drop_index("documents_changed_seq", "documents")
    with op.batch_alter_table("documents") as documents:  # SQLite copies the table; PostgreSQL drops the column
        documents.drop_column("changed_seq")


def downgrade() -> None:
    """Back to numbered changes: every document gets a number of its own (in key order), the counter the highest of
    them, and a new epoch, so anything following changes() starts again from scratch."""
    with op.batch_alter_table("documents") as documents:
        documents.add_column(sa.Column("changed_seq", sa.BigInteger(), nullable=True))
    numbered = sa.text(
        "UPDATE documents SET changed_seq = (SELECT n FROM (SELECT collection, key, "
        "row_number() OVER (ORDER BY collection, key) AS n FROM documents) AS numbered "
        "WHERE numbered.collection = documents.collection AND numbered.key = documents.key)"
    )
    op.execute(numbered)
    with op.batch_alter_table("documents") as documents:
        documents.alter_column("changed_seq", existing_type=sa.BigInteger(), nullable=False)
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
    op.execute("UPDATE store_state SET seq = (SELECT coalesce(max(changed_seq), 0) FROM documents)")
    op.drop_table("writer_lock")
