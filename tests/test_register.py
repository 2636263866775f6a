"""The public register of schools holding the mark: who is on it on a given day, the service's open data
(JSON and CSV), `flask export-register`, and `build.py site --register` taking it in from a file or from the
running service, refusing a bad or hostile register with a plain message and building nothing."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import build
from form_service.register.entries import register_document, register_entries
from form_service.register.views import AWARDS
from form_service.store import get_store
from quality_mark import site_map
from quality_mark.model import LONDON
from quality_mark.register import (
    CSV_COLUMNS,
    RegisterError,
    current_register,
    read_register,
    register_csv,
    register_json,
    register_problems,
)
from quality_mark.register_source import load_register
from tests.browser import free_port, live_server, static_server

TODAY = date(2026, 11, 23)  # as the `app` fixture's TODAY setting
OAKFIELD, HILLCREST, RIVERSIDE = "900001", "900004", "900002"


def school(urn: str, name: str, phase: str = "Primary", framework: str = "primary") -> dict[str, Any]:
    """A `schools` document as the import writes it."""
    return {"urn": urn, "name": name, "phase": phase, "framework": framework, "postcode": "AB1 2CD", "members": {}}


def decision(decided_on: date, outcome: str = "awarded", years: int = 3, cycle: str = "2026-27") -> dict[str, Any]:
    """One panel decision in an `awards/<urn>` document, in the shape workflow.py documents."""
    made = {
        "cycle": cycle,
        "reference": f"QM-{decided_on:%Y%m%d}",
        "outcome": outcome,
        "reasons": "The panel's reasons.",
        "conditions": "",
        "decided_on": decided_on.isoformat(),
        "panel": ["Assistant director", "Specialist teacher"],
        "recorded_by": "someone",
        "recorded_at": f"{decided_on.isoformat()}T16:00:00+00:00",
    }
    if outcome == "awarded":
        made["expires_on"] = decided_on.replace(year=decided_on.year + years).isoformat()
    return made


def awarded_until(expires_on: date) -> dict[str, Any]:
    """An awards document whose one award runs out on `expires_on` (awarded 3 years before)."""
    return {"decisions": [{**decision(expires_on.replace(year=expires_on.year - 3)), "expires_on": str(expires_on)}]}


SCHOOLS = [
    school(OAKFIELD, "Oakfield Primary School"),
    school(HILLCREST, "Hillcrest Academy", "Secondary", "secondary"),
    school(RIVERSIDE, "Riverside Community Primary School"),
]


def urns(entries: list[dict[str, str]]) -> list[str]:
    return [entry["urn"] for entry in entries]


# Who is on the register on a given day (pure) ------------------------------------------------------------


def test_a_school_with_a_current_award_is_listed_with_its_name_phase_and_dates() -> None:
    awards = {OAKFIELD: {"decisions": [decision(date(2026, 10, 14))]}}

    assert register_entries(SCHOOLS, awards, TODAY) == [
        {
            "urn": OAKFIELD,
            "name": "Oakfield Primary School",
            "phase": "Primary",
            "framework": "primary",
            "awarded_on": "2026-10-14",
            "expires_on": "2029-10-14",
        }
    ]


@pytest.mark.parametrize(
    ("expires_on", "listed"),
    [
        (TODAY - timedelta(days=1), False),  # ran out yesterday
        (TODAY, False),  # runs out today: no longer held today
        (TODAY + timedelta(days=1), True),  # its last day
    ],
    ids=["expired the day before", "expiring today", "expiring tomorrow"],
)
def test_an_award_is_held_up_to_the_day_before_it_expires(expires_on: date, listed: bool) -> None:
    entries = register_entries(SCHOOLS, {OAKFIELD: awarded_until(expires_on)}, TODAY)

    assert urns(entries) == ([OAKFIELD] if listed else [])


def test_an_award_dated_in_the_future_is_not_listed_until_its_day() -> None:
    awards = {OAKFIELD: {"decisions": [decision(TODAY + timedelta(days=1))]}}

    assert register_entries(SCHOOLS, awards, TODAY) == []
    assert urns(register_entries(SCHOOLS, awards, TODAY + timedelta(days=1))) == [OAKFIELD]


def test_a_decision_not_to_award_never_lists_a_school() -> None:
    awards = {OAKFIELD: {"decisions": [decision(date(2026, 10, 14), outcome="not_awarded")]}}

    assert register_entries(SCHOOLS, awards, TODAY) == []


def test_of_several_decisions_the_latest_award_counts() -> None:
    first = decision(date(2023, 6, 1), cycle="2022-23")  # ran out on 1 June 2026
    declined = decision(date(2026, 7, 1), outcome="not_awarded", cycle="2025-26")
    reaccredited = decision(date(2026, 10, 14), cycle="2026-27")
    awards = {OAKFIELD: {"decisions": [first, declined, reaccredited]}}

    (entry,) = register_entries(SCHOOLS, awards, TODAY)

    assert (entry["awarded_on"], entry["expires_on"]) == ("2026-10-14", "2029-10-14")
    # Before the reaccreditation the school had no current award: the old one had run out.
    assert register_entries(SCHOOLS, {OAKFIELD: {"decisions": [first, declined]}}, TODAY) == []


def test_the_register_is_sorted_by_name_and_leaves_out_awards_of_unknown_schools() -> None:
    awards = {urn: {"decisions": [decision(date(2026, 9, 1))]} for urn in (OAKFIELD, HILLCREST, RIVERSIDE, "999999")}
    schools = [*SCHOOLS, school("900009", "acorn school")]  # lower case sorts among the others, not after them

    entries = register_entries(schools, awards, TODAY)

    assert [entry["name"] for entry in entries] == [
        "Hillcrest Academy",
        "Oakfield Primary School",
        "Riverside Community Primary School",
    ]


def test_the_register_document_says_when_it_was_made_in_uk_time_and_is_valid() -> None:
    awards = {HILLCREST: {"decisions": [decision(date(2026, 9, 1))]}}
    made = datetime(2026, 7, 1, 9, 30, 12, 345678, tzinfo=LONDON)  # British Summer Time

    register = register_document(SCHOOLS, awards, TODAY, made)

    assert register["updated"] == "2026-07-01T09:30:12+01:00"
    assert urns(register["schools"]) == [HILLCREST]
    assert register_problems(register) == []
    assert read_register(register_json(register).encode()) == register


def test_a_register_read_back_later_loses_the_awards_that_ran_out_since() -> None:
    awards = {
        OAKFIELD: awarded_until(TODAY + timedelta(days=10)),
        HILLCREST: awarded_until(TODAY + timedelta(days=400)),
    }
    register = register_document(SCHOOLS, awards, TODAY, datetime(2026, 11, 23, 9, tzinfo=LONDON))

    assert urns(current_register(register, TODAY + timedelta(days=9))["schools"]) == [HILLCREST, OAKFIELD]
    later = current_register(register, TODAY + timedelta(days=10))
    assert urns(later["schools"]) == [HILLCREST]
    assert later["updated"] == register["updated"]


# The CSV -------------------------------------------------------------------------------------------------


def test_the_csv_has_a_header_row_and_never_runs_a_name_as_a_formula() -> None:
    names = ['=HYPERLINK("http://evil.example")', "+1", "-2", "@SUM(A1)", "Normal School", "\tTabbed"]
    register = {
        "updated": "2026-11-23T10:00:00+00:00",
        "schools": [
            {
                "urn": f"90010{index}",
                "name": name,
                "phase": "=Primary",
                "framework": "primary",
                "awarded_on": "2026-10-01",
                "expires_on": "2029-10-01",
            }
            for index, name in enumerate(names)
        ],
    }

    text = register_csv(register)

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == list(CSV_COLUMNS)
    assert [row[1] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil.example")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "Normal School",
        "'\tTabbed",
    ]
    assert {row[2] for row in rows[1:]} == {"'=Primary"}
    assert [row[0] for row in rows[1:]] == [f"90010{index}" for index in range(len(names))]


# Reading a register back: bad and hostile files ------------------------------------------------------------

GOOD_ENTRY = {
    "urn": OAKFIELD,
    "name": "Oakfield Primary School",
    "phase": "Primary",
    "framework": "primary",
    "awarded_on": "2026-10-14",
    "expires_on": "2029-10-14",
}


def register_with(*entries: dict[str, Any], updated: str = "2026-11-23T10:42:00+00:00") -> dict[str, Any]:
    return {"updated": updated, "schools": list(entries)}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "it is empty."),
        (b"   \n", "it is empty."),
        (b"\xff\xfe<html>", "it is not UTF-8 text."),
        (b"<html>Not found</html>", "it is not JSON: Expecting value at line 1, column 1."),
        (b'{"updated": "2026-11-23T10:42:00+00:00", "schools": [', "it is not JSON: Expecting value at line 1"),
        (b"[" * 100_000 + b"]" * 100_000, "it is nested too deeply to be a register."),
        (b"[]", "the register must be an object ({...}), not []."),
        (b'{"schools": []}', "the register is missing 'updated'."),
        (
            json.dumps(register_with(GOOD_ENTRY) | {"extra": 1}).encode(),
            "the register has fields a register does not have: 'extra'.",
        ),
        (
            json.dumps(register_with({**GOOD_ENTRY, "urn": "12"})).encode(),
            "school 1, field 'urn' must be the school's URN, 6 or 7 digits, not '12'.",
        ),
        (
            json.dumps(register_with({**GOOD_ENTRY, "name": "Two\nlines"})).encode(),
            "school 1 (URN 900001), field 'name' must be the school's name, 1 to 200 characters of plain text",
        ),
        (
            json.dumps(register_with({**GOOD_ENTRY, "awarded_on": "2026-02-30"})).encode(),
            "school 1 (URN 900001), field 'awarded_on' must be the date of the award, for example 2026-11-23, "
            "not '2026-02-30'.",
        ),
        (
            json.dumps(register_with({**GOOD_ENTRY, "expires_on": "2026-10-14"})).encode(),
            "school 1 (URN 900001) has an expiry date that is not after its award date.",
        ),
        (
            json.dumps(register_with(GOOD_ENTRY, GOOD_ENTRY)).encode(),
            "school 2 (URN 900001) is listed more than once.",
        ),
        (
            json.dumps(register_with(GOOD_ENTRY, updated="2026-11-23T10:42:00")).encode(),
            "field 'updated' must be a date and time with its offset from UTC",
        ),
        (
            json.dumps(register_with(GOOD_ENTRY, updated="2026-13-23T10:42:00+00:00")).encode(),
            "field 'updated' must be a real date and time, not '2026-13-23T10:42:00+00:00'.",
        ),
        (b" " * (10 * 1024 * 1024 + 1), "it is larger than 10 MB, too large for a register."),
    ],
    ids=[
        "empty",
        "blank",
        "not UTF-8",
        "an HTML page",
        "cut short",
        "nested too deeply",
        "a list",
        "no updated",
        "an unknown field",
        "a bad URN",
        "a name on two lines",
        "a date that is not a date",
        "expiring when awarded",
        "a school twice",
        "a time without its offset",
        "a month 13",
        "too large",
    ],
)
def test_a_bad_register_is_refused_with_a_plain_message(raw: bytes, message: str) -> None:
    with pytest.raises(RegisterError) as refused:
        read_register(raw)

    assert message in str(refused.value)


def test_every_problem_in_a_register_is_reported_at_once() -> None:
    bad = register_with({**GOOD_ENTRY, "urn": "x"}, {**GOOD_ENTRY, "urn": "900002", "phase": 7, "framework": "<b>"})

    problems = register_problems(bad)

    assert problems == [
        "school 1, field 'urn' must be the school's URN, 6 or 7 digits, not 'x'.",
        "school 2 (URN 900002), field 'framework' must be the framework's ID, for example primary, not '<b>'.",
        "school 2 (URN 900002), field 'phase' must be text, not 7.",
    ]


# The service's open data ----------------------------------------------------------------------------------


def award(app: Any, urn: str, awards: dict[str, Any]) -> None:
    """Record a panel's decisions for a school directly in the store (the panel pages are built elsewhere)."""
    with app.app_context():
        get_store().write(AWARDS, urn, awards)


