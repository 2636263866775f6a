"""The LA's year-on-year figures need every school's counted submission in every cycle. Reading them all
(each self-evaluation, its latest snapshot and the LA's moderation) on every request grows with the number
of schools, so `submissions` reads them from the `submitted_ratings` summary rows instead (see
`form_service.summaries`); the functions that read the documents themselves serve a single school's page.

A submission counts for the self-evaluation `self_evaluations/<URN>-<cycle>` and its moderation
`moderation/<URN>-<cycle>`; a new snapshot in `submissions` is always recorded in the self-evaluation too,
so a change to either of the first two is all the index has to watch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from quality_mark.model import Content, Framework
from quality_mark.year_on_year import Submitted

from .. import moderation, self_evaluation, summaries, workflow
from ..store import SQLStore, Store


def framework_version(content: Content, framework_id: Any, version: Any) -> Framework | None:
    try:
        return content.framework(framework_id, version)
    except (KeyError, TypeError):
        return None


def counted_submission(store: Store, content: Content, document: dict[str, Any]) -> tuple[Framework, dict, bool] | None:
    """(framework version, ratings, moderated) of the document's latest submission, or None if there is none
    or it was made against a version the content no longer has."""
    snapshot = moderation.latest_submission(store, document)
    if not snapshot or not isinstance(snapshot.get("answers"), dict):
        return None
    framework = framework_version(content, snapshot.get("framework"), snapshot.get("framework_version"))
    if framework is None:
        return None
    decisions = store.read(moderation.COLLECTION, self_evaluation.key(document["urn"], document["cycle"]))
    ratings = workflow.moderated_ratings(snapshot["answers"], decisions)
    moderated = any(d.get("rating") is not None for d in ((decisions or {}).get("criteria") or {}).values())
    return framework, ratings, moderated


def every_submission(store: Store, content: Content) -> Iterator[tuple[str, Submitted]]:
    """Every school's submitted self-evaluation in every cycle, moderated where the LA moderated it, by the
    self-evaluation's key."""
    for key, document in store.scan(self_evaluation.COLLECTION):
        counted = submission_in(store, content, document)
        if counted is not None:
            yield key, counted


def submission_of(store: Store, content: Content, key: str) -> Submitted | None:
    """What the self-evaluation under `key` counts for on the LA's page, or None if it has no submission."""
    return submission_in(store, content, store.read(self_evaluation.COLLECTION, key))


def submission_in(store: Store, content: Content, document: dict[str, Any] | None) -> Submitted | None:
    """What a self-evaluation counts for on the LA's page: its latest submission, moderated where the LA
    moderated it; None if it has none."""
    if not document or not document.get("submissions") or not document.get("urn") or not document.get("cycle"):
        return None
    submitted = counted_submission(store, content, document)
    if submitted is None:
        return None
    framework, ratings, _ = submitted
    return Submitted(str(document["urn"]), str(document["cycle"]), framework, ratings)


def submissions(store: SQLStore, content: Content) -> list[Submitted]:
    """Every self-evaluation's counted submission, in every cycle, from the `submitted_ratings` summary rows (kept
    by the store in the transaction of each submission and moderation): one query, nothing kept between views."""
    table = summaries.submitted_ratings
    query = sa.select(table).order_by(table.c.urn, table.c.cycle)
    rows = store.query(lambda connection: connection.execute(query).all())
    found = []
    for row in rows:
        framework = framework_version(content, row.framework, summaries.loads(row.framework_version))
        if row.framework is not None and framework is not None:
            found.append(Submitted(row.urn, row.cycle, framework, summaries.loads(row.ratings)))
    return found
