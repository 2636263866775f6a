"""Evidence: a school gives files and notes against each item of the evidence checklist.

Files are real (a PDF header, a PNG made byte by byte, DOCX and XLSX made with zipfile, DOC and XLS as
OLE2 compound files made byte by byte), sent through the real upload form by people signed in the way a
person signs in. A file is judged by its content, never its name; whatever is refused leaves nothing
behind, neither bytes in the database nor metadata.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import time
import zipfile
import zlib
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from form_service import accounts, db, evidence, self_evaluation
from form_service.core import audit
from form_service.core.content import get_content
from form_service.evidence import file_types
from form_service.store import get_store
from tests import test_service_browser as service_browser
from tests.audit_fault import break_audit_log
from tests.test_service_browser import Axe, heading
from tests.test_service_browser import sign_in as sign_in_with_a_browser

# The service's browser-test fixtures: the built site and the service on one origin, and fresh browsers.
site_dir = service_browser.site_dir
start_service = service_browser.start_service
new_context = service_browser.new_context

SCHOOL = "900001"  # Oakfield Primary
OTHER_SCHOOL = "900004"  # Hillcrest Academy
SENCO = "senco@oakfield-primary.example.org"
GOVERNOR = "governor@oakfield-primary.example.org"  # a viewer
OTHER_SENCO = "inclusion@hillcrest-academy.example.org"
LA_REVIEWER = "la.reviewer@example.org"
LA_ADMIN = "la.admin@example.org"
CONTRIBUTOR = "deputy@oakfield-primary.example.org"

PAGE = f"/school/{SCHOOL}/evidence"
FILE_LIMIT = 256 * 1024  # UPLOAD_MAX_BYTES for these tests


# Real files, made here -------------------------------------------------------------------------------------------


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def png() -> bytes:
    """A 1 by 1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg() -> bytes:
    """The start of a JFIF JPEG: what identifies the format."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64) + b"\xff\xd9"


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{content_type}"/>'
    "</Types>"
)
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def office_file(part: str, content_type: str, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(part=part, content_type=content_type))
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/officeDocument" Target="{part}"/></Relationships>',
        )
        archive.writestr(part, '<?xml version="1.0" encoding="UTF-8"?><document/>')
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx(extra: dict[str, bytes] | None = None) -> bytes:
    return office_file("word/document.xml", WORD_MAIN, extra)


def xlsx() -> bytes:
    return office_file("xl/workbook.xml", EXCEL_MAIN)


def compound_file(stream: str) -> bytes:
    """A minimal OLE2 compound file (version 3, 512-byte sectors) whose root holds one stream: how .doc files
    (a 'WordDocument' stream) and .xls files (a 'Workbook' stream) are made."""
    end, free, fat_sector, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # versions, byte order, sector sizes
    struct.pack_into("<III", header, 44, 1, 1, 0)  # one FAT sector; directory starts at sector 1
    struct.pack_into("<IIIII", header, 56, 4096, end, 0, end, 0)  # mini stream cutoff; no mini FAT; no DIFAT
    struct.pack_into("<I", header, 76, 0)  # the FAT is sector 0
    header[80:512] = b"\xff" * 432
    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))

    def entry(name: str, kind: int, child: int = no_stream) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        raw = bytearray(128)
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, no_stream, no_stream, child)
        struct.pack_into("<II", raw, 116, end, 0)
        return bytes(raw)

    directory = entry("Root Entry", 5, child=1) + entry(stream, 2) + bytes(128) * 2
    return bytes(header) + fat + directory


def doc() -> bytes:
    return compound_file("WordDocument")


def xls() -> bytes:
    return compound_file("Workbook")


ALLOWED = [
    pytest.param("Attendance 2025-26.pdf", pdf, "pdf", "application/pdf", id="pdf"),
    pytest.param(
        "Provision map.docx",
        docx,
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        id="docx",
    ),
    pytest.param("Provision map (old).doc", doc, "doc", "application/msword", id="doc"),
    pytest.param(
        "Exclusions.xlsx", xlsx, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", id="xlsx"
    ),
    pytest.param("Exclusions (old).xls", xls, "xls", "application/vnd.ms-excel", id="xls"),
    pytest.param("Timetable photo.png", png, "png", "image/png", id="png"),
    pytest.param("Display board.jpg", jpeg, "jpeg", "image/jpeg", id="jpeg"),
]


# Helpers -------------------------------------------------------------------------------------------------------


@pytest.fixture
def app(app):
    app.config["UPLOAD_MAX_BYTES"] = FILE_LIMIT
    return app


def token(sign_in, path: str = PAGE) -> str:
    return sign_in.csrf(path)


def upload(client, csrf: str | None, data: bytes, name: str, item: str = "attendance", urn: str = SCHOOL):
    form: dict[str, Any] = {"file": (io.BytesIO(data), name)}
    if csrf is not None:
        form["csrf_token"] = csrf
    return client.post(f"/school/{urn}/evidence/{item}/files", data=form, content_type="multipart/form-data")


def save_notes(client, csrf: str | None, notes: str, item: str = "attendance", action: str = "save"):
    form = {"notes": notes, "action": action}
    if csrf is not None:
        form["csrf_token"] = csrf
    return client.post(f"/school/{SCHOOL}/evidence/{item}/notes", data=form)


def cycle_id(app) -> str:
    with app.app_context():
        return self_evaluation.current_cycle(get_content(), date.fromisoformat(app.config["TODAY"])).id


def stored_document(app, urn: str = SCHOOL) -> dict[str, Any] | None:
    with app.app_context():
        return evidence.load(get_store(), urn, cycle_id(app))


def stored_files(app, urn: str = SCHOOL) -> list[dict[str, Any]]:
    document = stored_document(app, urn)
    return [entry for record in (document or {}).get("items", {}).values() for entry in record["files"]]


def stored_bytes(app) -> list[dict[str, Any]]:
    """Every evidence file's row in the database (id, urn, bytes, size, sha256, created_at), by id."""
    from form_service.store import evidence_files

    with app.app_context(), get_store().engine.connect() as connection:
        rows = connection.execute(sa.select(evidence_files).order_by(evidence_files.c.id)).mappings().all()
    return [{**row, "bytes": bytes(row["bytes"])} for row in rows]


