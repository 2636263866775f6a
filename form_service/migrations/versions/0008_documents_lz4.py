"""On PostgreSQL, documents' bodies are compressed with lz4 rather than the default pglz.

A self-evaluation's heading is about 10 KB of JSON, so PostgreSQL compresses it on every autosave: with pglz the
document's UPDATE took 0.31 ms at the median, with lz4 0.18 ms (`bench/store_saves.py`, 3,000 schools). Bodies
already stored keep their compression until next written. A server built without lz4 (or older than
PostgreSQL 14) keeps pglz; SQLite does not compress and is left as it is.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _set_compression(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or (bind.dialect.server_version_info or (0,)) < (14,):
        return
    try:
        with bind.begin_nested():  # a refusal undoes this statement alone
            bind.exec_driver_sql(f"ALTER TABLE documents ALTER COLUMN body SET COMPRESSION {method}")
    except sa.exc.DBAPIError:
        pass  # built without lz4: the default stays


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("pglz")
