"""Summary rows: what the LA's dashboard, exports, insight and year-on-year pages show about each school, kept in
tables beside the documents and changed in the same transaction as the documents they are worked out from.

The store calls `refresh` just before every transaction commits, with the documents written or deleted in it
(`SQLStore.transaction` calls `refresh`); it recomputes only the rows those documents feed, on the transaction's own
connection, so a summary row is never behind or ahead of its documents, on any host. A transaction that fails
changes no row. `rebuild` works every row out again from the documents (the migration that adds the tables, and
a restore, use it; so does `flask --app form_service rebuild-insight`).

Tables (migrations 0004 and 0007):

    school_summaries      urn -> the school list entry's details, whether it has a team, registrations waiting,
                          the stage reached, its latest award, and its last activity outside self-evaluations
    evaluation_summaries  (urn, cycle) -> a self-evaluation's status, framework version, extension, headings
    heading_summaries     (urn, cycle, heading) -> one heading document's answers counted (answered, reviewed,
                          last answer time): an autosave rewrites one heading, so it changes one of these rows
                          and nothing else; `answers_counted` adds up a cycle's rows per school when read
    submitted_ratings     (urn, cycle) -> a submitted self-evaluation's latest submission: framework version,
                          reference, ratings as the LA stands behind them (moderated where moderated)

Nothing that depends on the content (how many criteria a framework version has, heading scores, which cycle is
current) or on the day (an award expiring) is stored: the pages work those out from the rows when they are shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from quality_mark.analysis import is_reviewed

from .tables import documents
from .workflow import latest_award, moderated_ratings

SCHOOLS = "schools"
AWARDS = "awards"
STAGES = "stages"
EVALUATIONS = "self_evaluations"
ANSWERS = "self_evaluation_answers"
SUBMISSIONS = "submissions"
MODERATION = "moderation"
WATCHED = frozenset({SCHOOLS, AWARDS, STAGES, EVALUATIONS, ANSWERS, SUBMISSIONS, MODERATION})
DETAILS = ("name", "phase", "framework", "postcode", "easting", "northing")  # copied from the school list entry

NAME = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
metadata = sa.MetaData()
school_summaries = sa.Table(
    "school_summaries",
    metadata,
    sa.Column("urn", NAME, primary_key=True),
    sa.Column("details", sa.Text, nullable=False),  # JSON: the entry's DETAILS that it has
    sa.Column("has_members", sa.Boolean, nullable=False),
    sa.Column("pending", sa.Integer, nullable=False),
    sa.Column("stage", sa.Integer),
    sa.Column("award", sa.Text),  # JSON: the latest decision that awarded the mark, or NULL
    sa.Column("activity_at", sa.Float),  # epoch seconds of the latest member, award or stage change
)
evaluation_summaries = sa.Table(
    "evaluation_summaries",
    metadata,
    sa.Column("urn", NAME, primary_key=True),
    sa.Column("cycle", NAME, primary_key=True),
    sa.Column("status", sa.Text),
    sa.Column("framework", sa.Text),
    sa.Column("framework_version", sa.Text),  # JSON, exactly as the self-evaluation holds it
    sa.Column("extension_until", sa.Text),
    sa.Column("parts", sa.Text, nullable=False),  # JSON list of the headings whose answers it holds
    sa.Column("activity_at", sa.Float),  # epoch seconds: started, submitted or returned
)
heading_summaries = sa.Table(
    "heading_summaries",
    metadata,
    sa.Column("urn", NAME, primary_key=True),
    sa.Column("cycle", NAME, primary_key=True),
    sa.Column("heading", NAME, primary_key=True),
    sa.Column("listed", sa.Boolean, nullable=False),  # whether its self-evaluation lists this heading
    sa.Column("answered", sa.Integer, nullable=False),
    sa.Column("reviewed", sa.Integer, nullable=False),
    sa.Column("answered_at", sa.Float),
)
submitted_ratings = sa.Table(
    "submitted_ratings",
    metadata,
    sa.Column("urn", NAME, primary_key=True),
    sa.Column("cycle", NAME, primary_key=True),
    sa.Column("framework", sa.Text),  # NULL when the latest submission's snapshot cannot be read
    sa.Column("framework_version", sa.Text),  # JSON
    sa.Column("reference", sa.Text),
    sa.Column("ratings", sa.Text, nullable=False),  # JSON {criterion id: rating}
    sa.Column("moderated", sa.Boolean, nullable=False),
)
TABLES = (school_summaries, evaluation_summaries, heading_summaries, submitted_ratings)

_BODY = sa.select(documents.c.body).where(
    documents.c.collection == sa.bindparam("c"), documents.c.key == sa.bindparam("k")
)
_PART = re.compile(r"(?P<urn>[^-]+)-(?P<cycle>\d{4}-\d{2})-(?P<heading>.+)")
_EVALUATION = re.compile(r"(?P<urn>[^-]+)-(?P<cycle>.+)")

Documents = Mapping[tuple[str, str], str | None]  # (collection, key) -> JSON body, or None if deleted


# --- pure: documents to rows -----------------------------------------------------------------------------------


def moment(value: object) -> float | None:
    """An ISO 8601 time as epoch seconds, or None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def latest(values: Iterable[object]) -> float | None:
    found = [at for value in values if (at := moment(value)) is not None]
    return max(found) if found else None