def files_on_disk_holding(app, data: bytes) -> list[Path]:
    """Files under DATA_DIR, other than the database's own, that hold these bytes: uploads never land there."""
    folder = Path(app.config["DATA_DIR"])
    found = (path for path in folder.rglob("*") if path.is_file() and not path.name.startswith(db.SQLITE_FILE))
    return sorted(path for path in found if data in path.read_bytes())


def text_of(response) -> str:
    """The page's words, without tags, as a person reads them."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def title_of(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.DOTALL)
    assert match, "the page has no title"
    return unescape(" ".join(match.group(1).split()))


def error_summary(response) -> list[tuple[str, str]]:
    """(link target, message) of each entry in the page's error summary."""
    html = response.get_data(as_text=True)
    summary = re.search(r'class="qm-error-summary".*?</div>', html, re.DOTALL)
    if not summary:
        return []
    return [(target, unescape(message)) for target, message in re.findall(r'<a href="([^"]+)">(.*?)</a>', summary[0])]


def download_links(response) -> dict[str, str]:
    """Each file's name on the page, and the link that downloads it."""
    html = response.get_data(as_text=True)
    found = re.findall(r'<a href="(/school/\d+/evidence/files/[0-9a-f]{32})">(.*?)</a>', html)
    return {unescape(name): link for link, name in found}


def submit_self_evaluation(app, urn: str = SCHOOL) -> None:
    """The school's self-evaluation as the LA receives it once submitted."""
    with app.app_context():
        store, content = get_store(), get_content()
        cycle = self_evaluation.current_cycle(content, date.fromisoformat(app.config["TODAY"]))
        self_evaluation.start(store, content, accounts.get_school(store, urn), cycle)

        def submit(document: dict | None) -> tuple[dict, None]:
            assert document is not None
            return {**document, "status": "submitted"}, None

        store.modify(self_evaluation.COLLECTION, self_evaluation.key(urn, cycle.id), submit)


def audit_actions(app) -> list[str]:
    with app.app_context():
        return [entry["action"] for entry in audit.recent(get_store())]


def assert_nothing_stored(app) -> None:
    assert stored_bytes(app) == []
    assert stored_files(app) == []
    assert not (Path(app.config["DATA_DIR"]) / "uploads").exists()


# The checklist page ---------------------------------------------------------------------------------------------


def test_the_evidence_page_shows_every_checklist_item_with_what_to_provide(app, client, sign_in) -> None:
    sign_in(SENCO)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert title_of(response).startswith("Evidence: Oakfield")
    words = text_of(response)
    with app.app_context():
        items = get_content().evidence_checklist
    assert len(items) == 6
    for item in items:
        assert item.title in words
        assert " ".join(item.description.split()) in words
        for example in item.examples:
            assert example in words
    html = response.get_data(as_text=True)
    for item in items:
        assert f'action="/school/{SCHOOL}/evidence/{item.id}/files"' in html
        assert f'action="/school/{SCHOOL}/evidence/{item.id}/notes"' in html
        assert re.search(rf'<label [^>]*for="{item.id}-file">Add a file', html)
        assert re.search(rf'<h3 [^>]*><label for="{item.id}-notes">Notes', html)
    assert html.count('enctype="multipart/form-data"') == len(items)
    assert words.count("Do not identify pupils.") == len(items)
    assert 'aria-current="page">Evidence</a>' in html


