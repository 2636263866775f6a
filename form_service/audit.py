"""The audit log: every change to accounts and roles, who made it, when (UTC) and from where.

One document per day keeps each write small. Entries never hold tokens: callers pass only what a
reviewer of the log needs (who, what, to whom).
"""

from __future__ import annotations

from typing import Any

from . import clock
from .store import Store

COLLECTION = "audit"


def record(store: Store, actor: str | None, action: str, target: str, client: str | None, **details: Any) -> None:
    now = clock.now()
    entry = {
        "at": now.isoformat(timespec="seconds"),
        "actor": actor or "anonymous",
        "action": action,
        "target": target,
        "from": client or "unknown",
        "details": details,
    }

    def append(day: dict | None) -> tuple[dict, None]:
        day = day or {"date": now.date().isoformat(), "entries": []}
        day["entries"].append(entry)
        return day, None

    store.modify(COLLECTION, now.date().isoformat(), append)


def entries(store: Store, day: str) -> list[dict[str, Any]]:
    document = store.read(COLLECTION, day)
    return document["entries"] if document else []


def recent(store: Store, days: int = 30) -> list[dict[str, Any]]:
    """The newest entries first, from the last `days` day-documents that exist."""
    keys = store.keys(COLLECTION)[-days:]
    found = [entry for key in keys for entry in entries(store, key)]
    # `found` is oldest first; reversing it before the (stable) sort keeps entries made in the same second
    # newest first too.
    return sorted(reversed(found), key=lambda entry: entry["at"], reverse=True)
