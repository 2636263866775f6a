"""Each school's latest submitted ratings (moderated where the LA moderated), as insight across schools sees them.

The ratings come from the `submitted_ratings` summary rows and the school's details from `school_summaries`
(see `form_service.summaries`): the store changes them in the same transaction as the submission, moderation
or school list entry they come from, so insight reads one query's rows, never every school's documents, and never
a stale copy. What depends on the content is worked out here when it is read: which cycle is the newest, the
framework version a submission was made against (a submission against a version the content no longer has does
not count), and the heading scores. `flask --app form_service rebuild-insight` works every summary row out again
from the documents.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from quality_mark.insight import SchoolRatings, heading_scores
from quality_mark.model import Content, Framework

from .. import summaries
from ..store import SQLStore

# Documents of this collection were kept by an earlier version of the service; nothing reads or writes them now.
COLLECTION = "insight_index"
SCHOOL_FIELDS = ("name", "phase", "postcode", "easting", "northing")


def framework_of(content: Content, framework_id: Any, version: Any) -> Framework | None:
    """The framework version, or None if the content has no such version."""
    try:
        return content.framework(framework_id, version)
    except (KeyError, TypeError):
        return None


@lru_cache(maxsize=100_000)
def _scored(framework: Framework, ratings_text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(ratings, heading scores) of a submission's stored ratings against a framework version. Pure, so it is
    remembered by its arguments (the framework version itself, content and all): it can never be stale."""
    ratings = summaries.loads(ratings_text)
    return ratings, heading_scores(framework, ratings)


def summary_row(
    content: Content, details: dict[str, Any], cycle_id: str, submitted: Any, framework: Framework
) -> dict[str, Any]:
    """A school's insight row from its details and its `submitted_ratings` row (pure)."""
    ratings, scores = _scored(framework, submitted.ratings)
    return {
        "urn": submitted.urn,
        **{name: details.get(name) for name in SCHOOL_FIELDS},
        "framework": framework.id,
        "framework_version": framework.version,
        "cycle": cycle_id,
        "reference": submitted.reference,
        "ratings": ratings,
        "heading_scores": scores,
        "moderated": bool(submitted.moderated),
    }


def all_rows(store: SQLStore, content: Content, urn: str | None = None) -> list[dict[str, Any]]:
    """Every school's row (or only this school's), by URN: its newest cycle with a submission, for schools in the
    list."""
    ratings, school = summaries.submitted_ratings, summaries.school_summaries
    query = (
        sa.select(ratings, school.c.details)
        .select_from(ratings.join(school, school.c.urn == ratings.c.urn))
        .order_by(ratings.c.urn)
    )
    if urn is not None:
        query = query.where(ratings.c.urn == urn)
    newest_first = sorted(content.key_dates.cycles, key=lambda cycle: cycle.registration_opens, reverse=True)
    rank = {cycle.id: number for number, cycle in enumerate(newest_first)}
    latest: dict[str, Any] = {}
    for row in store.query(lambda connection: connection.execute(query).all()):
        if row.cycle in rank and (row.urn not in latest or rank[row.cycle] < rank[latest[row.urn].cycle]):
            latest[row.urn] = row
    found = []
    for row in latest.values():
        framework = framework_of(content, row.framework, summaries.loads(row.framework_version))
        if row.framework is not None and framework is not None:
            found.append(summary_row(content, summaries.loads(row.details), row.cycle, row, framework))
    return found


def refresh_school_summary(store: SQLStore, content: Content, urn: str) -> dict[str, Any] | None:
    """The school's row as it stands (None if it has not submitted). The rows follow every write, so there is
    nothing to refresh: this only reads."""
    found = all_rows(store, content, urn)
    return found[0] if found else None


def rebuild(store: SQLStore, content: Content) -> int:
    """Work every summary row out again from the documents; returns how many schools have an insight row."""
    store.run(summaries.rebuild)
    return len(all_rows(store, content))


def school_ratings(row: dict[str, Any]) -> SchoolRatings:
    """A row as the pure insight functions take it."""
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


def all_schools(store: SQLStore, content: Content) -> list[SchoolRatings]:
    """Every school that has submitted, as insight sees it."""
    return [school_ratings(row) for row in all_rows(store, content)]