# Uploads that are accepted --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "make", "kind", "mimetype"), ALLOWED)
def test_each_allowed_type_is_accepted_and_stored_in_the_database_under_a_server_made_name(
    app, client, sign_in, name, make, kind, mimetype
) -> None:
    sign_in(SENCO)
    data = make()

    response = upload(client, token(sign_in), data, name)

    assert response.status_code == 302
    assert response.headers["Location"] == f"{PAGE}#attendance"
    (entry,) = stored_files(app)
    assert (entry["name"], entry["type"], entry["size"]) == (name, kind, len(data))
    assert re.fullmatch(r"[0-9a-f]{32}", entry["stored_as"])
    (row,) = stored_bytes(app)
    assert (row["id"], row["urn"], row["bytes"], row["size"]) == (entry["stored_as"], SCHOOL, data, len(data))
    assert row["sha256"] == hashlib.sha256(data).hexdigest()
    assert row["created_at"] == entry["uploaded_at"]
    assert name.rsplit(".", 1)[0] not in row["id"]
    assert files_on_disk_holding(app, data) == [], "nothing is written beside the database"
    assert not (Path(app.config["DATA_DIR"]) / "uploads").exists()
    database = Path(app.config["DATA_DIR"]) / db.SQLITE_FILE
    assert oct(database.stat().st_mode & 0o777) == oct(0o600)

    page = client.get(PAGE)
    assert f"Attendance: {name} has been added." in text_of(page)
    assert name in download_links(page)
    assert "uploaded evidence" in audit_actions(app)


@pytest.mark.parametrize(("name", "make", "kind", "mimetype"), ALLOWED)
def test_a_download_is_the_same_bytes_as_an_attachment_of_its_real_type(
    app, client, sign_in, name, make, kind, mimetype
) -> None:
    sign_in(SENCO)
    uploaded = make()  # made once: a zip records the time it was made, so two makes can differ by a second
    upload(client, token(sign_in), uploaded, name)
    link = download_links(client.get(PAGE))[name]

    response = client.get(link)

    assert response.status_code == 200
    assert response.data == uploaded
    assert response.mimetype == mimetype
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_a_name_in_another_alphabet_is_kept_and_sent_in_rfc_5987_form(app, client, sign_in) -> None:
    sign_in(SENCO)
    name = "Fréquentation des élèves 2025–26.pdf"
    upload(client, token(sign_in), pdf(), name)

    response = client.get(download_links(client.get(PAGE))[name])

    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Frequentation des eleves 2025_26.pdf"; '
        "filename*=UTF-8''Fr%C3%A9quentation%20des%20%C3%A9l%C3%A8ves%202025%E2%80%9326.pdf"
    )


def test_a_file_named_for_another_type_downloads_with_its_real_type(app, client, sign_in) -> None:
    sign_in(SENCO)
    upload(client, token(sign_in), png(), "Provision map.pdf")

    response = client.get(download_links(client.get(PAGE))["Provision map.pdf"])

    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == 'attachment; filename="Provision map.png"'


def test_a_path_sent_with_the_name_is_cut_to_the_file_name(app, client, sign_in) -> None:
    sign_in(SENCO)

    upload(client, token(sign_in), pdf(), "Documents/Quality Mark/Attendance.pdf")

    assert [entry["name"] for entry in stored_files(app)] == ["Attendance.pdf"]


def test_a_contributor_can_add_evidence(app, client, sign_in) -> None:
    with app.app_context():
        store = get_store()
        deputy = accounts.ensure_user(store, CONTRIBUTOR, "Demo Deputy, Oakfield")
        accounts.add_member(store, SCHOOL, deputy.id, "contributor", added_by=None)
    sign_in(CONTRIBUTOR)

    assert upload(client, token(sign_in), pdf(), "Attendance.pdf").status_code == 302
    assert save_notes(client, token(sign_in), "Figures from the census.").status_code == 302

    assert [entry["uploaded_by"] for entry in stored_files(app)] == [deputy.id]


# Uploads that are refused ---------------------------------------------------------------------------------------

EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + bytes(48)
    + b"This program cannot be run in DOS mode."
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
NOT_ALLOWED = "The selected file must be a PDF, Word document, Excel spreadsheet, PNG or JPEG"
BAD_NAME = "The file name has characters we cannot accept"
UNUSUAL = "The file is compressed in an unusual way, so we cannot accept it"


def zip_bomb_docx() -> bytes:
    """A DOCX with a part that expands from a few kilobytes to 8 MB."""
    return docx({"word/media/padding.bin": bytes(8 * 1024 * 1024)})


def crowded_docx() -> bytes:
    return docx({f"word/parts/{number}.xml": b"<x/>" for number in range(1001)})


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a Word document")
    return buffer.getvalue()


def docx_without_its_main_part() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(part="word/document.xml", content_type=WORD_MAIN))
    return buffer.getvalue()


