"""A real fault in the audit log, for showing that a change and its audit entry commit together or not at all: a
database trigger, made by the test, that refuses every INSERT into `audit_entries` (on SQLite or PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from form_service import db

REFUSAL = "the audit log refuses new entries"


def break_audit_log(engine: Engine) -> None:
    """From now on every INSERT into audit_entries fails, in the database itself."""
    with engine.begin() as connection:
        if db.is_sqlite(engine):
            connection.exec_driver_sql(
                "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_entries "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION audit_refused() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_entries "
                "FOR EACH ROW EXECUTE FUNCTION audit_refused()"
            )


def mend_audit_log(engine: Engine) -> None:
    """Take the trigger away again."""
    with engine.begin() as connection:
        if db.is_sqlite(engine):
            connection.exec_driver_sql("DROP TRIGGER audit_refused")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_refused ON audit_entries")
            connection.exec_driver_sql("DROP FUNCTION audit_refused()")


def audit_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM audit_entries")).scalar_one())
