"""The tables the store keeps beside nothing else: documents, the writer lock, evidence files, the outbox and the
audit log (the summary rows are declared in summaries.py). Migrations in form_service/migrations make them; these
definitions are what the code reads and writes through.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
documents = sa.Table(
    "documents",
    metadata,
    sa.Column("collection", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=True),
)
writer_lock = sa.Table("writer_lock", metadata, sa.Column("id", sa.Integer, primary_key=True))
evidence_files = sa.Table(
    "evidence_files",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("urn", sa.Text, nullable=False),
    sa.Column("bytes", sa.LargeBinary, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)
# Emails queued in the transaction of the change that causes them, sent afterwards: see form_service/core/outbox.py.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("recipient", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("text_body", sa.Text, nullable=False),
    sa.Column("html_body", sa.Text),
    sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("last_error", sa.Text),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
)
# The audit log: one row per entry, inserted in the transaction of the change it records (core/audit.py).
audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("from", sa.Text, nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
)