REFUSED = [
    pytest.param(EXE, "Attendance.pdf", NOT_ALLOWED, id="exe renamed to .pdf"),
    pytest.param(HTML, "Timetable.png", NOT_ALLOWED, id="html named .png"),
    pytest.param(b"Attendance: 94%\n", "Attendance.docx", NOT_ALLOWED, id="text named .docx"),
    pytest.param(plain_zip(), "Provision map.docx", NOT_ALLOWED, id="zip that is not an office file"),
    pytest.param(docx_without_its_main_part(), "Provision map.docx", NOT_ALLOWED, id="docx declaring a missing part"),
    pytest.param(compound_file("Installer"), "Provision map.doc", NOT_ALLOWED, id="ole2 that is not word or excel"),
    pytest.param(b"", "Attendance.pdf", "The selected file is empty", id="empty"),
    pytest.param(b"%PDF-1.4\n" + bytes(FILE_LIMIT), "Attendance.pdf", "must be smaller than 256 KB", id="oversized"),
    pytest.param(zip_bomb_docx(), "Provision map.docx", UNUSUAL, id="zip bomb docx"),
    pytest.param(crowded_docx(), "Provision map.docx", UNUSUAL, id="docx with 1000 parts"),
    pytest.param(pdf(), "../../../etc/Attendance.pdf", BAD_NAME, id="name climbing folders"),
    pytest.param(pdf(), "Attendance\x07\x1b[2J.pdf", BAD_NAME, id="name with control characters"),
    pytest.param(pdf(), "Attendance\u202efdp.exe", BAD_NAME, id="name with a right-to-left override"),
]


@pytest.mark.parametrize(("data", "name", "message"), REFUSED)
def test_a_file_that_is_not_allowed_is_refused_with_a_clear_message_and_nothing_is_stored(
    app, client, sign_in, data, name, message
) -> None:
    sign_in(SENCO)

    response = upload(client, token(sign_in), data, name, item="provision-map")

    assert response.status_code == 400
    assert title_of(response).startswith("Error: Evidence")
    ((target, summary),) = error_summary(response)
    assert target == "#provision-map-file"
    assert message in summary
    html = response.get_data(as_text=True)
    assert re.search(r'id="provision-map-file-error" class="qm-error-message">.*?' + re.escape(message[:30]), html)
    assert 'aria-describedby="provision-map-file-hint provision-map-file-error"' in html
    assert_nothing_stored(app)
    assert "uploaded evidence" not in audit_actions(app)


def test_an_upload_or_delete_whose_audit_entry_cannot_be_written_changes_nothing(app, client, sign_in) -> None:
    """The file, its metadata and its audit entry commit together: the database refusing the audit entry (a real
    fault, not a stand-in) stops the upload, or the delete, whole."""
    sign_in(SENCO)
    csrf = token(sign_in)
    assert upload(client, csrf, pdf(), "Attendance.pdf").status_code == 302
    link = download_links(client.get(PAGE))["Attendance.pdf"]
    before = (stored_document(app), stored_bytes(app))
    with app.app_context():
        break_audit_log(get_store().engine)

    assert upload(client, csrf, png(), "Display.png", item="provision-map").status_code == 500
    assert client.post(f"{link}/delete", data={"csrf_token": token(sign_in, f"{link}/delete")}).status_code == 500

    assert (stored_document(app), stored_bytes(app)) == before
    assert client.get(link).data == pdf()


def test_choosing_no_file_asks_for_one(app, client, sign_in) -> None:
    sign_in(SENCO)

    response = client.post(
        f"{PAGE}/attendance/files", data={"csrf_token": token(sign_in)}, content_type="multipart/form-data"
    )

    assert response.status_code == 400
    assert error_summary(response) == [("#attendance-file", "Choose a file to upload")]
    assert_nothing_stored(app)


def test_a_school_cannot_go_over_its_total_space(app, client, sign_in) -> None:
    app.config["UPLOAD_SCHOOL_MAX_BYTES"] = len(pdf()) + len(png()) - 1
    sign_in(SENCO)
    csrf = token(sign_in)
    assert upload(client, csrf, pdf(), "Attendance.pdf").status_code == 302

    response = upload(client, csrf, png(), "Display.png", item="provision-map")

    assert response.status_code == 400
    assert "Your school has used its" in error_summary(response)[0][1]
    assert [entry["name"] for entry in stored_files(app)] == ["Attendance.pdf"]
    assert len(stored_bytes(app)) == 1


def test_a_request_bigger_than_the_service_accepts_is_refused_plainly(app, client, sign_in) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 2 * FILE_LIMIT
    sign_in(SENCO)

    response = upload(client, token(sign_in), b"%PDF-1.4\n" + bytes(3 * FILE_LIMIT), "Attendance.pdf")

    assert response.status_code == 413
    assert "each file must be smaller than 256 KB" in text_of(response)
    assert_nothing_stored(app)


def test_an_item_that_is_not_on_the_checklist_is_not_found(app, client, sign_in) -> None:
    sign_in(SENCO)

    assert upload(client, token(sign_in), pdf(), "Attendance.pdf", item="no-such-item").status_code == 404
    assert save_notes(client, token(sign_in), "Notes", item="no-such-item").status_code == 404
    assert_nothing_stored(app)


# Deleting ---------------------------------------------------------------------------------------------------------


