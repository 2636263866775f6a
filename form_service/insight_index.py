"""A small summary of each school's latest submitted ratings (moderated where the LA moderated), kept so that
insight across 24,000 schools reads 100 documents instead of four per school.

Collection `insight_index`, one document per shard of schools (the last two digits of the URN, "00" to "99"):
``{"schools": {urn: row}}``; a row is what `quality_mark.insight.SchoolRatings` needs (see `summary_row`).
A shard holds about 1% of the schools (240 rows, ~70 KB at 24,000 schools), so refreshing one school
rewrites one small document, and only when a submission or a moderation changes, never on autosave.

Rows follow the store's record of changes: before insight is read, `catch_up` refreshes the rows of the
schools whose submission, moderation, self-evaluation or school list entry changed since it last ran (the
position is kept in `insight_state/changes`), so no writer has to remember to call anything. When the record
of changes was started again (after a restore), every row is rebuilt. `flask --app form_service
rebuild-insight` rebuilds every row by hand.
"""

from __future__ import annotations

from typing import Any

from quality_mark.insight import SchoolRatings, heading_scores
from quality_mark.model import Content

from . import accounts, self_evaluation
from . import moderation as moderation_module
from .store import Store
from .workflow import moderated_ratings

COLLECTION = "insight_index"
STATE = "insight_state"
SUBMISSIONS = self_evaluation.SUBMISSIONS
MODERATION = moderation_module.COLLECTION
SCHOOL_FIELDS = ("name", "phase", "postcode", "easting", "northing")


def shard(urn: str) -> str:
    """The index document that holds a school's row: the URN's last two digits."""
    return urn[-2:]


def latest_submission(store: Store, content: Content, urn: str) -> tuple[str, dict[str, Any]] | None:
    """(cycle id, self-evaluation) of the newest cycle in which the school has submitted, or None."""
    for cycle in sorted(content.key_dates.cycles, key=lambda c: c.registration_opens, reverse=True):
        document = self_evaluation.load(store, urn, cycle.id)
        if document and document.get("submissions"):
            return cycle.id, document
    return None