def school_row(
    urn: str, school: dict[str, Any], awards: dict[str, Any] | None, stages: dict[str, Any] | None
) -> dict[str, Any]:
    """The school's summary row from its list entry, awards and stages documents (pure)."""
    reached = (stages or {}).get("reached") or {}
    numbers = [int(number) for number, record in reached.items() if record and str(number).isdigit()]
    moments: list[object] = [member.get("added_at") for member in (school.get("members") or {}).values()]
    moments += [decision.get("recorded_at") for decision in (awards or {}).get("decisions") or []]
    moments += [entry.get("recorded_at") for entry in reached.values() if entry]
    award = latest_award(awards)
    return {
        "urn": urn,
        "details": _json({name: school[name] for name in DETAILS if name in school}),
        "has_members": bool(school.get("members")),
        "pending": len(school.get("pending") or {}),
        "stage": max(numbers) if numbers else None,
        "award": None if award is None else _json(award),
        "activity_at": latest(moments),
    }


def evaluation_row(urn: str, cycle: str, evaluation: dict[str, Any]) -> dict[str, Any]:
    """A self-evaluation's own summary row, before its answers are counted (pure)."""
    parts = evaluation.get("parts") or []
    return {
        "urn": urn,
        "cycle": cycle,
        "status": evaluation.get("status"),
        "framework": evaluation.get("framework"),
        "framework_version": _json(evaluation.get("framework_version")),
        "extension_until": evaluation.get("extension_until"),
        "parts": _json([str(part) for part in parts] if isinstance(parts, list) else []),
        "activity_at": latest(
            [evaluation.get("created_at"), evaluation.get("submitted_at"), (evaluation.get("returned") or {}).get("at")]
        ),
    }


def heading_counts(part: dict[str, Any]) -> dict[str, Any]:
    """How many of a heading's answers there are and are reviewed, and when the latest was given (pure).
    An answer flagged for checking (a new version, or pre-filled "still true?") is not reviewed yet."""
    answers = part.get("answers") or {}
    flags = part.get("flags") or {}
    return {
        "answered": len(answers),
        "reviewed": sum(1 for cid, answer in answers.items() if cid not in flags and is_reviewed(answer)),
        "answered_at": latest(answer.get("updated_at") for answer in answers.values()),
    }


def submitted_row(
    urn: str, cycle: str, snapshot: dict[str, Any] | None, moderation: dict[str, Any] | None
) -> dict[str, Any]:
    """A submitted self-evaluation's row from its latest submission snapshot and the LA's moderation (pure)."""
    answers = (snapshot or {}).get("answers")
    readable = snapshot is not None and isinstance(answers, dict)
    decisions = ((moderation or {}).get("criteria") or {}).values()
    return {
        "urn": urn,
        "cycle": cycle,
        "framework": snapshot.get("framework") if readable else None,  # type: ignore[union-attr]
        "framework_version": _json(snapshot.get("framework_version")) if readable else None,  # type: ignore[union-attr]
        "reference": (snapshot or {}).get("reference"),
        "ratings": _json(moderated_ratings(answers, moderation) if readable else {}),  # type: ignore[arg-type]
        "moderated": any(decision.get("rating") is not None for decision in decisions),
    }


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        # Text with lone surrogates, integers past 64 bits: the standard library writes both exactly.
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def loads(text: str | None) -> Any:
    """A value from its JSON text (orjson, or the standard library for what orjson refuses: lone surrogates)."""
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


# --- keeping the rows ------------------------------------------------------------------------------------------