def test_a_file_is_deleted_after_confirming(app, client, sign_in) -> None:
    sign_in(SENCO)
    upload(client, token(sign_in), pdf(), "Attendance.pdf")
    link = download_links(client.get(PAGE))["Attendance.pdf"]
    delete_page = f"{link}/delete"
    assert f'href="{delete_page}"' in client.get(PAGE).get_data(as_text=True)

    confirm = client.get(delete_page)
    assert confirm.status_code == 200
    assert title_of(confirm).startswith("Delete Attendance.pdf")
    assert "Delete Attendance.pdf?" in text_of(confirm)
    assert stored_files(app) and stored_bytes(app), "nothing is deleted until the person confirms"

    response = client.post(delete_page, data={"csrf_token": token(sign_in, delete_page)})

    assert response.status_code == 302
    assert response.headers["Location"] == f"{PAGE}#attendance"
    assert_nothing_stored(app)
    assert "Attendance.pdf has been deleted." in text_of(client.get(PAGE))
    assert client.get(link).status_code == 404
    assert audit_actions(app)[:2] == ["deleted evidence", "uploaded evidence"]


def test_unknown_files_are_not_found(app, client, sign_in) -> None:
    sign_in(SENCO)

    for path in [f"{PAGE}/files/{'0' * 32}", f"{PAGE}/files/not-a-file-id", f"{PAGE}/files/{'0' * 32}/delete"]:
        assert client.get(path).status_code == 404, path


# Who may do what ------------------------------------------------------------------------------------------------


def uploaded_by_the_senco(app, client, sign_in) -> str:
    """The download link of a file the school's SENCo uploaded; the client is then signed out."""
    sign_in(SENCO)
    upload(client, token(sign_in), pdf(), "Attendance.pdf")
    link = download_links(client.get(PAGE))["Attendance.pdf"]
    client.post("/sign-out", data={"csrf_token": token(sign_in)})
    return link


@pytest.mark.parametrize("person", [OTHER_SENCO])
def test_another_schools_people_find_nothing(app, client, sign_in, person) -> None:
    link = uploaded_by_the_senco(app, client, sign_in)
    sign_in(person)
    csrf = token(sign_in, f"/school/{OTHER_SCHOOL}/evidence")

    for response in [
        client.get(link),
        client.get(PAGE),
        client.get(f"{link}/delete"),
        client.post(f"{link}/delete", data={"csrf_token": csrf}),
        upload(client, csrf, pdf(), "Spy.pdf"),
        save_notes(client, csrf, "Spy"),
    ]:
        assert response.status_code == 404
        assert "Attendance.pdf" not in response.get_data(as_text=True)
    # nor through their own school's address
    assert client.get(link.replace(SCHOOL, OTHER_SCHOOL)).status_code == 404
    assert [entry["name"] for entry in stored_files(app)] == ["Attendance.pdf"]


def test_a_viewer_can_read_and_download_but_not_change_anything(app, client, sign_in) -> None:
    link = uploaded_by_the_senco(app, client, sign_in)
    sign_in(GOVERNOR)
    page = client.get(PAGE)
    csrf = token(sign_in)

    assert page.status_code == 200
    assert "Attendance.pdf" in download_links(page)
    assert 'type="file"' not in page.get_data(as_text=True)
    assert "<textarea" not in page.get_data(as_text=True)
    assert client.get(link).data == pdf()
    assert upload(client, csrf, pdf(), "Mine.pdf").status_code == 403
    assert save_notes(client, csrf, "Governor's notes").status_code == 403
    assert client.get(f"{link}/delete").status_code == 403
    assert client.post(f"{link}/delete", data={"csrf_token": csrf}).status_code == 403
    assert [entry["name"] for entry in stored_files(app)] == ["Attendance.pdf"]
    assert len(stored_bytes(app)) == 1


@pytest.mark.parametrize("person", [LA_REVIEWER, LA_ADMIN])
def test_la_staff_can_read_and_download_but_not_change_anything(app, client, sign_in, person) -> None:
    link = uploaded_by_the_senco(app, client, sign_in)
    sign_in(person)
    csrf = token(sign_in)

    assert client.get(PAGE).status_code == 200
    response = client.get(link)
    assert (response.status_code, response.data) == (200, pdf())
    assert upload(client, csrf, pdf(), "Mine.pdf").status_code == 403
    assert client.post(f"{link}/delete", data={"csrf_token": csrf}).status_code == 403
    assert len(stored_files(app)) == 1


def test_signed_out_people_are_sent_to_sign_in(app, client, sign_in) -> None:
    link = uploaded_by_the_senco(app, client, sign_in)

    for response in [client.get(PAGE), client.get(link)]:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")


def test_after_submission_the_evidence_is_read_only(app, client, sign_in) -> None:
    link = uploaded_by_the_senco(app, client, sign_in)
    sign_in(SENCO)
    csrf = token(sign_in)
    save_notes(client, csrf, "Whole-school figures from the census.")
    submit_self_evaluation(app)

    page = client.get(PAGE)
    assert "has been submitted, so this evidence can no longer be changed" in text_of(page)
    assert 'type="file"' not in page.get_data(as_text=True)
    assert "Whole-school figures from the census." in text_of(page)
    assert client.get(link).data == pdf()
    for response in [
        upload(client, csrf, png(), "Late.png"),
        save_notes(client, csrf, "Changed after submission"),
        client.get(f"{link}/delete"),
        client.post(f"{link}/delete", data={"csrf_token": csrf}),
    ]:
        assert response.status_code == 403
        assert "can no longer be changed" in text_of(response)
    assert [entry["name"] for entry in stored_files(app)] == ["Attendance.pdf"]
    assert len(stored_bytes(app)) == 1
    assert stored_document(app)["items"]["attendance"]["notes"] == "Whole-school figures from the census."


