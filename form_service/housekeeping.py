"""Housekeeping: delete what has expired, by query (`flask --app form_service purge`, run daily).

What expires is declared by the module that owns it (`store.expires`): sign-in links (a day after they stop
working), rate-limit records (once their window has passed) and text kept from refused posts (after a week).
Each is found through the indexed `documents.expires_at` column, never by reading every document. Emails sent
more than 30 days ago leave the outbox too. Sessions need
nothing here: a signed-in session is an id in its person's user document, removed when it ends (sign out, sign
out everywhere, removal) and at most 20 per person; when it is idle is known only to its own cookie.
"""

from __future__ import annotations

from .accounts import sign_in
from .core import clock, kept_text, outbox
from .store import SQLStore, expiring_collections

SENT_EMAILS = "outbox"

# What each expiring collection is, in words, for what the purge reports: (one, many).
WHAT = {
    sign_in.TOKENS: ("expired sign-in link", "expired sign-in links"),
    sign_in.RATE_LIMITS: ("rate-limit record whose time has passed", "rate-limit records whose time has passed"),
    kept_text.COLLECTION: ("piece of kept text past its week", "pieces of kept text past their week"),
    SENT_EMAILS: ("email sent more than 30 days ago", "emails sent more than 30 days ago"),
}


def purge(store: SQLStore) -> dict[str, int]:
    """Delete every expired document of every expiring collection, and old sent emails, as of the service's
    clock; returns how many went from each collection (and the outbox)."""
    now = clock.seconds()
    counts = {collection: store.purge_expired(collection, now) for collection in expiring_collections()}
    counts[SENT_EMAILS] = outbox.purge_sent(store, clock.now())
    return counts


def describe(counts: dict[str, int]) -> list[str]:
    """One line per collection: 'Deleted 3 expired sign-in links.'"""
    lines = []
    for collection, count in counts.items():
        one, many = WHAT.get(collection, (f"expired {collection} document", f"expired {collection} documents"))
        lines.append(f"Deleted {count} {one if count == 1 else many}.")
    return lines
