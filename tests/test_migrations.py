"""Schema changes lose nothing: a database made at the first schema and filled with everything the service keeps
(the demo data, as the service writes it) is brought to the newest schema by the migrations, on each engine, and
every row reads back as it was.
"""

from __future__ import annotations

import json
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from form_service import db, programme
from form_service.core import audit
from form_service.insight import index as insight_index
from form_service.store import SQLStore, audit_entries, get_store
from tests.conftest import REPO_ROOT
from tests.test_store import ENGINES, url_of

FIRST = "0001"


AuditEntry = dict[str, Any]


def seeded_rows(tmp_path: Path) -> tuple[list[tuple[str, str, str]], list[AuditEntry]]:
    """Every document the demo data holds, as (collection, key, body) rows, and the audit log's entries, oldest
    first."""
    from form_service import create_app
    from form_service.commands import seed_demo
    from form_service.config import TestConfig

    app = create_app(
        TestConfig,
        {
            "DATA_DIR": tmp_path / "seed",
            "CONTENT_ROOT": REPO_ROOT,
            "SITE_DIR": tmp_path / "no-site",
            "TODAY": "2026-11-23",
        },
    )
    with app.app_context():
        seed_demo(app, programme=True)  # every stage of the programme, as `make run` seeds it
        store = get_store()
        people = store.keys("users")
        for number in range(60):  # a log over several days, as a service in use writes it
            app.extensions["clock"].advance(timedelta(hours=5))
            audit.record(
                store, people[number % len(people)], f"action {number}", f"school {number}", "127.0.0.1", n=number
            )
        engine = get_store().engine
        with engine.connect() as connection:
            rows = [
                tuple(row)
                for row in connection.execute(
                    sa.text("SELECT collection, key, body FROM documents ORDER BY collection, key")
                )
            ]
        entries = list(reversed(audit.recent(store, days=3650)))
        engine.dispose()
    return rows, entries  # type: ignore[return-value]


def day_documents(entries: list[AuditEntry]) -> list[tuple[str, str, str]]:
    """The audit log as the first schema kept it: one document per UTC day, {"date", "entries"}."""
    days: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        days.setdefault(entry["at"][:10], []).append(entry)
    return [("audit", day, json.dumps({"date": day, "entries": logged})) for day, logged in sorted(days.items())]


def logged(database: sa.Engine) -> list[AuditEntry]:
    """Every row of the audit log, in the order written, as audit.recent gives entries."""
    with database.connect() as connection:
        rows = connection.execute(sa.select(audit_entries).order_by(audit_entries.c.id)).all()
    return [
        {
            "at": (row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)).isoformat(timespec="seconds"),
            "actor": row.actor,
            "action": row.action,
            "target": row.target,
            "from": row._mapping["from"],
            "details": row.details,
        }
        for row in rows
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_full_database_at_the_first_schema_upgrades_to_the_newest_losing_nothing(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    rows, entries = seeded_rows(tmp_path)
    collections = {row[0] for row in rows}
    assert len(rows) > 100 and {"schools", "users", "self_evaluations", "submissions", "moderation", "awards"} <= (
        collections
    ), collections
    # The audit log, as the first schema kept it: a document per day, more than one day and many entries each.
    days = day_documents(entries)
    assert len(entries) > 20 and len(days) > 1, (len(entries), len(days))

    database = db.create(url_of(engine, tmp_path, request, "old"))
    request.addfinalizer(database.dispose)
    db.upgrade(database, FIRST)
    # The first schema numbered every change, and kept the counter and a record of each deletion.
    with database.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO documents (collection, key, body, changed_seq) VALUES (:c, :k, :b, :s)"),
            [{"c": c, "k": k, "b": b, "s": n} for n, (c, k, b) in enumerate([*rows, *days], start=1)],
        )
        connection.execute(
            sa.text("INSERT INTO deleted_documents (collection, key, changed_seq) VALUES ('schools', 'gone', :s)"),
            {"s": len(rows) + len(days) + 1},
        )
        connection.execute(sa.text("UPDATE store_state SET seq = :seq"), {"seq": len(rows) + len(days) + 1})

    db.upgrade(database)

    assert db.current_revision(database) == db.head_revision() != FIRST
    with database.connect() as connection:
        after = [
            tuple(row)
            for row in connection.execute(
                sa.text("SELECT collection, key, body FROM documents ORDER BY collection, key")
            )
        ]
        for added in ("outbox", "evidence_files"):
            assert connection.execute(sa.text(f"SELECT count(*) FROM {added}")).scalar_one() == 0
    # The day documents became rows: every entry, in the order it was written, and no day document is left.
    assert after == rows
    assert logged(database) == entries
    store = SQLStore(database)

    read_back: dict[tuple[str, str], Any] = {(c, k): store.read(c, k) for c, k, _ in rows}
    assert all(document is not None for document in read_back.values())
    assert sorted(store.keys("schools")) == sorted(k for c, k, _ in rows if c == "schools")
    # The change record is gone; the documents kept everything else.
    tables = set(sa.inspect(database).get_table_names())
    assert "writer_lock" in tables and not {"store_state", "deleted_documents"} & tables
    assert "changed_seq" not in {column["name"] for column in sa.inspect(database).get_columns("documents")}
    assert {index["name"] for index in sa.inspect(database).get_indexes("documents")} == {"documents_expires_at"}

    # The dashboard shows every school at once, from summary rows the migration worked out from the documents:
    # the same rows as working them out from the documents themselves gives, on any day.
    from quality_mark.loader import load_content
    from tests.test_summaries import rows_from_documents

    content = load_content(REPO_ROOT)
    for day in (date(2026, 11, 23), date(2027, 6, 1)):
        shown = {row.urn: row for row in programme.rows(store, content, day)}
        assert sorted(shown) == sorted(k for c, k, _ in rows if c == "schools")
        assert shown == rows_from_documents(store, content, day)
    assert {row["urn"] for row in insight_index.all_rows(store, content)} >= {"900003", "900005", "900009"}

    # Back one step, a self-evaluation's answers are counted on its own row again: the sums of its listed
    # headings' rows, as the pages add them up when read. Forward again, the pages show the same.
    with database.connect() as connection:
        headings = connection.execute(
            sa.text("SELECT urn, cycle, answered, reviewed, answered_at FROM heading_summaries WHERE listed")
        ).all()
    expected: dict[tuple[str, str], list[Any]] = {}
    for urn, cycle, answered, reviewed, answered_at in headings:
        sums = expected.setdefault((urn, cycle), [0, 0, None])
        sums[0] += answered
        sums[1] += reviewed
        if answered_at is not None:
            sums[2] = answered_at if sums[2] is None else max(sums[2], answered_at)
    assert any(sums[0] for sums in expected.values())
    db.downgrade(database, "0006")
    with database.connect() as connection:
        kept = connection.execute(
            sa.text("SELECT urn, cycle, answered, reviewed, answered_at FROM evaluation_summaries")
        ).all()
    assert {(urn, cycle): [answered, reviewed, at] for urn, cycle, answered, reviewed, at in kept} == {
        (urn, cycle): expected.get((urn, cycle), [0, 0, None]) for urn, cycle, *_ in kept
    }
    db.upgrade(database)
    assert {row.urn: row for row in programme.rows(store, content, date(2026, 11, 23))} == rows_from_documents(
        store, content, date(2026, 11, 23)
    )
