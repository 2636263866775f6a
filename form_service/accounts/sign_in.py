"""Single-use sign-in links: a random token, stored only as its hash, that works once within 15 minutes.

Rate limits are kept in the store, so they hold across every worker process (and host).

Both expire (see `store.expires`), and `flask purge` deletes what has: a token a day after it stops working (so
a link opened the next day still says it has expired, not that it is not valid), and a rate-limit record once
its window has passed (it then counts nothing).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, Literal

from ..core import clock
from ..store import Store, expires

TOKENS = "sign_in_tokens"
RATE_LIMITS = "rate_limits"
TOKEN_KEPT_AFTER_EXPIRY = timedelta(days=1)


def _token_purgeable_after(record: dict[str, Any]) -> float:
    return (datetime.fromisoformat(record["expires_at"]) + TOKEN_KEPT_AFTER_EXPIRY).timestamp()


def _rate_limit_purgeable_after(record: dict[str, Any]) -> float | None:
    return record.get("window_ends")


expires(TOKENS, _token_purgeable_after)
expires(RATE_LIMITS, _rate_limit_purgeable_after)

TokenProblem = Literal["unknown", "used", "expired"]

TOKEN_PROBLEMS: dict[str, str] = {
    "unknown": "This sign-in link is not valid. Check you used the whole link from the email, or ask for a new one.",
    "used": "This sign-in link has already been used. Each link works once: ask for a new one.",
    "expired": "This sign-in link has expired. Links work for 15 minutes: ask for a new one.",
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store: Store, user_id: str | None, minutes: int) -> str:
    """A new sign-in token for the user; only its hash is stored. (None: a token that signs nobody in.)"""
    token = secrets.token_urlsafe(32)
    expires = clock.now() + timedelta(minutes=minutes)
    store.write(TOKENS, token_hash(token), {"user_id": user_id, "expires_at": expires.isoformat(), "used_at": None})
    return token


def consume_token(store: Store, token: str) -> tuple[str | None, TokenProblem | None]:
    """(user_id, None) the first time a valid token is used; (None, problem) otherwise."""
    if not token or len(token) > 100:
        return None, "unknown"

    def use(record: dict | None) -> tuple[dict | None, tuple[str | None, TokenProblem | None]]:
        if record is None or record["user_id"] is None:
            return record, (None, "unknown")
        if record["used_at"]:
            return record, (None, "used")
        if datetime.fromisoformat(record["expires_at"]) < clock.now():
            return record, (None, "expired")
        record["used_at"] = clock.now().isoformat()
        return record, (record["user_id"], None)

    return store.modify(TOKENS, token_hash(token), use)


def check_token(store: Store, token: str) -> TokenProblem | None:
    """Whether a token would work, without using it (for the page behind the emailed link)."""
    if not token or len(token) > 100:
        return "unknown"
    record = store.read(TOKENS, token_hash(token))
    if record is None or record["user_id"] is None:
        return "unknown"
    if record["used_at"]:
        return "used"
    if datetime.fromisoformat(record["expires_at"]) < clock.now():
        return "expired"
    return None


def within_rate_limit(store: Store, bucket: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt in `bucket`; False when it is over `limit` attempts in the last `window_seconds`."""
    now = clock.seconds()

    def count(record: dict | None) -> tuple[dict, bool]:
        recent = [t for t in (record or {}).get("attempts", []) if t > now - window_seconds]
        allowed = len(recent) < limit
        if allowed:
            recent.append(now)
        # Once every attempt is out of the window the record counts nothing, and housekeeping may delete it.
        return {"attempts": recent, "window_ends": max(recent, default=now) + window_seconds}, allowed

    key = hashlib.sha256(bucket.encode("utf-8")).hexdigest()
    return store.modify(RATE_LIMITS, key, count)