def summary_row(
    content: Content,
    school: dict[str, Any],
    cycle_id: str,
    snapshot: dict[str, Any],
    moderation: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """The index row for one school's submission snapshot and the LA's moderation of it (pure).

    None when the snapshot was made against a framework version the content no longer has.
    """
    try:
        framework = content.framework(snapshot["framework"], snapshot["framework_version"])
    except (KeyError, TypeError):
        return None
    answers = snapshot.get("answers") if isinstance(snapshot.get("answers"), dict) else {}
    ratings = moderated_ratings(answers, moderation)
    moderated = any(
        decision.get("rating") is not None for decision in ((moderation or {}).get("criteria") or {}).values()
    )
    return {
        "urn": school["urn"],
        **{name: school.get(name) for name in SCHOOL_FIELDS},
        "framework": framework.id,
        "framework_version": framework.version,
        "cycle": cycle_id,
        "reference": snapshot.get("reference"),
        "ratings": ratings,
        "heading_scores": heading_scores(framework, ratings),
        "moderated": moderated,
    }


def current_row(store: Store, content: Content, urn: str) -> dict[str, Any] | None:
    """What the school's row should be now, from the store; None if it has not submitted."""
    school = accounts.get_school(store, urn)
    found = latest_submission(store, content, urn) if school else None
    if not found:
        return None
    cycle_id, document = found
    snapshot = moderation_module.latest_submission(store, document)
    if not snapshot:
        return None
    moderation = store.read(MODERATION, self_evaluation.key(urn, cycle_id))
    return summary_row(content, school, cycle_id, snapshot, moderation)  # type: ignore[arg-type]


def refresh_school_summary(store: Store, content: Content, urn: str) -> dict[str, Any] | None:
    """Make the school's index row match its latest submission and moderation; returns the row (None if the
    school has not submitted, in which case any old row is removed). Call it after writing either."""
    row = current_row(store, content, urn)

    def put(index: dict[str, Any] | None) -> tuple[dict[str, Any] | None, None]:
        rows = dict((index or {}).get("schools") or {})
        if row is None:
            if urn not in rows:
                return index, None
            rows.pop(urn)
        else:
            rows[urn] = row
        return ({"schools": rows} if rows else None), None

    store.modify(COLLECTION, shard(urn), put)
    return row


def update_school_details(store: Store, school: dict[str, Any]) -> None:
    """Copy a school's name, phase, postcode and grid reference into its row, if it has one (after an import)."""

    def patch(index: dict[str, Any] | None) -> tuple[dict[str, Any] | None, None]:
        rows = (index or {}).get("schools") or {}
        if school["urn"] in rows:
            rows[school["urn"]].update({name: school.get(name) for name in SCHOOL_FIELDS})
        return index, None

    if store.read(COLLECTION, shard(school["urn"])) is not None:
        store.modify(COLLECTION, shard(school["urn"]), patch)


def rebuild(store: Store, content: Content) -> int:
    """Rebuild every row from the submissions and moderation, writing each shard once; returns how many schools
    have a row. It records where the record of changes stood before it started reading, so what is written
    meanwhile is caught up next time (a catch-up running at the very same moment in another process can still
    leave one school's row behind until that school changes again; `rebuild-insight` puts it right)."""
    # Where the record of changes stands before reading: whatever is written meanwhile is caught up later.
    position, _ = store.changes(None)
    shards: dict[str, dict[str, Any]] = {}
    for urn in store.keys(accounts.SCHOOLS):
        row = current_row(store, content, urn)
        if row is not None:
            shards.setdefault(shard(urn), {})[urn] = row
    for key in sorted(set(store.keys(COLLECTION)) | set(shards)):
        if key in shards:
            store.write(COLLECTION, key, {"schools": shards[key]})
        else:
            store.delete(COLLECTION, key)
    store.write(STATE, "changes", {"position": list(position)})
    return sum(len(rows) for rows in shards.values())


def school_ratings(row: dict[str, Any]) -> SchoolRatings:
    """An index row as the pure insight functions take it."""
    return SchoolRatings(
        urn=row["urn"],
        name=row.get("name") or "",
        phase=row.get("phase") or "",
        framework=row["framework"],
        postcode=row.get("postcode") or "",
        ratings=row.get("ratings") or {},
        heading_scores=row.get("heading_scores") or {},
        easting=row.get("easting"),
        northing=row.get("northing"),
        moderated=bool(row.get("moderated")),
    )


def _urn_changed(collection: str, key: str) -> str | None:
    """The school whose row a changed document may change, or None."""
    if collection == SUBMISSIONS and key.startswith("qm-"):
        return key.split("-")[1]
    if collection in (MODERATION, self_evaluation.COLLECTION):
        return key.split("-", 1)[0]
    if collection == accounts.SCHOOLS:
        return key
    return None


def catch_up(store: Store, content: Content) -> None:
    """Bring the rows up to date with everything written since the last catch-up (in any process)."""
    saved = (store.read(STATE, "changes") or {}).get("position")
    since = (saved[0], saved[1]) if isinstance(saved, list) and len(saved) == 2 else None
    position, changes = store.changes(since)
    if changes is None:
        rebuild(store, content)  # records the position it read from
        return
    else:
        urns = {urn for collection, key in changes if (urn := _urn_changed(collection, key))}
        for urn in sorted(urns):
            refresh_school_summary(store, content, urn)
    if position != since:
        store.write(STATE, "changes", {"position": list(position)})


def all_rows(store: Store, content: Content) -> list[dict[str, Any]]:
    """Every school's row, by URN, brought up to date first."""
    catch_up(store, content)
    rows = [row for _, index in store.scan(COLLECTION) for row in (index.get("schools") or {}).values()]
    return sorted(rows, key=lambda row: row["urn"])


def all_schools(store: Store, content: Content) -> list[SchoolRatings]:
    """Every school that has submitted, as insight sees it."""
    return [school_ratings(row) for row in all_rows(store, content)]
