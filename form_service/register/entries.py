"""Which schools hold the Quality Mark on a given day: the entries of the public register.

Pure: no Flask, no store. The service's open-data endpoints and `flask export-register` read the documents
and pass them in; quality_mark/register.py checks and writes the register out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from quality_mark.model import LONDON

from ..workflow import current_award


def register_entries(
    schools: Iterable[Mapping[str, Any]], awards: Mapping[str, Mapping[str, Any]], today: date
) -> list[dict[str, str]]:
    """The schools holding the mark on `today`, sorted by name: one entry per school with a current award.

    `schools` are `schools` documents; `awards` maps a URN to its `awards/<urn>` document. Expired and
    future-dated awards, and decisions not to award, never appear (`workflow.current_award`); of several
    awards, a school's latest is the one that counts. An award for a school not in `schools` is left out.
    """
    entries = []
    for school in schools:
        award = current_award(dict(awards[school["urn"]]), today) if school["urn"] in awards else None
        if award is None:
            continue
        entries.append(
            {
                "urn": school["urn"],
                "name": school["name"],
                "phase": school.get("phase") or "",
                "framework": school.get("framework") or "",
                "awarded_on": award["decided_on"],
                "expires_on": award["expires_on"],
            }
        )
    return sorted(entries, key=lambda entry: (entry["name"].casefold(), entry["urn"]))


def register_document(
    schools: Iterable[Mapping[str, Any]], awards: Mapping[str, Mapping[str, Any]], today: date, updated: datetime
) -> dict[str, Any]:
    """The register as published: when it was made (UK time, to the second) and the schools on it."""
    return {
        "updated": updated.astimezone(LONDON).isoformat(timespec="seconds"),
        "schools": register_entries(schools, awards, today),
    }
