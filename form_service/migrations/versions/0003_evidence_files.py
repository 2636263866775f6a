"""Evidence files in the database, and an expiry on documents that housekeeping purges.

`evidence_files` holds each uploaded evidence file's bytes (BLOB on SQLite, bytea on PostgreSQL), so backups
hold them and every application host serves them. `documents.expires_at` (epoch seconds, NULL for documents
that never expire) is set by the store from the collection's declared expiry (`store.expires`), and a partial
index on it lets `flask purge` find expired sign-in tokens, rate-limit records and kept text by query.

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import json
import math
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAME = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
# Documents already stored whose body says when they expire (an ISO moment in "expires_at"): given the column.
_EXPIRING_BY_BODY = ("sign_in_tokens", "kept_text")
_TOKEN_GRACE_SECONDS = 24 * 60 * 60  # as form_service.accounts.sign_in: a token is purged a day after it expires


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", NAME, primary_key=True),
        sa.Column("urn", NAME, nullable=False),
        sa.Column("bytes", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
    )
    op.create_index("evidence_files_urn", "evidence_files", ["urn"])
    op.add_column("documents", sa.Column("expires_at", sa.BigInteger(), nullable=True))
    op.create_index(
        "documents_expires_at",
        "documents",
        ["collection", "expires_at"],
        sqlite_where=sa.text("expires_at IS NOT NULL"),
        postgresql_where=sa.text("expires_at IS NOT NULL"),
    )
    _backfill()


def _backfill() -> None:
    """Give documents stored before this revision their expiry (a database upgraded from 0001 loses nothing and
    keeps nothing for ever)."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT collection, key, body FROM documents "
            "WHERE collection IN ('sign_in_tokens', 'kept_text', 'rate_limits')"
        )
    ).all()
    for collection, key, body in rows:
        expires = _expiry(collection, json.loads(body))
        if expires is not None:
            connection.execute(
                sa.text("UPDATE documents SET expires_at = :e WHERE collection = :c AND key = :k"),
                {"e": expires, "c": collection, "k": key},
            )


def _expiry(collection: str, document: dict) -> int | None:
    try:
        if collection in _EXPIRING_BY_BODY:
            moment = datetime.fromisoformat(document["expires_at"]).timestamp()
            return math.ceil(moment + (_TOKEN_GRACE_SECONDS if collection == "sign_in_tokens" else 0))
        if collection == "rate_limits" and document.get("attempts"):
            # Written before rate-limit records said their window: the longest window the service uses is an hour.
            return math.ceil(max(document["attempts"]) + 60 * 60)
    except (KeyError, TypeError, ValueError):
        return None
    return None


def downgrade() -> None:
    op.drop_index("documents_expires_at", "documents")
    op.drop_column("documents", "expires_at")
    op.drop_index("evidence_files_urn", "evidence_files")
    op.drop_table("evidence_files")
