"""The LA's programme dashboard: statuses worked out by hand for the demo schools, filters, sorting, paging,
bad query strings, and rows that follow changes made anywhere (another process too)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from form_service import accounts, db, programme, self_evaluation, workflow
from form_service.core.content import get_content
from form_service.store import SQLStore, get_store

REPO_ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)  # the app fixture's TODAY
LA_REVIEWER = "la.reviewer@example.org"
SENCO = "senco@oakfield-primary.example.org"

# Worked out from programme/demo.py's stories by hand, for 23 November 2026.
EXPECTED_STATUS = {
    "900001": "registered",  # Oakfield: a team, nothing started
    "900002": "in_progress",  # Riverside: 17 of 42 criteria answered
    "900003": "submitted",  # St Aidan's
    "900004": "registered",  # Hillcrest
    "900005": "under_review",  # Meadowbank
    "900006": "not_registered",  # Brookside: no one has registered
    "900007": "returned",  # Castlegate
    "900008": "not_registered",  # Elm Tree
    "900009": "awarded",  # Willow Lane: awarded 480 days ago, runs 3 years
    "900010": "not_awarded",  # Northgate
    "900011": "award_expiring",  # Foxglove: runs out in about 90 days
    "900012": "expired",  # Harbour View: ran out about 150 days ago
    "900013": "under_review",  # Kingsmead: at panel, which the dashboard shows as under review
}


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo people and schools and the programme's demo schools, made once for this module."""
    from form_service import create_app
    from form_service.commands import seed_demo
    from form_service.config import TestConfig

    data_dir = tmp_path_factory.mktemp("programme") / "data"
    template = create_app(
        TestConfig, {"DATA_DIR": data_dir, "CONTENT_ROOT": REPO_ROOT, "SITE_DIR": data_dir, "TODAY": TODAY.isoformat()}
    )
    with template.app_context():
        seed_demo(template, programme=True)
    return data_dir / db.SQLITE_FILE


@pytest.fixture
def programme_app(app: Any, seeded_store: Path) -> Any:
    """The app fixture's service, on a copy of the seeded database (copied by SQLite's own backup)."""
    with sqlite3.connect(seeded_store) as source, sqlite3.connect(app.config["DATA_DIR"] / db.SQLITE_FILE) as copy:
        source.backup(copy)
    return app


def rows_by_urn(app: Any) -> dict[str, programme.ProgrammeRow]:
    with app.app_context():
        rows = programme.index_of(app).rows(get_store(), get_content(), TODAY)
    return {row.urn: row for row in rows}