class _Reader:
    """Documents as the transaction sees them: those it wrote from their bodies, others from the database."""

    def __init__(self, connection: Connection, written: Documents) -> None:
        self.connection = connection
        self.written = written

    def __call__(self, collection: str, key: str) -> dict[str, Any] | None:
        if (collection, key) in self.written:
            body = self.written[(collection, key)]
        else:
            body = self.connection.execute(_BODY, {"c": collection, "k": key}).scalar()
        if body is None:
            return None
        try:
            document = loads(body)
        except (ValueError, RecursionError):
            return None  # a damaged document counts as none here; reading it says what is wrong
        return document if isinstance(document, dict) else None


def refresh(connection: Connection, written: Documents) -> None:
    """Bring the rows fed by the documents written (or deleted) in this transaction up to date, on its connection."""
    read = _Reader(connection, written)
    schools: set[str] = set()
    evaluations: set[tuple[str, str]] = set()
    parts: set[tuple[str, str, str]] = set()
    submitted: set[tuple[str, str]] = set()
    for collection, key in written:
        if collection not in WATCHED:
            continue
        if collection in (SCHOOLS, AWARDS, STAGES):
            schools.add(key)
        elif collection == ANSWERS:
            if found := _part_of(key):
                parts.add(found)
        elif collection in (EVALUATIONS, MODERATION):
            if found := _evaluation_of(key):
                (evaluations if collection == EVALUATIONS else submitted).add(found)
        elif collection == SUBMISSIONS:
            submitted.update(_evaluations_of_submission(connection, key))
    for urn in sorted(schools):
        _refresh_school(connection, read, urn)
    for urn, cycle in sorted(evaluations):
        _refresh_evaluation(connection, read, urn, cycle)
    for urn, cycle, heading in sorted(parts):
        if (urn, cycle) not in evaluations:  # (an evaluation refreshed above counted every heading already)
            _refresh_heading(connection, read, urn, cycle, heading)
    for urn, cycle in sorted(submitted | evaluations):
        _refresh_submitted(connection, read, urn, cycle)


def _part_of(key: str) -> tuple[str, str, str] | None:
    match = _PART.fullmatch(key)
    return (match["urn"], match["cycle"], match["heading"]) if match else None


def _evaluation_of(key: str) -> tuple[str, str] | None:
    match = _EVALUATION.fullmatch(key)
    return (match["urn"], match["cycle"]) if match else None


def _evaluations_of_submission(connection: Connection, reference: str) -> list[tuple[str, str]]:
    """The self-evaluations of the school a submission snapshot (key "qm-<urn>-...") belongs to."""
    pieces = reference.split("-")
    if len(pieces) < 3:
        return []
    urn = pieces[1]
    keys = connection.execute(
        sa.select(documents.c.key).where(
            documents.c.collection == EVALUATIONS, documents.c.key > f"{urn}-", documents.c.key < f"{urn}."
        )
    ).scalars()
    return [found for key in keys if (found := _evaluation_of(key)) and found[0] == urn]


def _upsert(connection: Connection, table: sa.Table, row: dict[str, Any]) -> None:
    """Replace the row with the same primary key, or add it (writers take turns, so nothing races in between)."""
    keys = [column.name for column in table.primary_key.columns]
    where = sa.and_(*(table.c[name] == row[name] for name in keys))
    if not connection.execute(table.update().where(where).values(row)).rowcount:
        connection.execute(table.insert().values(row))


def _delete(connection: Connection, table: sa.Table, **key: str) -> None:
    connection.execute(table.delete().where(sa.and_(*(table.c[name] == value for name, value in key.items()))))


def _refresh_school(connection: Connection, read: Callable[[str, str], dict | None], urn: str) -> None:
    school = read(SCHOOLS, urn)
    if school is None:
        _delete(connection, school_summaries, urn=urn)
    else:
        _upsert(connection, school_summaries, school_row(urn, school, read(AWARDS, urn), read(STAGES, urn)))


def _refresh_evaluation(connection: Connection, read: Callable[[str, str], dict | None], urn: str, cycle: str) -> None:
    """The evaluation's row and every one of its headings' rows, worked out again."""
    evaluation = read(EVALUATIONS, f"{urn}-{cycle}")
    _delete(connection, heading_summaries, urn=urn, cycle=cycle)
    if evaluation is None:
        _delete(connection, evaluation_summaries, urn=urn, cycle=cycle)
        return
    row = evaluation_row(urn, cycle, evaluation)
    headings = dict.fromkeys(loads(row["parts"]))
    rows = []
    for heading in headings:
        part = read(ANSWERS, f"{urn}-{cycle}-{heading}")
        if part is not None:
            rows.append({"urn": urn, "cycle": cycle, "heading": heading, "listed": True} | heading_counts(part))
    if rows:
        connection.execute(heading_summaries.insert(), rows)
    _upsert(connection, evaluation_summaries, row)


