"""Command-line tasks: `flask --app form_service <command>`. Each prints what it did in plain words."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from quality_mark.register import register_json

from . import accounts, db, schools
from .core import audit, clock
from .core.content import get_content
from .insight import index as insight_index
from .register.views import current_register, write_durably
from .store import StoreError, get_store

DEMO_FOLDER = Path(__file__).resolve().parent / "demo"

DEMO_PEOPLE = [
    # (email, name, job title, LA role, school URN, school role)
    ("la.admin@example.org", "Demo LA Admin", "Quality Mark coordinator", "admin", None, None),
    ("la.reviewer@example.org", "Demo LA Reviewer", "Specialist teacher", "reviewer", None, None),
    ("senco@oakfield-primary.example.org", "Demo SENCo, Oakfield", "SENCo", None, "900001", "admin"),
    ("governor@oakfield-primary.example.org", "Demo Governor, Oakfield", "SEND governor", None, "900001", "viewer"),
    (
        "inclusion@hillcrest-academy.example.org",
        "Demo Inclusion Lead, Hillcrest",
        "Assistant Head",
        None,
        "900004",
        "admin",
    ),
    (
        "maths@hillcrest-academy.example.org",
        "Demo Maths Lead, Hillcrest",
        "Head of Maths",
        None,
        "900004",
        "contributor",
    ),
]


def seed_demo(app: Flask, programme: bool = False) -> bool:
    """Demo LA staff, schools and school teams, once. Returns False if the store already has people.

    With `programme`, also more demo schools at every stage of the programme (see programme/demo.py)."""
    store = get_store()
    with store.transaction():  # the demo data and its audit entry: all or nothing
        if store.keys(accounts.USERS):
            return False
        preview = schools.read_gias_csv((DEMO_FOLDER / "schools.csv").read_bytes(), set(get_content().framework_ids()))
        schools.apply_import(store, preview.schools)
        for email, name, job_title, la_role, urn, role in DEMO_PEOPLE:
            user = accounts.ensure_user(store, email, name, job_title, la_role=la_role)
            if urn and role:
                accounts.add_member(store, urn, user.id, role, added_by=None)
        if programme:
            from .core.clock import today
            from .programme.demo import seed_programme

            seed_programme(store, get_content(), today())
        audit.record(store, None, "demo data created", "store", "command line")
        return True


def _documents_and_files(counts: dict[str, int]) -> str:
    files = counts["evidence_files"]
    return f"{counts['documents']} documents and {files} evidence file{'' if files == 1 else 's'}"


def init_app(app: Flask) -> None:
    @app.cli.command("create-la-admin")
    @click.argument("email")
    @click.option("--name", default="LA admin", help="The person's name as shown in the service.")
    def create_la_admin(email: str, name: str) -> None:
        """Make EMAIL an LA admin (creating the account if needed)."""
        from .forms import EMAIL

        if not EMAIL.match(email.strip()):
            raise click.BadParameter(f"'{email}' is not an email address.", param_hint="EMAIL")
        store = get_store()
        with store.transaction():  # the account and its audit entry: both or neither
            user = accounts.ensure_user(store, email, name, la_role="admin")
            audit.record(store, None, "made LA admin", user.id, "command line")
        click.echo(f"{user.email} is an LA admin. They sign in at /app/sign-in with that address.")

    @app.cli.command("remove-account")
    @click.argument("email")
    def remove_account(email: str) -> None:
        """Remove EMAIL's account: off every school team, every session ended (history is kept)."""
        store = get_store()
        user = accounts.find_user_by_email(store, email)
        if user is None:
            raise click.ClickException(f"There is no account for {email}.")
        try:
            with store.transaction():  # the removal and its audit entry: both or neither
                accounts.remove_account(store, user.id)
                audit.record(store, None, "account removed", user.id, "command line")
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"The account for {user.email} is removed and all its sessions have ended.")

    @app.cli.command("import-schools")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_schools(csv_file: Path) -> None:
        """Import or update schools from a GIAS CSV export."""
        preview = schools.read_gias_csv(csv_file.read_bytes(), set(get_content().framework_ids()))
        if preview.file_error:
            raise click.ClickException(preview.file_error)
        for line, urn, message in preview.row_errors:
            click.echo(f"{csv_file}:{line}: URN {urn or '?'}: {message}", err=True)
        store = get_store()
        with store.transaction():  # the schools and the audit entry: all or nothing
            counts = schools.apply_import(store, preview.schools)
            audit.record(store, None, "imported schools", "school list", "command line", **counts)
        click.echo(
            f"{counts['new']} added, {counts['changed']} updated, {counts['unchanged']} unchanged, "
            f"{len(preview.row_errors)} rows with problems, {len(preview.skipped)} closed schools skipped."
        )

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create demo LA staff, schools and teams, and schools at every stage (only into an empty store)."""
        if seed_demo(app, programme=True):
            click.echo("Demo data created.")
        else:
            click.echo("The store already has people in it: demo data not added.")

    @app.cli.command("rebuild-insight")
    def rebuild_insight() -> None:
        """Work every summary row (dashboard, insight, year on year) out again from the documents. The store keeps
        them with every write, so this is only needed after changing documents outside the service."""
        count = insight_index.rebuild(get_store(), get_content())
        click.echo(f"Insight rebuilt: {count} schools have a submitted self-evaluation.")

    @app.cli.command("export-register")
    @click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
    def export_register(path: Path | None) -> None:
        """Write the register of schools holding the mark (JSON) to PATH, or print it when no PATH is given."""
        register = current_register(get_store(), clock.now_london())
        if path is None:
            click.echo(register_json(register), nl=False)
            return
        try:
            write_durably(path, register_json(register))
        except OSError as error:
            raise click.ClickException(f"Could not write {path}: {error.strerror or error}.") from error
        count = len(register["schools"])
        click.echo(f"Wrote the register ({count} school{'' if count == 1 else 's'} holding the mark) to {path}.")

    @app.cli.command("move-to-version")
    @click.option("--framework", "framework_id", required=True, help="The framework, for example primary.")
    @click.option("--version", "to_version", type=int, default=None, help="The version to move to (default: newest).")
    @click.option("--urn", default=None, help="Move only this school's self-evaluation.")
    @click.option("--dry-run", is_flag=True, help="Say what would move, and change nothing.")
    def move_to_version(framework_id: str, to_version: int | None, urn: str | None, dry_run: bool) -> None:
        """Move in-progress self-evaluations of FRAMEWORK (this cycle) to a newer version of its criteria."""
        from .core.clock import today
        from .self_evaluation import current_cycle
        from .versions import MoveOutcome, in_progress_on, move, move_all

        content, store = get_content(), get_store()
        if framework_id not in content.framework_ids():
            raise click.BadParameter(f"There is no framework {framework_id!r}.", param_hint="--framework")
        try:
            target = content.framework(framework_id, to_version)
        except KeyError:
            raise click.BadParameter(f"{framework_id} has no version {to_version}.", param_hint="--version") from None
        cycle = current_cycle(content, today())
        waiting = {
            school: int(version)
            for version, urns in in_progress_on(store, framework_id, cycle.id).items()
            for school in urns
            if int(version) < target.version and (urn is None or school == urn)
        }
        if urn is not None and urn not in waiting:
            raise click.ClickException(
                f"School {urn} has no in-progress {framework_id} self-evaluation for {cycle.title} on a version "
                f"before {target.version}."
            )
        if dry_run:
            for school, version in sorted(waiting.items()):
                click.echo(f"Would move {school} from version {version} to version {target.version}.")
            click.echo(f"{len(waiting)} self-evaluations would move. Nothing was changed (dry run).")
            return
        moment = clock.now_london()

        def each(school: str, outcome: MoveOutcome) -> None:
            click.echo(f"{school}: {outcome.message}")
            if outcome.status == "moved":
                audit.record(
                    store,
                    None,
                    f"moved the self-evaluation to version {target.version}",
                    f"school {school}",
                    "command line",
                    flagged=outcome.flagged,
                    kept_read_only=outcome.kept_read_only,
                )

        if urn is not None:
            with store.transaction():  # the move and its audit entry: both or neither
                each(urn, move(store, content, urn, cycle.id, target.version, None, moment))
            return
        summary = move_all(store, content, framework_id, cycle.id, target.version, None, moment, each)
        click.echo(f"{summary.count('moved')} self-evaluations moved to version {target.version}.")

    @app.cli.command("backup")
    @click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
    def backup(archive: Path) -> None:
        """Write a consistent backup of every document and evidence file to ARCHIVE (.tar.gz), while the service
        runs."""
        try:
            counts = get_store().backup_counted(archive)
        except StoreError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Backed up {_documents_and_files(counts)} to {archive}.")

    @app.cli.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.confirmation_option(prompt="This fills the service's empty database from the backup. Continue?")
    def restore(archive: Path) -> None:
        """Fill an empty database (SQLite or PostgreSQL) from a backup made by the backup command."""
        try:
            counts = get_store().restore_counted(archive)
        except StoreError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Restored {_documents_and_files(counts)} from {archive}.")

    @app.cli.command("purge")
    def purge() -> None:
        """Delete expired sign-in links, rate-limit records and kept text (run it daily)."""
        from . import housekeeping

        try:
            counts = housekeeping.purge(get_store())
        except StoreError as error:
            raise click.ClickException(str(error)) from error
        for line in housekeeping.describe(counts):
            click.echo(line)

    @app.cli.command("send-outbox")
    def send_outbox() -> None:
        """Send the queued emails that are due, trying failed ones again with backoff (the service does this too)."""
        from .core import outbox

        try:
            report = outbox.send_due_now(app)
        except (StoreError, sa.exc.SQLAlchemyError) as error:
            raise click.ClickException(f"The outbox could not be read: {error}") from error
        click.echo(f"Sent {len(report.sent)} {'email' if len(report.sent) == 1 else 'emails'}.")
        for email, reason in report.failed:
            click.echo(f"Not sent to {email.to} ({email.subject}): {reason}. It is tried again later.", err=True)
        for email, reason in report.given_up:
            click.echo(
                f"Given up on the email to {email.to} ({email.subject}) after "
                f"{app.config['OUTBOX_MAX_ATTEMPTS']} attempts: {reason}.",
                err=True,
            )
        if report.failed or report.given_up:
            raise SystemExit(1)

    @app.cli.group("db")
    def database() -> None:
        """The service's database."""

    @database.command("upgrade")
    def upgrade() -> None:
        """Bring the database to the newest schema (the service also does this when it starts)."""
        store = get_store()
        try:
            db.upgrade(store.engine)
        except sa.exc.SQLAlchemyError as error:
            raise click.ClickException(f"The database could not be upgraded: {error}") from error
        click.echo(f"The database is at schema {db.current_revision(store.engine)}, the newest.")