def table_urns(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return re.findall(r"<td>(9\d{5})</td>", body)


# --- statuses --------------------------------------------------------------------------------------------


def test_every_demo_school_has_the_status_worked_out_by_hand(programme_app: Any) -> None:
    rows = rows_by_urn(programme_app)
    assert {urn: row.status for urn, row in rows.items()} == EXPECTED_STATUS
    assert set(EXPECTED_STATUS.values()) == set(workflow.PROGRAMME_STATUS_LABELS)  # all ten are shown


def test_progress_counts_criteria_rated_and_commented_on(programme_app: Any) -> None:
    rows = rows_by_urn(programme_app)
    assert (rows["900002"].reviewed, rows["900002"].criteria, rows["900002"].progress) == (17, 42, 40)
    assert (rows["900003"].reviewed, rows["900003"].progress) == (42, 100)
    assert (rows["900001"].reviewed, rows["900001"].progress) == (0, 0)


def test_answers_pre_filled_for_reaccreditation_count_as_reviewed_only_once_confirmed_or_changed(
    programme_app: Any,
) -> None:
    # Foxglove, whose award is running out, began this cycle pre-filled from the submission it was awarded for.
    with programme_app.app_context():
        document = self_evaluation.load(get_store(), "900011", self_evaluation.current_cycle(get_content(), TODAY).id)
    assert document["prefilled_from"]["reference"] == "QM-900011-202324-DEMO00"
    assert len(document["answers"]) == 42 and document["flags"]
    assert {flag["kind"] for flag in document["flags"].values()} == {"still_true"}
    assert rows_by_urn(programme_app)["900011"].reviewed == 42 - len(document["flags"])


@pytest.mark.parametrize(
    ("decided", "expected"),
    [
        (date(2024, 6, 1), "awarded"),  # runs out 1 June 2027, 190 days away
        (date(2024, 5, 28), "awarded"),  # runs out 28 May 2027, 186 days away
        (date(2024, 5, 20), "award_expiring"),  # 178 days away
        (date(2023, 11, 24), "award_expiring"),  # runs out tomorrow
        (date(2023, 11, 23), "expired"),  # ran out today
        (date(2026, 12, 1), "registered"),  # dated in the future: not held yet
    ],
)
def test_an_award_is_held_then_expiring_in_its_last_180_days_then_expired(decided: date, expected: str) -> None:
    awards = {
        "decisions": [
            {
                "outcome": "awarded",
                "decided_on": decided.isoformat(),
                "expires_on": workflow.award_expiry(decided, 3).isoformat(),
            }
        ]
    }
    school = {"urn": "900001", "members": True}
    assert workflow.programme_status(school, None, awards, TODAY) == expected


def test_an_award_made_on_29_february_runs_out_on_28_february() -> None:
    assert workflow.award_expiry(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert workflow.award_expiry(date(2024, 2, 29), 4) == date(2028, 2, 29)


# --- the rows follow changes ---------------------------------------------------------------------------------


def test_a_save_shows_on_the_next_view_which_reads_no_document(
    programme_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert rows_by_urn(programme_app)["900002"].reviewed == 17
    with programme_app.app_context():
        store, content = get_store(), get_content()
        cycle = self_evaluation.current_cycle(content, TODAY)
        criterion = content.framework("primary").criteria[20].id
        answer = {"rating": 3, "commentary": "Established.", "evidence": []}
        result = self_evaluation.save_answer(store, content, cycle, "900002", criterion, answer, 0, "someone")
        assert result.status == "saved"
    read: list[str] = []
    real_read, real_scan = SQLStore.read, SQLStore.scan
    monkeypatch.setattr(SQLStore, "read", lambda self, c, k: read.append(k) or real_read(self, c, k))
    monkeypatch.setattr(SQLStore, "scan", lambda self, c: read.append(c) or real_scan(self, c))
    assert rows_by_urn(programme_app)["900002"].reviewed == 18
    assert read == []  # the summary rows, kept with the save, say it all


def test_a_change_made_by_another_process_shows_on_the_next_view(programme_app: Any) -> None:
    assert rows_by_urn(programme_app)["900008"].status == "not_registered"
    code = (
        "import sys; from pathlib import Path; from form_service.store import open_store; "
        "s = open_store(Path(sys.argv[1])); "
        "s.modify('schools', '900008', lambda d: ({**d, 'members': {'someone': {'role': 'admin'}}}, None))"
    )
    subprocess.run([sys.executable, "-c", code, str(programme_app.config["DATA_DIR"])], check=True, cwd=REPO_ROOT)
    assert rows_by_urn(programme_app)["900008"].status == "registered"


def test_a_school_removed_from_the_list_leaves_the_table(programme_app: Any) -> None:
    assert "900006" in rows_by_urn(programme_app)
    with programme_app.app_context():
        get_store().delete(accounts.SCHOOLS, "900006")
    assert "900006" not in rows_by_urn(programme_app)


# --- the page ------------------------------------------------------------------------------------------------


@pytest.fixture
def reviewer(programme_app: Any, client: Any, sign_in: Any) -> Any:
    sign_in(LA_REVIEWER)
    return client


def test_the_table_lists_every_school_by_name_with_a_link_to_each(reviewer: Any) -> None:
    page = reviewer.get("/la/").get_data(as_text=True)
    assert "Showing 1 to 13 of 13 schools." in page
    urns = table_urns(page)
    assert sorted(urns) == sorted(EXPECTED_STATUS)
    assert urns[:3] == ["900006", "900007", "900008"]  # Brookside, Castlegate, Elm Tree: by name
    for urn in EXPECTED_STATUS:
        assert f'href="/school/{urn}/"' in page
    assert "Award expiring" in page and "Returned for amendments" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=submitted", ["900003"]),
        ("status=under_review", ["900005", "900013"]),  # Meadowbank, and Kingsmead at panel
        ("framework=secondary&status=not_awarded", ["900010"]),
        ("phase=All-through", ["900007"]),
        ("search=oakfield", ["900001"]),
        ("search=900012", ["900012"]),
        ("stage=none&status=expired", ["900012"]),
    ],
)
def test_filters_narrow_the_table(reviewer: Any, query: str, expected: list[str]) -> None:
    page = reviewer.get(f"/la/?{query}").get_data(as_text=True)
    assert sorted(table_urns(page)) == sorted(expected)
    assert f"of {len(expected)} school" in page and "(filtered from 13)" in page


def test_sorting_by_progress_both_ways(reviewer: Any) -> None:
    ascending = table_urns(reviewer.get("/la/?sort=progress").get_data(as_text=True))
    descending = table_urns(reviewer.get("/la/?sort=progress&order=descending").get_data(as_text=True))
    rows = rows_by_urn(reviewer.application)
    assert [rows[urn].progress for urn in ascending] == sorted(rows[urn].progress for urn in ascending)
    assert [rows[urn].progress for urn in descending] == sorted((rows[u].progress for u in descending), reverse=True)
    assert ascending[-1] != descending[-1]
    page = reviewer.get("/la/?sort=progress").get_data(as_text=True)
    assert 'aria-sort="ascending"' in page


def test_pages_of_rows_keep_the_filters(reviewer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(programme, "PAGE_SIZE", 5)
    first = reviewer.get("/la/?framework=primary").get_data(as_text=True)
    assert "Showing 1 to 5 of 8 schools" in first and "Page 1 of 2" in first
    assert 'href="/la/?framework=primary&amp;page=2"' in first
    second = reviewer.get("/la/?framework=primary&page=2").get_data(as_text=True)
    assert "Showing 6 to 8 of 8 schools" in second
    assert not set(table_urns(first)) & set(table_urns(second))
    beyond = reviewer.get("/la/?framework=primary&page=99").get_data(as_text=True)
    assert "Showing 6 to 8 of 8 schools" in beyond  # past the end: the last page


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "framework=%3Cscript%3Ealert(1)%3C/script%3E",
        "sort=__class__",
        "page=-1",
        "page=99999999999999999999",
        "stage=11",
        "search=" + "x" * 5000,
        "status=submitted&status=awarded",
    ],
)
def test_a_query_string_it_does_not_understand_gets_a_plain_message_never_an_error(reviewer: Any, query: str) -> None:
    response = reviewer.get(f"/la/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "Showing" in page or "No schools match" in page


def test_hostile_search_text_is_shown_as_text(reviewer: Any) -> None:
    page = reviewer.get('/la/?search="><img src=x onerror=alert(1)>').get_data(as_text=True)
    assert "<img src=x" not in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "No schools match these filters." in page


def test_only_la_staff_see_the_table(programme_app: Any, client: Any, sign_in: Any) -> None:
    assert client.get("/la/").status_code == 302  # to sign in
    sign_in(SENCO)
    assert client.get("/la/").status_code == 403


def test_many_answers_to_check_are_listed_by_heading_with_how_many_in_each(programme_app: Any, client, sign_in) -> None:
    sign_in("senco@foxglove-primary.example.org")
    page = client.get("/school/900011/self-evaluation/").get_data(as_text=True)
    with programme_app.app_context():
        document = self_evaluation.load(get_store(), "900011", self_evaluation.current_cycle(get_content(), TODAY).id)
        framework = get_content().framework("primary", document["framework_version"])
    flagged_by_heading = {
        heading.title: sum(1 for criterion in heading.criteria if criterion.id in document["flags"])
        for heading in framework.headings
    }
    assert len(document["flags"]) > 10
    for title, count in flagged_by_heading.items():
        if count:
            assert f"{title}</a>: {count} to check" in page