_LISTED = sa.select(evaluation_summaries.c.parts).where(
    evaluation_summaries.c.urn == sa.bindparam("u"), evaluation_summaries.c.cycle == sa.bindparam("c")
)


_HEADING = sa.and_(
    heading_summaries.c.urn == sa.bindparam("u"),
    heading_summaries.c.cycle == sa.bindparam("c"),
    heading_summaries.c.heading == sa.bindparam("h"),
)
_COUNTS = {"answered": "n_answered", "reviewed": "n_reviewed", "answered_at": "n_answered_at"}
_UPDATE_HEADING = (
    heading_summaries.update()
    .where(_HEADING)
    .values(**{column: sa.bindparam(name) for column, name in _COUNTS.items()})
)
_INSERT_HEADING = heading_summaries.insert().values(
    urn=sa.bindparam("u"),
    cycle=sa.bindparam("c"),
    heading=sa.bindparam("h"),
    listed=sa.bindparam("n_listed"),
    **{column: sa.bindparam(name) for column, name in _COUNTS.items()},
)
_DELETE_HEADING = heading_summaries.delete().where(_HEADING)


def _refresh_heading(
    connection: Connection, read: Callable[[str, str], dict | None], urn: str, cycle: str, heading: str
) -> None:
    """One heading's row (an autosave): its answers counted, and whether its self-evaluation lists it. The
    statements are built once: this runs in every autosave's transaction."""
    key = {"u": urn, "c": cycle, "h": heading}
    part = read(ANSWERS, f"{urn}-{cycle}-{heading}")
    if part is None:
        connection.execute(_DELETE_HEADING, key)
        return
    counts = heading_counts(part)
    row = key | {name: counts[column] for column, name in _COUNTS.items()}
    if not connection.execute(_UPDATE_HEADING, row).rowcount:
        # A new heading row: whether it counts depends on its self-evaluation listing it. (A row already there
        # keeps its `listed`, which changes only with the self-evaluation, and `_refresh_evaluation` sets it.)
        parts = connection.execute(_LISTED, key).scalar()
        connection.execute(_INSERT_HEADING, row | {"n_listed": parts is not None and heading in loads(parts)})


def _refresh_submitted(connection: Connection, read: Callable[[str, str], dict | None], urn: str, cycle: str) -> None:
    evaluation = read(EVALUATIONS, f"{urn}-{cycle}")
    references = (evaluation or {}).get("submissions") or []
    if not references or not evaluation.get("urn") or not evaluation.get("cycle"):  # type: ignore[union-attr]
        _delete(connection, submitted_ratings, urn=urn, cycle=cycle)
        return
    snapshot = read(SUBMISSIONS, str(references[-1]).lower())
    _upsert(connection, submitted_ratings, submitted_row(urn, cycle, snapshot, read(MODERATION, f"{urn}-{cycle}")))


def answers_counted(cycle: str) -> sa.Subquery:
    """Per school, its self-evaluation's answers in `cycle` counted over the headings it lists: columns urn,
    answered, reviewed and answered_at (epoch seconds of the latest answer). Added up when read rather than kept
    on the evaluation's row, so that an autosave changes one heading row and nothing else."""
    listed = heading_summaries.c
    return (
        sa.select(
            listed.urn,
            sa.func.sum(listed.answered).label("answered"),
            sa.func.sum(listed.reviewed).label("reviewed"),
            sa.func.max(listed.answered_at).label("answered_at"),
        )
        .where(listed.cycle == cycle, listed.listed)
        .group_by(listed.urn)
        .subquery("answers_counted")
    )


def rebuild(connection: Connection) -> None:
    """Work every row out again from the documents, on `connection` (inside its transaction)."""
    for table in TABLES:
        connection.execute(table.delete())
    keys: dict[str, list[str]] = {
        collection: list(
            connection.execute(
                sa.select(documents.c.key).where(documents.c.collection == collection).order_by(documents.c.key)
            ).scalars()
        )
        for collection in (SCHOOLS, EVALUATIONS)
    }
    read = _Reader(connection, {})
    for urn in keys[SCHOOLS]:
        _refresh_school(connection, read, urn)
    for key in keys[EVALUATIONS]:
        if found := _evaluation_of(key):
            _refresh_evaluation(connection, read, *found)
            _refresh_submitted(connection, read, *found)