# Notes ----------------------------------------------------------------------------------------------------------


def test_notes_are_saved_and_shown_again(app, client, sign_in) -> None:
    sign_in(SENCO)
    notes = "Attendance of pupils with SEND rose from 91% to 94%.\nSee the attached census summary."

    response = save_notes(client, token(sign_in), notes)

    assert response.status_code == 302
    assert response.headers["Location"] == f"{PAGE}#attendance"
    record = stored_document(app)["items"]["attendance"]
    assert record["notes"] == notes
    page = client.get(PAGE)
    assert "Attendance: your notes are saved." in text_of(page)
    assert (
        f'name="notes" rows="5"\n        aria-describedby="attendance-notes-hint">{notes}</textarea>'
        in page.get_data(as_text=True)
    )


def test_notes_with_a_pupils_upn_are_not_saved_until_the_person_confirms(app, client, sign_in) -> None:
    sign_in(SENCO)
    csrf = token(sign_in)
    notes = "Reduced timetable for A123456789012 ended in March."

    warned = save_notes(client, csrf, notes, item="reduced-timetables")

    assert warned.status_code == 400
    assert "unique pupil number (UPN)" in text_of(warned)
    assert error_summary(warned)[0][0] == "#reduced-timetables-notes"
    html = warned.get_data(as_text=True)
    assert f">{notes}</textarea>" in html, "the text stays in the field"
    assert 'name="action" value="save-anyway">Save anyway</button>' in html
    assert "qm-warning-text" in html
    assert stored_document(app) is None

    saved = save_notes(client, csrf, notes, item="reduced-timetables", action="save-anyway")

    assert saved.status_code == 302
    assert stored_document(app)["items"]["reduced-timetables"]["notes"] == notes


def test_notes_that_are_too_long_are_not_saved_and_stay_in_the_field(app, client, sign_in) -> None:
    sign_in(SENCO)
    notes = "Attendance. " * 200

    response = save_notes(client, token(sign_in), notes)

    assert response.status_code == 400
    assert error_summary(response) == [("#attendance-notes", "Notes must be 2,000 characters or fewer")]
    assert notes.strip() in response.get_data(as_text=True)
    assert stored_document(app) is None


# CSRF -----------------------------------------------------------------------------------------------------------


def test_every_change_needs_the_forms_csrf_token(app, client, sign_in) -> None:
    sign_in(SENCO)
    upload(client, token(sign_in), pdf(), "Attendance.pdf")
    link = download_links(client.get(PAGE))["Attendance.pdf"]
    before = stored_document(app)

    for response in [
        upload(client, None, png(), "Display.png"),
        upload(client, "not-the-token", png(), "Display.png"),
        save_notes(client, None, "Notes"),
        client.post(f"{link}/delete"),
    ]:
        assert response.status_code == 400
        assert "Reload the page and try again" in text_of(response)
    assert stored_document(app) == before
    assert len(stored_bytes(app)) == 1


# The domain functions, without HTTP -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Attendance.pdf", "Attendance.pdf"),
        ("  Provision   map .docx ", "Provision map .docx"),
        ("/home/senco/Attendance.pdf", "Attendance.pdf"),
        ("C:\\Users\\senco\\Attendance.pdf", "Attendance.pdf"),
        ("x" * 300 + ".pdf", "x" * (evidence.NAME_LIMIT - 4) + ".pdf"),
    ],
)
def test_display_names_keep_only_the_files_own_name(raw: str, shown: str) -> None:
    assert evidence.display_name(raw) == shown


