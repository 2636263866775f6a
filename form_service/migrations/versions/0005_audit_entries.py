"""The audit log as rows: one `audit_entries` row per entry, inserted in the transaction of the change it records.

Until this revision the log was one document per day (collection "audit", key the UTC date, body
{"date": ..., "entries": [...]}) that every entry rewrote. The upgrade moves every entry of those documents into
rows, in the order they were written (so ids follow the log), and deletes the day documents. Nothing follows
the audit collection through `changes()`, so the documents go without a record of their deletion.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# SQLite numbers rows itself only for an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BATCH = 500


def _table() -> sa.Table:
    return sa.table(
        "audit_entries",
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.Text()),
        sa.column("action", sa.Text()),
        sa.column("target", sa.Text()),
        sa.column("from", sa.Text()),
        sa.column("details", sa.JSON()),
    )


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("from", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("audit_entries_at", "audit_entries", ["at"])
    _move_day_documents()


def _move_day_documents() -> None:
    connection = op.get_bind()
    days = connection.execute(sa.text("SELECT key, body FROM documents WHERE collection = 'audit' ORDER BY key")).all()
    table = _table()
    batch: list[dict[str, Any]] = []
    for day, body in days:
        for entry in json.loads(body).get("entries") or []:
            batch.append(_row(day, entry))
            if len(batch) >= _BATCH:
                connection.execute(table.insert(), batch)
                batch = []
    if batch:
        connection.execute(table.insert(), batch)
    connection.execute(sa.text("DELETE FROM documents WHERE collection = 'audit'"))


def _row(day: str, entry: dict[str, Any]) -> dict[str, Any]:
    """An entry of a day document as a row; anything missing or unreadable is kept as well as it can be."""
    try:
        at = datetime.fromisoformat(str(entry["at"]))
    except (KeyError, ValueError):
        at = datetime.fromisoformat(day)
    details = entry.get("details")
    return {
        "at": (at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)),
        "actor": str(entry.get("actor") or "anonymous"),
        "action": str(entry.get("action") or ""),
        "target": str(entry.get("target") or ""),
        "from": str(entry.get("from") or "unknown"),
        "details": details if isinstance(details, dict) else {},
    }


def downgrade() -> None:
    """Put the rows back into day documents (each a new change), then drop the table."""
    connection = op.get_bind()
    days: dict[str, list[dict[str, Any]]] = {}
    for at, actor, action, target, source, details in connection.execute(
        sa.select(*_table().columns).order_by(sa.text("id"))
    ):
        moment = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
        days.setdefault(moment.date().isoformat(), []).append(
            {
                "at": moment.isoformat(timespec="seconds"),
                "actor": actor,
                "action": action,
                "target": target,
                "from": source,
                "details": details if isinstance(details, dict) else json.loads(details),
            }
        )
    for day, entries in sorted(days.items()):
        connection.execute(sa.text("UPDATE store_state SET seq = seq + 1 WHERE id = 1"))
        seq = connection.execute(sa.text("SELECT seq FROM store_state WHERE id = 1")).scalar_one()
        connection.execute(
            sa.text("INSERT INTO documents (collection, key, body, changed_seq) VALUES ('audit', :k, :b, :s)"),
            {"k": day, "b": json.dumps({"date": day, "entries": entries}, separators=(",", ":")), "s": seq},
        )
    op.drop_index("audit_entries_at", "audit_entries")
    op.drop_table("audit_entries")
