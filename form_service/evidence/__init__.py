"""A school's evidence for one cycle: notes and files against each item of the evidence checklist.

One document per school and cycle (collection `evidence`, key `<URN>-<cycle>`) holds the notes and each
file's metadata. The files' bytes live in the database (table `evidence_files`, under an id the server makes
up: the metadata's `stored_as`), so a backup holds them and every application host serves them; the name a
person gave a file is only ever shown. A file's bytes and the metadata that lists it are written, and deleted,
in one transaction: neither is ever there without the other.

A file's type is decided by its content (file_types.py), never its name or what the browser says, so a
program renamed to .pdf or a web page renamed to .png is refused.

The checklist's pages (blueprint `evidence`, under /school/<urn>/evidence) are in `views.py`, their templates
under `templates/evidence/`.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, Literal
from urllib.parse import quote

from quality_mark import text
from quality_mark.personal_data import personal_data_found

from .. import self_evaluation
from ..core import clock
from ..store import Store
from .file_types import ALLOWED_TYPES_TEXT, FILE_TYPES, FileType, UnusualFile, detect_type

COLLECTION = "evidence"
NOTES_LIMIT = 2000
FILES_PER_ITEM = 20
NAME_LIMIT = 120
_CHUNK = 64 * 1024
FILE_ID = re.compile(r"[0-9a-f]{32}")


class UploadRefused(Exception):
    """A file was not stored; the message says why and what to do, in plain English."""


class EvidenceLocked(UploadRefused):
    """The self-evaluation has been submitted: its evidence can be read but not changed."""


LOCKED_MESSAGE = (
    "The self-evaluation has been submitted, so its evidence can no longer be changed. "
    "Contact the Quality Mark team if something needs correcting."
)


# The document -------------------------------------------------------------------------------------------------


def key(urn: str, cycle_id: str) -> str:
    return f"{urn}-{cycle_id}"


def load(store: Store, urn: str, cycle_id: str) -> dict[str, Any] | None:
    return store.read(COLLECTION, key(urn, cycle_id))


def item_record(document: dict[str, Any] | None, item_id: str) -> dict[str, Any]:
    """An item's notes and files ({"notes": "", "files": []} when nothing has been given)."""
    record = (document or {}).get("items", {}).get(item_id) or {}
    return {"notes": "", "files": [], **record}


def locked(store: Store, urn: str, cycle_id: str) -> bool:
    """True once the school's self-evaluation for the cycle has been submitted (or is with the LA)."""
    document = self_evaluation.load(store, urn, cycle_id)
    return document is not None and document["status"] not in self_evaluation.EDITABLE


def find_file(store: Store, urn: str, cycle_ids: Iterable[str], file_id: str) -> tuple[str, str, dict] | None:
    """(cycle id, item id, file metadata) of the school's file with this id, looking in each cycle given."""
    if not FILE_ID.fullmatch(file_id):
        return None
    for cycle_id in cycle_ids:
        document = load(store, urn, cycle_id)
        for item_id, record in (document or {}).get("items", {}).items():
            for entry in record.get("files", []):
                if entry["id"] == file_id:
                    return cycle_id, item_id, entry
    return None


def used_bytes(document: dict[str, Any] | None) -> int:
    return sum(entry["size"] for record in (document or {}).get("items", {}).values() for entry in record["files"])


def _now() -> str:
    return clock.timestamp()


def _new_document(urn: str, cycle_id: str) -> dict[str, Any]:
    return {"urn": urn, "cycle": cycle_id, "items": {}, "created_at": _now()}


# Notes ----------------------------------------------------------------------------------------------------------

NotesStatus = Literal["saved", "unchanged", "too_long", "not_text", "personal_data"]


@dataclass
class NotesResult:
    status: NotesStatus
    personal_data: list[str] = field(default_factory=list)
    problem: str | None = None  # what is wrong with the text, when it is "not_text"


def save_notes(
    store: Store,
    urn: str,
    cycle_id: str,
    item_id: str,
    notes: str,
    user_id: str,
    *,
    allow_personal_data: bool = False,
    today: date | None = None,
) -> NotesResult:
    """Save an item's notes unless they are too long or look like a pupil's personal data (and were not
    confirmed). Raises EvidenceLocked after submission."""
    if locked(store, urn, cycle_id):
        raise EvidenceLocked(LOCKED_MESSAGE)
    notes, wrong = text.typed(notes, "Notes", multiline=True)
    if len(notes) > NOTES_LIMIT:
        return NotesResult("too_long")
    if wrong:
        return NotesResult("not_text", problem=wrong)
    found = personal_data_found(notes, today)
    if found and not allow_personal_data:
        return NotesResult("personal_data", found)

    def change(document: dict | None) -> tuple[dict | None, NotesResult]:
        if item_record(document, item_id)["notes"] == notes:
            return document, NotesResult("unchanged")
        document = document or _new_document(urn, cycle_id)
        record = document["items"].setdefault(item_id, {"notes": "", "files": []})
        record |= {"notes": notes, "notes_updated_by": user_id, "notes_updated_at": _now()}
        return document, NotesResult("saved", found)

    return store.modify(COLLECTION, key(urn, cycle_id), change)