@pytest.mark.parametrize(
    ("name", "file_type", "expected"),
    [
        ("Map.docx", file_types.DOCX, "Map.docx"),
        ("Map.DOCX", file_types.DOCX, "Map.DOCX"),
        ("Map.pdf", file_types.PNG, "Map.png"),
        ("Map", file_types.PDF, "Map.pdf"),
        ("Map.v2", file_types.PDF, "Map.v2.pdf"),
        ("Photo.jpeg", file_types.JPEG, "Photo.jpeg"),
    ],
)
def test_downloads_are_named_for_their_real_type(name: str, file_type, expected: str) -> None:
    assert evidence.download_name(name, file_type) == expected


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("Map.pdf", 'attachment; filename="Map.pdf"'),
        ('Say "hi".pdf', "attachment; filename=\"Say _hi_.pdf\"; filename*=UTF-8''Say%20%22hi%22.pdf"),
        ("出席.pdf", "attachment; filename=\"evidence.pdf\"; filename*=UTF-8''%E5%87%BA%E5%B8%AD.pdf"),
    ],
)
def test_the_download_header_is_always_safe(name: str, header: str) -> None:
    assert evidence.content_disposition(name) == header


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_domain_functions_store_and_delete_a_file_with_its_metadata_without_http(
    engine: str, tmp_path: Path, service_on: Any
) -> None:
    service = service_on(engine, tmp_path / "data")
    limits = evidence.Limits(file_bytes=FILE_LIMIT, school_bytes=len(pdf()) + len(docx()) - 1)
    with service.app_context():
        store, cycle = get_store(), cycle_id(service)
        entry = evidence.add_file(store, SCHOOL, cycle, "attendance", io.BytesIO(pdf()), "A.pdf", "someone", limits)
        assert evidence.file_bytes(store, SCHOOL, entry) == pdf()
        assert evidence.file_bytes(store, OTHER_SCHOOL, entry) is None
        with pytest.raises(evidence.UploadRefused, match="Your school has used its"):
            evidence.add_file(store, SCHOOL, cycle, "attendance", io.BytesIO(docx()), "B.docx", "someone", limits)
        with pytest.raises(evidence.UploadRefused, match="must be smaller than"):
            big = io.BytesIO(b"%PDF-1.4\n" + bytes(FILE_LIMIT))
            evidence.add_file(store, SCHOOL, cycle, "attendance", big, "C.pdf", "someone", limits)
        assert [row["id"] for row in stored_bytes(service)] == [entry["stored_as"]]

        assert evidence.delete_file(store, SCHOOL, cycle, entry["id"]) == entry

        assert evidence.file_bytes(store, SCHOOL, entry) is None
        assert stored_bytes(service) == []
        assert evidence.item_record(evidence.load(store, SCHOOL, cycle), "attendance")["files"] == []


# In a real browser ------------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_senco_gives_evidence_in_a_browser_and_every_state_passes_axe(start_service, new_context) -> None:
    from playwright.sync_api import expect

    service = start_service(UPLOAD_MAX_BYTES=FILE_LIMIT)
    axe = Axe()
    page = new_context().new_page()
    sign_in_with_a_browser(page, service, SENCO)
    page.get_by_role("navigation", name=re.compile("Oakfield")).get_by_role("link", name="Evidence").click()
    expect(heading(page)).to_have_text("Evidence")
    axe(page, "evidence checklist")

    page.get_by_label("Add a file for Attendance").set_input_files(
        files=[{"name": "Attendance 2025-26.pdf", "mimeType": "application/pdf", "buffer": pdf()}]
    )
    page.locator("#attendance").get_by_role("button", name="Upload file").click()
    expect(page.get_by_role("status")).to_have_text("Attendance: Attendance 2025-26.pdf has been added.")
    axe(page, "evidence with a file")
    with page.expect_download() as download:
        page.get_by_role("link", name="Attendance 2025-26.pdf", exact=True).click()
    assert download.value.suggested_filename == "Attendance 2025-26.pdf"
    assert Path(download.value.path()).read_bytes() == pdf()

    page.get_by_label("Add a file for Provision map").set_input_files(
        files=[{"name": "Provision map.png", "mimeType": "image/png", "buffer": HTML}]
    )
    page.locator("#provision-map").get_by_role("button", name="Upload file").click()
    expect(page).to_have_title(re.compile("^Error: Evidence"))
    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="There is a problem"))
    expect(summary).to_be_focused()
    axe(page, "upload refused")
    summary.get_by_role("link").click()
    expect(page.get_by_label("Add a file for Provision map")).to_be_focused()

    notes = page.get_by_label("Notes on Use of reduced timetables")
    notes.fill("The timetable for A123456789012 ended in March.")
    page.locator("#reduced-timetables").get_by_role("button", name="Save notes").click()
    expect(page.get_by_text("This looks like it contains a unique pupil number (UPN).").first).to_be_visible()
    expect(notes).to_have_value("The timetable for A123456789012 ended in March.")
    axe(page, "notes that look like personal data")
    page.locator("#reduced-timetables").get_by_role("button", name="Save anyway").click()
    expect(page.get_by_role("status")).to_have_text("Use of reduced timetables: your notes are saved.")

    page.get_by_role("link", name="Delete Attendance 2025-26.pdf").click()
    expect(heading(page)).to_have_text("Delete Attendance 2025-26.pdf?")
    axe(page, "delete a file")
    page.get_by_role("button", name="Delete file").click()
    expect(page.get_by_role("status")).to_have_text("Attendance 2025-26.pdf has been deleted.")

    governor = new_context().new_page()
    sign_in_with_a_browser(governor, service, GOVERNOR)
    governor.goto(service.url + PAGE)
    expect(governor.get_by_text("The timetable for A123456789012 ended in March.")).to_be_visible()
    axe(governor, "evidence (viewer)")
    assert len(axe.checked) == 6, axe.checked
    axe.assert_clean()


