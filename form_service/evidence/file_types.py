"""What kind of file an upload is, judged by its content alone: never by its name or the browser's word for it.

PDF, PNG and JPEG by their signatures; Word and Excel files either as OLE2 compound files (.doc, .xls) with a
WordDocument or Workbook stream at their root, or as ZIP packages (.docx, .xlsx) whose [Content_Types].xml
declares a Word or Excel main part that the package holds. ZIP packages are inspected, never extracted.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

# Office files are ZIP archives. They are never extracted; these limits refuse archives that would expand
# to something enormous in whatever later opens them (a "zip bomb"), and bound what is read here.
ZIP_MAX_MEMBERS = 1000
ZIP_MAX_MEMBER_BYTES = 100 * 1024 * 1024
ZIP_MAX_TOTAL_BYTES = 250 * 1024 * 1024
ZIP_MAX_RATIO = 200  # expanded size / compressed size, for members over ZIP_RATIO_FROM bytes
ZIP_RATIO_FROM = 1024 * 1024
CONTENT_TYPES_MAX_BYTES = 256 * 1024


class UnusualFile(ValueError):
    """An Office file built in a way no Office program makes, such as a ZIP that would expand enormously."""


@dataclass(frozen=True)
class FileType:
    id: str
    label: str
    mimetype: str
    extensions: tuple[str, ...]  # the first is used when a download needs one


PDF = FileType("pdf", "PDF", "application/pdf", (".pdf",))
DOCX = FileType(
    "docx", "Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)
)
DOC = FileType("doc", "Word 97-2003 document", "application/msword", (".doc",))
XLSX = FileType(
    "xlsx", "Excel spreadsheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)
)
XLS = FileType("xls", "Excel 97-2003 spreadsheet", "application/vnd.ms-excel", (".xls",))
PNG = FileType("png", "PNG image", "image/png", (".png",))
JPEG = FileType("jpeg", "JPEG image", "image/jpeg", (".jpg", ".jpeg"))
FILE_TYPES = {file_type.id: file_type for file_type in (PDF, DOCX, DOC, XLSX, XLS, PNG, JPEG)}
ALLOWED_TYPES_TEXT = "a PDF, Word document, Excel spreadsheet, PNG or JPEG"

_WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def detect_type(data: bytes) -> FileType | None:
    """The file's type from its content, or None if it is not one we accept.

    Raises UnusualFile for an Office file that would expand to something enormous."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(_PNG_SIGNATURE) and head[12:16] == b"IHDR":
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(_OLE_SIGNATURE):
        return _legacy_office_type(data)
    if head.startswith(b"PK\x03\x04"):
        return _office_open_type(data)
    return None


def _office_open_type(data: bytes) -> FileType | None:
    """DOCX or XLSX: a ZIP whose [Content_Types].xml declares a Word or Excel main part that it holds."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _refuse_zip_bombs(members)
            names = {member.filename for member in members}
            if any(name.startswith("/") or ".." in name.split("/") for name in names):
                return None
            try:
                info = archive.getinfo("[Content_Types].xml")
            except KeyError:
                return None
            if info.file_size > CONTENT_TYPES_MAX_BYTES:
                return None
            with archive.open(info) as handle:
                raw = handle.read(CONTENT_TYPES_MAX_BYTES + 1)
    except UnusualFile:
        raise
    except Exception:  # a damaged archive makes zipfile and zlib fail in many ways; none of them is a DOCX or XLSX
        return None
    if len(raw) > CONTENT_TYPES_MAX_BYTES:
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    # Parsed with a pattern, not an XML parser: nothing here needs one, and no entity can be expanded.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return None
    declared = set()
    for element in re.findall(r"<Override\b[^>]*>", text):
        attributes = dict(re.findall(r"""(\w+)\s*=\s*["']([^"']*)["']""", element))
        if attributes.get("PartName", "").lstrip("/") in names:
            declared.add(attributes.get("ContentType"))
    if _WORD_MAIN in declared and _EXCEL_MAIN not in declared:
        return DOCX
    if _EXCEL_MAIN in declared and _WORD_MAIN not in declared:
        return XLSX
    return None


def _refuse_zip_bombs(members: list[zipfile.ZipInfo]) -> None:
    refused = UnusualFile("it would expand to something enormous")
    if len(members) > ZIP_MAX_MEMBERS or sum(member.file_size for member in members) > ZIP_MAX_TOTAL_BYTES:
        raise refused
    for member in members:
        if member.file_size > ZIP_MAX_MEMBER_BYTES:
            raise refused
        if member.file_size > ZIP_RATIO_FROM and member.file_size > ZIP_MAX_RATIO * max(member.compress_size, 1):
            raise refused


def _legacy_office_type(data: bytes) -> FileType | None:
    """DOC or XLS: an OLE2 compound file with a WordDocument, or a Workbook (or Book) stream at its root."""
    names = _compound_file_root_names(data)
    word = "WordDocument" in names
    excel = bool({"Workbook", "Book"} & names)
    if word and not excel:
        return DOC
    if excel and not word:
        return XLS
    return None


def _compound_file_root_names(data: bytes) -> set[str]:
    """Names of the entries at the root of an OLE2 compound file ([MS-CFB]); empty if it cannot be read."""
    try:
        shift = int.from_bytes(data[30:32], "little")
        if shift not in (9, 12):
            return set()
        size = 1 << shift
        sectors = -(-(len(data) - size) // size)  # the header fills sector -1; a last sector may be cut short

        def sector(number: int) -> bytes:
            if number >= sectors:
                raise ValueError("sector out of range")
            start = (number + 1) * size
            return data[start : start + size]

        def numbers(raw: bytes) -> list[int]:
            return [int.from_bytes(raw[i : i + 4], "little") for i in range(0, len(raw), 4)]

        fat_sectors = [n for n in numbers(data[76:512]) if n < 0xFFFFFFFA]
        next_difat, seen = int.from_bytes(data[68:72], "little"), 0
        while next_difat < 0xFFFFFFFA and seen < sectors:
            entries = numbers(sector(next_difat))
            fat_sectors += [n for n in entries[:-1] if n < 0xFFFFFFFA]
            next_difat, seen = entries[-1], seen + 1
        fat = [entry for number in fat_sectors for entry in numbers(sector(number))]

        directory, current, visited = b"", int.from_bytes(data[48:52], "little"), set()
        while current < 0xFFFFFFFA and current not in visited and current < len(fat):
            visited.add(current)
            directory += sector(current)
            current = fat[current]
        entries = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]

        def entry_name(entry: bytes) -> str:
            length = min(int.from_bytes(entry[64:66], "little"), 64)
            return entry[: max(length - 2, 0)].decode("utf-16-le", "replace")

        def link(entry: bytes, offset: int) -> int:
            return int.from_bytes(entry[offset : offset + 4], "little")

        if not entries or entries[0][66] != 5:  # the first entry is the root storage
            return set()
        names, pending, walked = set(), [link(entries[0], 76)], set()
        while pending:
            index = pending.pop()
            if index >= len(entries) or index in walked:
                continue
            walked.add(index)
            entry = entries[index]
            if entry[66] in (1, 2):  # a storage or a stream
                names.add(entry_name(entry))
            pending += [link(entry, 68), link(entry, 72)]  # left and right siblings: the root's other entries
        return names
    except (ValueError, IndexError):
        return set()
