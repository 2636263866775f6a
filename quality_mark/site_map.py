"""Where each page of the public site lives, so links can be checked before the site is built."""

from __future__ import annotations

from collections.abc import Iterable

STAGES = "stages.md"
KEY_DATES = "key-dates.md"
CALENDAR = "key-dates.ics"
CONTACTS = "contacts.md"
CRITERIA = "criteria/index.md"
REGISTER = "register.md"
EVIDENCE = "evidence.md"
HOLDERS = "schools-holding-the-mark.md"
# The register of schools holding the mark, as open data beside the page (build.py site --register).
REGISTER_JSON = "register.json"
REGISTER_CSV = "register.csv"

# The form service, mounted beside the site on the same origin.
SERVICE = "/app/"
REGISTRATION_CHECK = "/app/register/check"


def page_path(slug: str) -> str:
    return f"{slug}.md"


def framework_folder(framework_id: str, version: int | None = None) -> str:
    """The current version lives at criteria/<id>/; earlier versions keep their own folder."""
    return f"criteria/{framework_id}" if version is None else f"criteria/{framework_id}/v{version}"


def framework_index(framework_id: str, version: int | None = None) -> str:
    return f"{framework_folder(framework_id, version)}/index.md"


def heading_path(framework_id: str, heading_id: str, version: int | None = None) -> str:
    return f"{framework_folder(framework_id, version)}/{heading_id}.md"


def checklist_path(framework_id: str, version: int | None = None) -> str:
    return f"{framework_folder(framework_id, version)}/checklist.md"


def changes_path(framework_id: str) -> str:
    """The framework's "What changed" page: every version, newest first (one page, beside the current version)."""
    return f"{framework_folder(framework_id)}/changes.md"


# Names of pages beside a framework's heading pages, which a heading ID must not take.
RESERVED_HEADING_IDS = ("checklist", "changes", "index")


def schema_path(framework_id: str, version: int) -> str:
    return f"schemas/{framework_id}/v{version}.json"


def known_paths(
    page_slugs: Iterable[str], framework_versions: Iterable[tuple[str, int, bool, Iterable[str]]]
) -> set[str]:
    """Every path a link may point at: (framework id, version, is current, heading ids) per version."""
    paths = {STAGES, KEY_DATES, CALENDAR, CONTACTS, CRITERIA, REGISTER, EVIDENCE, HOLDERS}
    paths.update(page_path(slug) for slug in page_slugs)
    for framework_id, version, is_current, heading_ids in framework_versions:
        where = None if is_current else version
        paths.add(framework_index(framework_id, where))
        paths.add(checklist_path(framework_id, where))
        paths.update(heading_path(framework_id, heading_id, where) for heading_id in heading_ids)
        paths.add(schema_path(framework_id, version))
        paths.add(changes_path(framework_id))
    return paths