def test_restoring_a_backup_leaves_the_outbox_alone(app: Any, tmp_path: Path) -> None:
    """A restore fills the database only: files beside it in the data folder are never touched."""
    from form_service import create_app
    from form_service.config import TestConfig

    archive = tmp_path / "backup.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    new_data = tmp_path / "new-data"
    (new_data / "outbox").mkdir(parents=True)
    (new_data / "outbox" / "kept.eml").write_bytes(b"Subject: kept")
    fresh = create_app(
        TestConfig, {"DATA_DIR": new_data, "CONTENT_ROOT": app.config["CONTENT_ROOT"], "SITE_DIR": tmp_path / "site"}
    )

    assert fresh.test_cli_runner().invoke(args=["restore", "--yes", str(archive)]).exit_code == 0

    assert (new_data / "outbox" / "kept.eml").read_bytes() == b"Subject: kept"
    with fresh.app_context():
        assert get_store().read("schools", "900001") is not None


# Backups hold the files ---------------------------------------------------------------------------------------


def every_byte_value() -> bytes:
    """A PDF (by its header) whose body holds every byte value, and random bytes: what base64 must carry exactly."""
    import random

    return b"%PDF-1.7\n" + bytes(range(256)) * 64 + random.Random(12).randbytes(150_000) + b"\n%%EOF\n"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_backup_taken_while_answers_are_saved_restores_every_file_into_the_other_engine(
    engine: str, tmp_path: Path, service_on: Any
) -> None:
    import threading

    from tests.conftest import Outbox, SignIn

    source = service_on(engine, tmp_path / "source", UPLOAD_MAX_BYTES=FILE_LIMIT)
    client = source.test_client()
    sign = SignIn(client, Outbox(tmp_path / "source" / "outbox"))
    sign(SENCO)
    csrf = token(sign)
    uploads = [
        ("Attendance 2025-26.pdf", pdf(), "attendance"),
        ("Provision map.docx", docx(), "provision-map"),
        ("Provision map (old).doc", doc(), "provision-map"),
        ("Exclusions.xlsx", xlsx(), "exclusions-and-suspensions"),
        ("Timetable photo.png", png(), "reduced-timetables"),
        ("Every byte.pdf", every_byte_value(), "attainment"),
    ]
    for name, data, item in uploads:
        assert upload(client, csrf, data, name, item=item).status_code == 302, name
    links = download_links(client.get(PAGE))
    assert sorted(links) == sorted(name for name, _, _ in uploads)

    # Another school's SENCo keeps saving an answer while the backup is taken.
    with source.app_context():
        store, content = get_store(), get_content()
        cycle = self_evaluation.current_cycle(content, date.fromisoformat(source.config["TODAY"]))
        hillcrest = accounts.get_school(store, OTHER_SCHOOL)
        document = self_evaluation.start(store, content, hillcrest, cycle)
        criterion = self_evaluation.framework_of(content, document).criteria[0].id
        saver = accounts.find_user_by_email(store, OTHER_SENCO)
    acknowledged: list[str] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def keep_saving() -> None:
        try:
            with source.app_context():
                while not stop.is_set():
                    commentary = f"Save number {len(acknowledged) + 1} of our provision."
                    answer = {"rating": 3, "commentary": commentary, "evidence": ["Provision map"]}
                    result = self_evaluation.save_answer(
                        get_store(), content, cycle, OTHER_SCHOOL, criterion, answer, len(acknowledged), saver.id
                    )
                    assert result.status == "saved", (result.status, result.errors)
                    acknowledged.append(commentary)
        except BaseException as error:  # reported by the test below
            failures.append(error)

    thread = threading.Thread(target=keep_saving)
    thread.start()
    try:
        while len(acknowledged) < 5 and not failures:
            time.sleep(0.01)
        before = len(acknowledged)
        archive = tmp_path / "backups" / "evidence.tar.gz"
        backed_up = source.test_cli_runner().invoke(args=["backup", str(archive)])
        during = len(acknowledged)
        while len(acknowledged) < during + 5 and not failures:
            time.sleep(0.01)  # saves carried on while (and after) the backup was taken
    finally:
        stop.set()
        thread.join()
    assert not failures, failures
    assert backed_up.exit_code == 0, backed_up.output
    assert "evidence file" in backed_up.output

    target_engine = "postgresql" if engine == "sqlite" else "sqlite"
    target = service_on(target_engine, tmp_path / "target", seed=False, UPLOAD_MAX_BYTES=FILE_LIMIT)
    restored = target.test_cli_runner().invoke(args=["restore", "--yes", str(archive)])
    assert restored.exit_code == 0, restored.output

    with target.app_context():
        assert get_store().engine.dialect.name == target_engine
        answers = self_evaluation.load(get_store(), OTHER_SCHOOL, cycle.id)["answers"]
    revision = answers[criterion]["revision"]
    assert before <= revision <= len(acknowledged), "every save acknowledged before the backup is in it"
    assert answers[criterion]["commentary"] == acknowledged[revision - 1]
    target_client = target.test_client()
    SignIn(target_client, Outbox(tmp_path / "target" / "outbox"))(SENCO)
    assert download_links(target_client.get(PAGE)) == links
    for name, data, _ in uploads:
        response = target_client.get(links[name])
        assert response.status_code == 200, name
        assert response.data == data, name
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