# File names -------------------------------------------------------------------------------------------------------

_UNSAFE_NAME = (
    "The file name has characters we cannot accept (such as '..' or control characters). "
    "Rename the file using letters, numbers, spaces and hyphens, then upload it again"
)


def display_name(raw: str | None) -> str:
    """The name to show for an uploaded file: the last part of what the browser sent, tidied and shortened.

    Raises UploadRefused for a name that tries to climb folders, holds what no text may hold (see
    `quality_mark.text`), or hides characters (format characters such as a right-to-left override)."""
    name, wrong = text.checked(raw or "", "The file name", multiline=False)
    parts = re.split(r"[\\/]", name)
    # Beyond the rule for all text, a file name may hold no format characters either: a right-to-left override
    # and the like can disguise 'exe.pdf' as 'fdp.exe'.
    if wrong or any(part == ".." for part in parts) or any(unicodedata.category(c) == "Cf" for c in name):
        raise UploadRefused(_UNSAFE_NAME)
    # Some clients send a path ("C:\\Users\\...\\map.pdf", "Documents/map.pdf"): keep only the file's own name.
    name = parts[-1].strip(". ")
    if not name:
        raise UploadRefused("The file has no name. Rename it, then upload it again")
    if len(name) > NAME_LIMIT:
        _, dot, extension = name.rpartition(".")
        extension = dot + extension if dot and len(extension) <= 10 else ""
        name = name[: NAME_LIMIT - len(extension)].rstrip(". ") + extension
    return name


def download_name(name: str, file_type: FileType) -> str:
    """The stored display name with an extension that matches the file's real type."""
    stem, dot, extension = name.rpartition(".")
    if dot and f".{extension.lower()}" in file_type.extensions:
        return name
    known = {extension for other in FILE_TYPES.values() for extension in other.extensions}
    if dot and stem and f".{extension.lower()}" in known:
        name = stem
    return name + file_type.extensions[0]


def content_disposition(name: str) -> str:
    """An attachment header: an ASCII fallback name, and the full name in RFC 5987 form (filename*) if it differs."""

    def ascii_part(text: str) -> str:
        # Accents come off ("é" -> "e"); any other character that is not plainly safe becomes "_".
        kept = (
            character if character.isascii() and (character.isalnum() or character in " ._()-") else "_"
            for character in unicodedata.normalize("NFKD", text)
            if not unicodedata.combining(character)
        )
        return "".join(kept).strip(" .")

    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem, extension = ascii_part(stem), ascii_part(extension)
    fallback = (stem if re.search(r"[A-Za-z0-9]", stem) else "evidence") + (f".{extension}" if extension else "")
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='!#$&+-.^_`|~')}"
    return header


# Storing and removing files -------------------------------------------------------------------------------------


