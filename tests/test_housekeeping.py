"""Housekeeping: `flask purge` deletes, by query, what has expired (sign-in links, rate-limit records, kept text,
emails sent more than 30 days ago) and nothing else, on both engines, as of the service's own clock. Records are
made by the service's own code: the sign-in link and rate-limit functions, and kept text from a real refused post."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from form_service import db
from form_service.accounts import sign_in
from form_service.core import kept_text
from form_service.store import get_store, open_store

ENGINES = ["sqlite", "postgresql"]
START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
NOTES = "/school/900001/evidence/attendance/notes"


def keep_typed_text(app: Any, notes: str) -> str:
    """What the service keeps of a notes form posted after its person was signed out; returns its key."""
    with app.test_request_context(NOTES, method="POST", data={"notes": notes, "action": "save"}):
        assert kept_text.keep(None, "signed_out") is not None
        from flask import session

        return session[kept_text.SESSION_KEY][-1]


def expiry_column(app: Any, collection: str) -> dict[str, int | None]:
    with app.app_context(), get_store().engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT key, expires_at FROM documents WHERE collection = :c"), {"c": collection}
        )
        return dict(rows.all())


@pytest.mark.parametrize("engine", ENGINES)
def test_purge_deletes_only_what_has_expired(engine: str, tmp_path: Path, service_on: Any) -> None:
    app = service_on(engine, tmp_path / "data")
    clock = app.extensions["clock"]
    with app.app_context():
        store = get_store()
        # Made on 10 November: by the 18th, all of these have expired.
        clock.set(START)
        old_link = sign_in.issue_token(store, "someone", 15)
        assert sign_in.within_rate_limit(store, "sign-in:email:old@example.org", 5, 15 * 60)
        old_text = keep_typed_text(app, "Typed on the 10th")
        clock.set(START + timedelta(days=6))
        new_text = keep_typed_text(app, "Typed on the 16th")  # kept until the 23rd
        # Made on the 18th: a link that stopped working an hour ago (still says 'expired' for a day), a live link
        # and a rate limit still counting.
        now = START + timedelta(days=8)
        clock.set(now - timedelta(minutes=75))
        recent_link = sign_in.issue_token(store, "someone", 15)
        clock.set(now - timedelta(minutes=5))
        live_link = sign_in.issue_token(store, "someone", 15)
        assert sign_in.within_rate_limit(store, "sign-in:email:new@example.org", 5, 15 * 60)
        clock.set(now)
        assert len(store.keys(sign_in.TOKENS)) == 3
        assert len(store.keys(sign_in.RATE_LIMITS)) == 2
        assert sorted(store.keys(kept_text.COLLECTION)) == sorted([old_text, new_text])
    # The writers gave each record its expiry in its row, for the purge's query.
    expected = [START + timedelta(minutes=15), now - timedelta(minutes=60), now + timedelta(minutes=10)]
    found = sorted(expiry_column(app, sign_in.TOKENS).values())
    for stored, expiry in zip(found, expected, strict=True):  # the clock runs on from where it was set: seconds
        assert 0 <= stored - (expiry + timedelta(days=1)).timestamp() < 5
    assert None not in expiry_column(app, kept_text.COLLECTION).values()
    assert None not in expiry_column(app, sign_in.RATE_LIMITS).values()

    purged = app.test_cli_runner().invoke(args=["purge"])

    assert purged.exit_code == 0, purged.output
    assert purged.output.splitlines() == [
        "Deleted 1 piece of kept text past its week.",
        "Deleted 1 rate-limit record whose time has passed.",
        "Deleted 1 expired sign-in link.",
        "Deleted 0 emails sent more than 30 days ago.",
    ]
    with app.app_context():
        store = get_store()
        assert sign_in.check_token(store, old_link) == "unknown"
        assert sign_in.check_token(store, recent_link) == "expired"
        assert sign_in.check_token(store, live_link) is None
        assert store.keys(kept_text.COLLECTION) == [new_text]
        ((key, left),) = store.scan(sign_in.RATE_LIMITS)
        assert key == sign_in.hashlib.sha256(b"sign-in:email:new@example.org").hexdigest()
        assert 0 <= left["attempts"][0] - (now - timedelta(minutes=5)).timestamp() < 5
        assert sign_in.consume_token(store, live_link) == ("someone", None)
    again = app.test_cli_runner().invoke(args=["purge"])
    assert again.output.splitlines() == [
        "Deleted 0 pieces of kept text past their week.",
        "Deleted 0 rate-limit records whose time has passed.",
        "Deleted 0 expired sign-in links.",
        "Deleted 0 emails sent more than 30 days ago.",
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_purge_deletes_every_expired_record_in_batches_and_leaves_other_collections_alone(
    engine: str, tmp_path: Path, service_on: Any
) -> None:
    app = service_on(engine, tmp_path / "data", seed=False)
    with app.app_context():
        store = get_store()
        app.extensions["clock"].set(START)
        for number in range(1200):  # more than one batch
            sign_in.issue_token(store, f"user-{number}", 15)
        store.write("schools", "900001", {"name": "Oakfield", "expires_at": "2000-01-01T00:00:00+00:00"})
        others = stored_apart_from(store, sign_in.TOKENS)
        app.extensions["clock"].set(START + timedelta(days=2))
        from form_service import housekeeping

        counts = housekeeping.purge(store)

        assert counts[sign_in.TOKENS] == 1200
        assert store.keys(sign_in.TOKENS) == []
        assert store.read("schools", "900001") == {"name": "Oakfield", "expires_at": "2000-01-01T00:00:00+00:00"}
        assert stored_apart_from(store, sign_in.TOKENS) == others


def stored_apart_from(store: Any, collection: str) -> list[tuple[str, str, str]]:
    """Every stored document's row outside `collection`."""
    with store.engine.connect() as connection:
        query = sa.text("SELECT collection, key, body FROM documents WHERE collection != :c ORDER BY collection, key")
        return [tuple(row) for row in connection.execute(query, {"c": collection})]


