"""The audit log: every change to accounts, roles and a school's Quality Mark, who made it, when (UTC) and from
where.

One row per entry in `audit_entries`, inserted in the transaction of the change it records (joining the one
open, see `SQLStore.run`), so a change and its entry commit together or not at all. Entries never hold tokens:
callers pass only what a reviewer of the log needs (who, what, to whom).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..store import Store, audit_entries
from . import clock


def record(store: Store, actor: str | None, action: str, target: str, client: str | None, **details: Any) -> None:
    """Add an entry to the log, in the thread's store transaction (or one of its own)."""
    row = {
        "at": clock.now().astimezone(UTC).replace(microsecond=0),
        "actor": actor or "anonymous",
        "action": action,
        "target": target,
        "from": client or "unknown",
        "details": details,
    }
    store.run(lambda connection: connection.execute(audit_entries.insert().values(row)))


def _entry(row: Any) -> dict[str, Any]:
    at: datetime = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)  # SQLite gives it back without its zone
    return {
        "at": at.astimezone(UTC).isoformat(timespec="seconds"),
        "actor": row.actor,
        "action": row.action,
        "target": row.target,
        "from": row._mapping["from"],
        "details": row.details,
    }


def recent(store: Store, days: int = 30, limit: int | None = None) -> list[dict[str, Any]]:
    """The entries of the last `days` days (by the service's clock), newest first (at most `limit`)."""
    since = clock.now().astimezone(UTC) - timedelta(days=days)
    query = (
        sa.select(audit_entries)
        .where(audit_entries.c.at >= since)
        .order_by(audit_entries.c.at.desc(), audit_entries.c.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return store.query(lambda connection: [_entry(row) for row in connection.execute(query)])
