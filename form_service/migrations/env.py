"""Alembic's environment for the service's database.

The service runs migrations itself (`form_service.db.upgrade`), handing over its own connection in
`config.attributes["connection"]`. Without one (Alembic's own command line), the database is the one the
service would use: DATABASE_URL, or the SQLite file in DATA_DIR.
"""

from __future__ import annotations

from alembic import context

from form_service import db

# Any constant: every process that migrates a PostgreSQL database takes this lock, so they migrate one at a time.
_MIGRATION_LOCK = 7_345_001


def run_migrations(connection: object) -> None:
    context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":  # type: ignore[attr-defined]
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")  # type: ignore[attr-defined]
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    import os
    from pathlib import Path

    from form_service.config import ROOT

    engine = db.create(db.database_url({"DATA_DIR": Path(os.environ.get("DATA_DIR", ROOT / "data"))}))
    with engine.connect().execution_options(**{db.WRITE: True}) as own:
        run_migrations(own)
    engine.dispose()