@pytest.mark.parametrize("engine", ENGINES)
def test_records_stored_before_the_upgrade_get_their_expiry_and_are_purged(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if engine == "sqlite":
        url = db.sqlite_url(tmp_path / "data")
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create_database()
        request.addfinalizer(lambda: server.drop_database(url))
    engine_ = db.create(url)
    request.addfinalizer(engine_.dispose)
    db.upgrade(engine_, "0001")
    token = {"user_id": "someone", "expires_at": START.isoformat(), "used_at": None}
    kept = {"page": "/", "expires_at": (START + timedelta(days=7)).isoformat(timespec="seconds")}
    limit = {"attempts": [START.timestamp()]}
    school = {"name": "Oakfield"}
    rows = [
        ("sign_in_tokens", "a" * 64, token, 1),
        ("kept_text", "k1", kept, 2),
        ("rate_limits", "b" * 64, limit, 3),
        ("schools", "900001", school, 4),
    ]
    with engine_.begin() as connection:
        for collection, key, body, seq in rows:
            connection.execute(
                sa.text("INSERT INTO documents (collection, key, body, changed_seq) VALUES (:c, :k, :b, :s)"),
                {"c": collection, "k": key, "b": json.dumps(body), "s": seq},
            )
        connection.execute(sa.text("UPDATE store_state SET seq = 4"))

    db.upgrade(engine_)

    with engine_.connect() as connection:
        found = {
            (collection, key): (json.loads(body), expires_at)
            for collection, key, body, expires_at in connection.execute(
                sa.text("SELECT collection, key, body, expires_at FROM documents")
            )
        }
    assert found == {
        ("sign_in_tokens", "a" * 64): (token, int((START + timedelta(days=1)).timestamp())),
        ("kept_text", "k1"): (kept, int((START + timedelta(days=7)).timestamp())),
        ("rate_limits", "b" * 64): (limit, int((START + timedelta(hours=1)).timestamp())),
        ("schools", "900001"): (school, None),
    }
    store = open_store(database_url=url)
    request.addfinalizer(store.engine.dispose)
    later = (START + timedelta(days=8)).timestamp()
    assert [store.purge_expired(c, later) for c in ("sign_in_tokens", "kept_text", "rate_limits", "schools")] == [
        1,
        1,
        1,
        0,
    ]
    assert store.read("schools", "900001") == school


@pytest.mark.parametrize("engine", ENGINES)
def test_emails_sent_more_than_30_days_ago_leave_the_outbox_and_unsent_ones_stay(
    engine: str, tmp_path: Path, service_on: Any
) -> None:
    from form_service.core import outbox
    from form_service.core.mail import Email

    app = service_on(engine, tmp_path / "data", seed=False)
    clock = app.extensions["clock"]
    with app.app_context():
        store = get_store()

        def email(subject: str, written_at: datetime) -> None:
            outbox.queue(store, Email("senco@oakfield.example.org", subject, "A sign-in link", written_at))
            outbox.send_due_now(app)

        clock.set(START)
        email("Sent on the 10th", clock.now())
        clock.set(START + timedelta(days=20))
        email("Sent on the 30th", clock.now())
        email("Not sent: due next year", clock.now() + timedelta(days=365))
        clock.set(START + timedelta(days=31))

        purged = app.test_cli_runner().invoke(args=["purge"])

        assert purged.exit_code == 0, purged.output
        assert "Deleted 1 email sent more than 30 days ago." in purged.output.splitlines()
        with store.engine.connect() as connection:
            left = connection.execute(
                sa.select(outbox.outbox.c.subject, outbox.outbox.c.sent_at.is_not(None)).order_by(outbox.outbox.c.id)
            ).all()
        assert [tuple(row) for row in left] == [("Sent on the 30th", True), ("Not sent: due next year", False)]