def size_text(size: int) -> str:
    """'850 bytes', '12 KB', '3.4 MB'."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    school_bytes: int


@dataclass(frozen=True)
class Received:
    """An upload that passed every check of its own (name, size, type), not yet stored."""

    name: str
    data: bytes
    file_type: FileType


def receive(stream: IO[bytes], filename: str | None, limits: Limits) -> Received:
    """Read and check one uploaded file, storing nothing. Raises UploadRefused if it has no name or a bad one,
    is empty, is too big (reading stops as soon as it is), or is not an allowed type."""
    if not filename:
        raise UploadRefused("Choose a file to upload")
    name = display_name(filename)
    data = _read_within(stream, limits.file_bytes)
    if not data:
        raise UploadRefused("The selected file is empty. Choose a file that has something in it")
    try:
        file_type = detect_type(data)
    except UnusualFile:
        raise UploadRefused(
            "The file is compressed in an unusual way, so we cannot accept it. "
            "Open it in Word or Excel, save a new copy and upload that"
        ) from None
    if file_type is None:
        raise UploadRefused(
            f"The selected file must be {ALLOWED_TYPES_TEXT}. Its content is not one of these, whatever its "
            "name says. Save it in one of these formats and upload it again"
        )
    return Received(name, data, file_type)


def _read_within(stream: IO[bytes], limit: int) -> bytes:
    """The whole upload, stopping as soon as it is over `limit` bytes (UploadRefused)."""
    chunks, size = [], 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise UploadRefused(
                f"The selected file must be smaller than {size_text(limit)}. "
                "Make it smaller (for example, save images at a lower resolution) or split it, then try again"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def refuse_early(store: Store, urn: str, cycle_id: str, filename: str | None) -> None:
    """What is refused before an upload is read, in this order: no file chosen, a bad name, locked evidence."""
    if not filename:
        raise UploadRefused("Choose a file to upload")
    display_name(filename)
    if locked(store, urn, cycle_id):
        raise EvidenceLocked(LOCKED_MESSAGE)


def add_file(
    store: Store,
    urn: str,
    cycle_id: str,
    item_id: str,
    stream: IO[bytes],
    filename: str | None,
    user_id: str,
    limits: Limits,
    other_cycles_bytes: int = 0,
) -> dict[str, Any]:
    """Check and store one uploaded file against an item; returns its metadata.

    Raises UploadRefused (nothing stored: no bytes, no metadata) if the file is empty, too big, not an
    allowed type, over the school's total, badly named, or the evidence is locked."""
    refuse_early(store, urn, cycle_id, filename)
    received = receive(stream, filename, limits)
    return store_received(store, urn, cycle_id, item_id, received, user_id, limits, other_cycles_bytes)


def store_received(
    store: Store,
    urn: str,
    cycle_id: str,
    item_id: str,
    received: Received,
    user_id: str,
    limits: Limits,
    other_cycles_bytes: int = 0,
) -> dict[str, Any]:
    """Store a received file against an item, its bytes and its metadata in one transaction (joining the
    caller's, if any); returns its metadata. Raises UploadRefused (nothing stored) if it would take the school
    over its space or the item over its number of files, and EvidenceLocked after submission."""
    if not urn.isdigit():
        raise ValueError(f"not a URN: {urn!r}")
    size = len(received.data)
    entry = {
        "id": secrets.token_hex(16),
        "name": received.name,
        "size": size,
        "type": received.file_type.id,
        "stored_as": secrets.token_hex(16),
        "uploaded_by": user_id,
        "uploaded_at": _now(),
    }

    def change(document: dict | None) -> tuple[dict | None, None]:
        document = document or _new_document(urn, cycle_id)
        if used_bytes(document) + other_cycles_bytes + size > limits.school_bytes:
            raise UploadRefused(
                f"Your school has used its {size_text(limits.school_bytes)} of space for evidence. "
                "Delete files you no longer need, or make large files smaller, then try again"
            )
        record = document["items"].setdefault(item_id, {"notes": "", "files": []})
        if len(record["files"]) >= FILES_PER_ITEM:
            raise UploadRefused(
                f"An item can have up to {FILES_PER_ITEM} files. Delete one, or combine files, then try again"
            )
        record["files"].append(entry)
        return document, None

    with store.transaction():
        # Checked again with the writers' lock held: a submission cannot slip in between.
        if locked(store, urn, cycle_id):
            raise EvidenceLocked(LOCKED_MESSAGE)
        store.modify(COLLECTION, key(urn, cycle_id), change)
        store.add_evidence_file(entry["stored_as"], urn, received.data, entry["uploaded_at"])
    return entry


def file_bytes(store: Store, urn: str, entry: dict[str, Any]) -> bytes | None:
    """The bytes of a file listed in the school's evidence, or None if they cannot be found."""
    return store.evidence_file(entry["stored_as"], urn)


def delete_file(store: Store, urn: str, cycle_id: str, file_id: str) -> dict[str, Any] | None:
    """Remove a file's metadata and its bytes, in one transaction (joining the caller's, if any); returns the
    metadata, or None if there was no such file. Raises EvidenceLocked after submission."""

    def change(document: dict | None) -> tuple[dict | None, dict | None]:
        for record in (document or {}).get("items", {}).values():
            for entry in record["files"]:
                if entry["id"] == file_id:
                    record["files"].remove(entry)
                    return document, entry
        return document, None

    with store.transaction():
        if locked(store, urn, cycle_id):
            raise EvidenceLocked(LOCKED_MESSAGE)
        removed = store.modify(COLLECTION, key(urn, cycle_id), change)
        if removed is not None:
            store.delete_evidence_file(removed["stored_as"], urn)
    return removed
