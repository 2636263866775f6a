"""Schema changes lose nothing: a database made at the first schema and filled with everything the service keeps
(the demo data, as the service writes it) is brought to the newest schema by the migrations, on each engine, and
every row reads back as it was.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from form_service import db, insight_index, programme
from form_service.store import SQLStore, get_store
from tests.conftest import REPO_ROOT
from tests.test_store import ENGINES, url_of

FIRST = "0001"


def seeded_rows(tmp_path: Path) -> tuple[list[tuple[str, str, str, int]], tuple[int, int]]:
    """Every document the demo data holds, as rows of the first schema, and the store's (seq, epoch)."""
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
        engine = get_store().engine
        with engine.connect() as connection:
            rows = [
                tuple(row)
                for row in connection.execute(
                    sa.text("SELECT collection, key, body, changed_seq FROM documents ORDER BY collection, key")
                )
            ]
            state = tuple(connection.execute(sa.text("SELECT seq, epoch FROM store_state")).one())
        engine.dispose()
    return rows, state  # type: ignore[return-value]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_full_database_at_the_first_schema_upgrades_to_the_newest_losing_nothing(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    rows, (seq, epoch) = seeded_rows(tmp_path)
    collections = {row[0] for row in rows}
    assert (
        len(rows) > 100
        and {"schools", "users", "self_evaluations", "submissions", "moderation", "awards", "audit"} <= collections
    ), collections

    database = db.create(url_of(engine, tmp_path, request, "old"))
    request.addfinalizer(database.dispose)
    db.upgrade(database, FIRST)
    with database.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO documents (collection, key, body, changed_seq) VALUES (:c, :k, :b, :s)"),
            [{"c": c, "k": k, "b": b, "s": s} for c, k, b, s in rows],
        )
        connection.execute(sa.text("UPDATE store_state SET seq = :seq, epoch = :epoch"), {"seq": seq, "epoch": epoch})

    db.upgrade(database)

    assert db.current_revision(database) == db.head_revision() != FIRST
    with database.connect() as connection:
        after = [
            tuple(row)
            for row in connection.execute(
                sa.text("SELECT collection, key, body, changed_seq FROM documents ORDER BY collection, key")
            )
        ]
        assert tuple(connection.execute(sa.text("SELECT seq, epoch FROM store_state")).one()) == (seq, epoch)
        for added in ("outbox", "evidence_files"):
            assert connection.execute(sa.text(f"SELECT count(*) FROM {added}")).scalar_one() == 0
    assert after == rows

    store = SQLStore(database)
    read_back: dict[tuple[str, str], Any] = {(c, k): store.read(c, k) for c, k, _, _ in rows}
    assert all(document is not None for document in read_back.values())
    assert sorted(store.keys("schools")) == sorted(k for c, k, _, _ in rows if c == "schools")

    # The dashboard shows every school at once, from summary rows the migration worked out from the documents:
    # the same rows as working them out from the documents themselves gives, on any day.
    from quality_mark.loader import load_content
    from tests.test_summaries import rows_from_documents

    content = load_content(REPO_ROOT)
    for day in (date(2026, 11, 23), date(2027, 6, 1)):
        shown = {row.urn: row for row in programme.rows(store, content, day)}
        assert sorted(shown) == sorted(k for c, k, _, _ in rows if c == "schools")
        assert shown == rows_from_documents(store, content, day)
    assert {row["urn"] for row in insight_index.all_rows(store, content)} >= {"900003", "900005", "900009"}