def rename(app: Any, urn: str, name: str) -> None:
    with app.app_context():
        get_store().modify("schools", urn, lambda current: ({**current, "name": name}, None))


def test_anyone_can_fetch_the_register_as_json_without_signing_in(app, client) -> None:
    award(app, OAKFIELD, {"decisions": [decision(date(2026, 10, 14))]})
    award(app, HILLCREST, awarded_until(TODAY))  # runs out today
    award(app, RIVERSIDE, {"decisions": [decision(date(2026, 10, 14), outcome="not_awarded")]})

    response = client.get("/register.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    register = response.get_json()
    assert register["schools"] == [{**GOOD_ENTRY}]
    assert register_problems(register) == []
    updated = datetime.fromisoformat(register["updated"])
    assert abs(updated - app.extensions["clock"].now()) < timedelta(minutes=5)  # by the service's clock


def test_the_register_as_csv_matches_the_json(app, client) -> None:
    award(app, OAKFIELD, {"decisions": [decision(date(2026, 10, 14))]})
    award(app, HILLCREST, {"decisions": [decision(date(2026, 9, 30))]})
    rename(app, HILLCREST, "=Hillcrest Academy")

    response = client.get("/register.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert rows == [
        list(CSV_COLUMNS),
        [HILLCREST, "'=Hillcrest Academy", "Secondary", "secondary", "2026-09-30", "2029-09-30"],
        [OAKFIELD, "Oakfield Primary School", "Primary", "primary", "2026-10-14", "2029-10-14"],
    ]


def test_an_empty_register_is_still_published(client) -> None:
    assert client.get("/register.json").get_json()["schools"] == []
    assert client.get("/register.csv").get_data(as_text=True) == "\ufeff" + ",".join(CSV_COLUMNS) + "\r\n"


def test_the_register_may_be_cached_briefly_and_answers_not_modified_when_unchanged(app, client) -> None:
    award(app, OAKFIELD, {"decisions": [decision(date(2026, 10, 14))]})

    first = client.get("/register.json")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get("/register.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304

    award(app, HILLCREST, {"decisions": [decision(date(2026, 10, 14))]})
    changed = client.get("/register.json", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert urns(changed.get_json()["schools"]) == [HILLCREST, OAKFIELD]


def test_a_signed_in_persons_session_cookie_never_rides_on_a_cacheable_register(client, sign_in) -> None:
    sign_in("la.reviewer@example.org")

    response = client.get("/register.json")

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    # Pages that are not open data are still never cached.
    assert client.get("/la/").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/register.json", "/register.csv"])
def test_the_register_cannot_be_posted_to(client, path: str) -> None:
    assert client.post(path).status_code == 405


def test_the_register_endpoints_need_no_rows_in_the_permission_table(app) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("register.")}

    assert rules == {"/register.json", "/register.csv"}


# flask export-register ------------------------------------------------------------------------------------


def test_export_register_prints_the_register_when_no_file_is_given(app) -> None:
    award(app, OAKFIELD, {"decisions": [decision(date(2026, 10, 14))]})

    result = app.test_cli_runner().invoke(args=["export-register"])

    assert result.exit_code == 0, result.output
    register = json.loads(result.output)
    assert register["schools"] == [GOOD_ENTRY]


def test_export_register_writes_a_file_that_build_py_accepts(app, tmp_path: Path) -> None:
    award(app, OAKFIELD, {"decisions": [decision(date(2026, 10, 14))]})
    path = tmp_path / "published" / "register.json"

    result = app.test_cli_runner().invoke(args=["export-register", str(path)])

    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote the register (1 school holding the mark) to {path}.\n"
    assert load_register(str(path))["schools"] == [GOOD_ENTRY]
    assert sorted(p.name for p in path.parent.iterdir()) == ["register.json"], "no temporary file is left"


def test_export_register_replaces_an_earlier_export_whole(app, tmp_path: Path) -> None:
    path = tmp_path / "register.json"
    path.write_text("an earlier export", encoding="utf-8")
    award(app, HILLCREST, {"decisions": [decision(date(2026, 10, 14))]})

    result = app.test_cli_runner().invoke(args=["export-register", str(path)])

    assert result.exit_code == 0, result.output
    assert urns(read_register(path.read_bytes())["schools"]) == [HILLCREST]


def test_export_register_to_a_place_it_cannot_write_says_so(app, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["export-register", str(blocker / "register.json")])

    assert result.exit_code == 1
    assert f"Error: Could not write {blocker / 'register.json'}" in result.output
    assert "Traceback" not in result.output


# build.py site --register ---------------------------------------------------------------------------------


class _Cells(HTMLParser):
    """The register table's rows as a reader sees them: (row heading, cells...)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.in_body = False
        self.cell: list[str] | None = None
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self.in_body:
            self.cell = []
        elif tag == "script" and self.in_body:
            self.scripts += 1
        elif self.cell is not None:
            self.cell.append(f"<{tag}>")  # markup inside a cell: must never happen

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.in_body = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def holders_html(out: Path) -> str:
    return (out / "site" / "schools-holding-the-mark" / "index.html").read_text(encoding="utf-8")


def table_rows(out: Path) -> list[list[str]]:
    parser = _Cells()
    parser.feed(holders_html(out))
    assert parser.scripts == 0
    return parser.rows


def write_register(path: Path, *entries: dict[str, Any], updated: str = "2026-11-23T10:42:00+00:00") -> Path:
    path.write_text(json.dumps(register_with(*entries, updated=updated)), encoding="utf-8")
    return path


def entry(urn: str, name: str, awarded_on: date, expires_on: date, phase: str = "Primary") -> dict[str, Any]:
    return {
        "urn": urn,
        "name": name,
        "phase": phase,
        "framework": "primary",
        "awarded_on": awarded_on.isoformat(),
        "expires_on": expires_on.isoformat(),
    }


def london_today() -> date:
    return datetime.now(LONDON).date()


def test_without_a_register_the_page_says_the_list_has_not_been_published(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("QM_REGISTER", raising=False)
    out = tmp_path / "out"

    assert build.main(["site", "--out", str(out)]) == 0

    html = holders_html(out)
    assert "The list of schools holding the mark has not been published on this website yet." in html
    assert "Last updated" not in html and "<table" not in html.split("<article", 1)[1]
    assert not (out / "site" / site_map.REGISTER_JSON).exists()
    assert not (out / "site" / site_map.REGISTER_CSV).exists()


def test_the_site_lists_the_schools_from_a_register_file_with_when_it_was_updated(tmp_path: Path) -> None:
    today = london_today()
    current = entry(OAKFIELD, "Oakfield Primary School", today - timedelta(days=40), today + timedelta(days=1000))
    expired = entry(HILLCREST, "Hillcrest Academy", today - timedelta(days=1100), today, phase="Secondary")
    path = write_register(tmp_path / "register.json", current, expired, updated="2026-07-01T09:05:00+01:00")
    out = tmp_path / "out"

    assert build.main(["site", "--out", str(out), "--register", str(path)]) == 0

    awarded, expires = date.fromisoformat(current["awarded_on"]), date.fromisoformat(current["expires_on"])
    assert table_rows(out) == [
        [
            "Oakfield Primary School",
            "Primary",
            f"{awarded.day} {awarded:%B %Y}",
            f"{expires.day} {expires:%B %Y}",
        ]
    ], "the award that runs out today is gone"
    html = holders_html(out)
    assert "<strong>Last updated:</strong> 1 July 2026 at 9:05am (UK time)." in html
    assert "<caption>1 school holds the mark</caption>" in html
    assert 'href="../register.csv"' in html and 'href="../register.json"' in html
    published = json.loads((out / "site" / site_map.REGISTER_JSON).read_text(encoding="utf-8"))
    assert published == {"updated": "2026-07-01T09:05:00+01:00", "schools": [current]}
    rows = list(csv.reader(io.StringIO((out / "site" / site_map.REGISTER_CSV).read_text("utf-8-sig"))))
    assert rows == [list(CSV_COLUMNS), [OAKFIELD, "Oakfield Primary School", "Primary", "primary", *rows[1][4:]]]


def test_an_empty_register_says_no_school_holds_the_mark(tmp_path: Path) -> None:
    path = write_register(tmp_path / "register.json")
    out = tmp_path / "out"

    assert build.main(["site", "--out", str(out), "--register", str(path)]) == 0

    html = holders_html(out)
    assert "No school holds the mark at the moment." in html
    assert "Last updated:</strong> 23 November 2026 at 10:42am (UK time)." in html
    assert (out / "site" / site_map.REGISTER_CSV).is_file()


def test_the_register_can_come_from_the_qm_register_environment_variable(tmp_path: Path, monkeypatch) -> None:
    today = london_today()
    path = write_register(
        tmp_path / "register.json",
        entry(RIVERSIDE, "Riverside Community Primary School", today, today + timedelta(days=3)),
    )
    monkeypatch.setenv("QM_REGISTER", str(path))
    out = tmp_path / "out"

    assert build.main(["site", "--out", str(out)]) == 0

    assert [row[0] for row in table_rows(out)] == ["Riverside Community Primary School"]


HOSTILE_NAMES = [
    "<script>window.hacked = 1</script>",
    '<img src=x onerror="window.hacked=1">',
    "[Click here](javascript:alert(1))",
    "**Bold** _and_ `code` | a pipe | {: .injected }",
    "Ampersand &amp; &lt;b&gt; entity",
    "</td></tr></table><h1>Fake heading</h1>",
    "<!-- unclosed comment",
    "St Aidan’s Church of England Primary School",
]


def test_hostile_school_names_are_shown_as_text_and_never_become_markup(tmp_path: Path) -> None:
    today = london_today()
    entries = [
        entry(f"9001{index:02d}", name, today - timedelta(days=1), today + timedelta(days=100))
        for index, name in enumerate(HOSTILE_NAMES)
    ]
    path = write_register(tmp_path / "register.json", *entries)
    out = tmp_path / "out"

    assert build.main(["site", "--out", str(out), "--register", str(path)]) == 0

    rows = table_rows(out)
    assert sorted(row[0] for row in rows) == sorted(HOSTILE_NAMES)
    html = holders_html(out)
    assert "<script>window.hacked" not in html and "<img src=x" not in html and "<h1>Fake" not in html
    assert 'href="javascript' not in html and 'class="injected"' not in html


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        ("not json at all", "it is not JSON: Expecting value at line 1, column 1."),
        ('{"schools": "none"}', "the register is missing 'updated'."),
        (
            json.dumps(register_with({**GOOD_ENTRY, "name": "<script>\u0000</script>"})),
            "field 'name' must be the school's name, 1 to 200 characters of plain text on one line",
        ),
    ],
    ids=["not JSON", "wrong shape", "a control character in a name"],
)
def test_a_bad_register_file_stops_the_build_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contents: str, message: str
) -> None:
    path = tmp_path / "register.json"
    path.write_text(contents, encoding="utf-8")
    out = tmp_path / "out"

    assert build.main(["site", "--out", str(out), "--register", str(path)]) == 1

    printed = capsys.readouterr().err
    assert f"The register of schools holding the mark cannot be used: {path}: " in printed
    assert message in printed
    assert "Nothing was built." in printed and "Traceback" not in printed
    assert not out.exists(), "nothing is built from a bad register"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{missing}", "there is no file {missing}."),
        ("{folder}", "{folder} is a folder, not a register file."),
        ("file:///etc/passwd", "file:///etc/passwd is neither a file nor an http(s) address."),
        ("ftp://example.org/register.json", "is neither a file nor an http(s) address."),
    ],
    ids=["missing file", "a folder", "a file URL", "an FTP URL"],
)
def test_a_register_that_cannot_be_read_stops_the_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, message: str
) -> None:
    places = {"missing": str(tmp_path / "nowhere.json"), "folder": str(tmp_path)}
    out = tmp_path / "out"

    assert build.main(["site", "--out", str(out), "--register", source.format(**places)]) == 1

    assert message.format(**places) in capsys.readouterr().err
    assert not out.exists()


def test_the_site_takes_the_register_from_the_running_service(app, tmp_path: Path) -> None:
    award(app, OAKFIELD, {"decisions": [decision(date(2026, 10, 14))]})
    award(app, HILLCREST, {"decisions": [decision(date(2026, 9, 30))]})
    rename(app, HILLCREST, "<b>Hillcrest</b> Academy")
    out = tmp_path / "out"

    with live_server(app) as origin:
        assert build.main(["site", "--out", str(out), "--register", origin + "/register.json"]) == 0

    assert table_rows(out) == [
        ["<b>Hillcrest</b> Academy", "Secondary", "30 September 2026", "30 September 2029"],
        ["Oakfield Primary School", "Primary", "14 October 2026", "14 October 2029"],
    ]


def test_a_service_address_that_does_not_answer_with_a_register_stops_the_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "page.html").write_text("<html>Not a register</html>", encoding="utf-8")
    out = tmp_path / "out"
    nobody = f"http://127.0.0.1:{free_port()}/app/register.json"

    with static_server(tmp_path / "served") as base:
        assert build.main(["site", "--out", str(out), "--register", base + "/app/register.json"]) == 1
        assert f"{base}/app/register.json answered 404 File not found: check the address." in capsys.readouterr().err
        assert build.main(["site", "--out", str(out), "--register", base + "/page.html"]) == 1
        assert "page.html: it is not JSON" in capsys.readouterr().err
    assert build.main(["site", "--out", str(out), "--register", nobody]) == 1
    assert f"could not reach {nobody}: " in capsys.readouterr().err
    assert not out.exists()


def test_a_service_that_sends_too_much_is_cut_off(tmp_path: Path) -> None:
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "register.json").write_bytes(b" " * 5000)

    with static_server(tmp_path / "served") as base, pytest.raises(RegisterError) as refused:
        load_register(base + "/register.json", limit=4096)

    assert str(refused.value) == f"{base}/register.json sent 5,000 bytes, more than a register can be (4,096)."


def test_a_service_that_never_answers_times_out(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/register.json"
    try:
        with pytest.raises(RegisterError) as refused:
            load_register(url, timeout=0.5)
    finally:
        for connection in accepted:
            connection.close()
        listener.close()

    assert str(refused.value) == f"{url} did not answer within 0.5 seconds."
