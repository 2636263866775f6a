"""Year on year: the pure comparison (figures worked out by hand, across versions that differ, with the
fixtures in tests/yoy_fixtures.py), the school's and the LA's pages over HTTP, and bad input."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from form_service import moderation, self_evaluation
from form_service.core import content as content_module
from form_service.core.content import get_content
from form_service.store import get_store
from quality_mark.loader import load_content
from quality_mark.year_on_year import CycleRatings, Submitted, changed_in, compare, la_compare, la_rows
from tests.test_service_accounts import Page
from tests.yoy_fixtures import all_rated, versioned_content

CONTENT = versioned_content()
V1, V2, V3 = (CONTENT.framework("primary", n) for n in (1, 2, 3))
CYCLES = [("2025-26", "2025 to 2026"), ("2026-27", "2026 to 2027")]
OAKFIELD = "900001"
SENCO = "senco@oakfield-primary.example.org"
GOVERNOR = "governor@oakfield-primary.example.org"
LA_REVIEWER = "la.reviewer@example.org"
PAGE = f"/school/{OAKFIELD}/year-on-year"

# Version 1 ratings: leadership 1, 2, 3, 4, 1, 2, 3; teaching 1 then six 3s; everything else 2.
EARLIER = all_rated(V1, 2) | {f"PRI-LEAD-0{n}": r for n, r in zip(range(1, 8), (1, 2, 3, 4, 1, 2, 3), strict=True)}
EARLIER |= {f"PRI-TEACH-0{n}": (1 if n == 1 else 3) for n in range(1, 8)}


def cycle(framework: Any, ratings: dict[str, int], cycle_id: str = "2025-26", status: str = "awarded") -> CycleRatings:
    title = dict(CYCLES).get(cycle_id, cycle_id)
    return CycleRatings(cycle_id, title, framework, ratings, status, moderated=status != "in_progress")


def by_heading(comparison: Any) -> dict[str, Any]:
    return {heading.heading_id: heading for heading in comparison.headings}


# The pure comparison --------------------------------------------------------------------------------------


def test_the_same_version_compares_every_heading_like_for_like() -> None:
    latest = all_rated(V1, 3)
    comparison = compare(CONTENT, [cycle(V1, EARLIER), cycle(V1, latest, "2026-27", "in_progress")])

    leadership = by_heading(comparison)["leadership"].cycles[0]
    assert (leadership.score, leadership.rated, leadership.likeness) == (2.29, 7, "same")  # 16 / 7
    assert (leadership.like_score, leadership.like_rated, leadership.latest_like_score) == (2.29, 7, 3.0)
    assert all(row.cells[0].comparable for row in comparison.criteria)
    assert [h.heading_id for h in comparison.headings] == [h.id for h in V1.headings]


def test_criteria_that_changed_are_left_out_of_the_like_for_like_score() -> None:
    comparison = compare(CONTENT, [cycle(V1, EARLIER), cycle(V3, all_rated(V3, 4), "2026-27", "in_progress")])
    headings = by_heading(comparison)

    lead = headings["leadership"].cycles[0]
    # Full score over all seven version 1 criteria; like for like over 05, 06 and 07 only (01 reworded,
    # 02 split, 03 and 04 merged).
    assert (lead.score, lead.rated) == (2.29, 7)
    assert (lead.like_score, lead.like_rated, lead.latest_like_score) == (2.0, 3, 4.0)
    assert lead.left_out == ("PRI-LEAD-01", "PRI-LEAD-02", "PRI-LEAD-03", "PRI-LEAD-04")
    assert lead.likeness == "partly"

    teaching = headings["teaching"].cycles[0]  # PRI-TEACH-01 reworded in version 3
    assert (teaching.score, teaching.like_score, teaching.like_rated, teaching.left_out) == (
        2.71,
        3.0,
        6,
        ("PRI-TEACH-01",),
    )
    voice = headings["voice"].cycles[0]
    assert (voice.likeness, voice.like_score, voice.score) == ("same", 2.0, 2.0)
    # PRI-WELL-07 moved to another heading, unchanged: it leaves wellbeing's like-for-like score.
    assert headings["wellbeing"].cycles[0].left_out == ("PRI-WELL-07",)


def test_headings_in_only_some_versions_show_gaps_not_errors() -> None:
    comparison = compare(CONTENT, [cycle(V1, EARLIER), cycle(V3, all_rated(V3, 4), "2026-27", "in_progress")])
    headings = by_heading(comparison)

    assert list(headings)[-2:] == ["partnerships", "transitions"]  # the newest version's first, then retired ones
    earlier, latest = headings["transitions"].cycles
    assert (earlier.present, earlier.score, earlier.likeness, earlier.like_score) == (True, 2.0, "none", None)
    assert (latest.present, latest.score) == (False, None)
    earlier, latest = headings["partnerships"].cycles
    assert (earlier.present, earlier.score, latest.score, latest.rated) == (False, None, 4.0, 2)


def test_each_criterion_says_in_which_version_it_changed() -> None:
    comparison = compare(CONTENT, [cycle(V1, EARLIER), cycle(V3, all_rated(V3, 4), "2026-27", "in_progress")])
    rows = {row.criterion_id: row for row in comparison.criteria}

    def earlier(criterion_id: str) -> tuple[bool, int | None, int | None]:
        cell = rows[criterion_id].cells[0]
        return cell.present, cell.rating, cell.changed_in

    assert earlier("PRI-LEAD-01") == (True, 1, 2)  # reworded
    assert earlier("PRI-LEAD-02") == (True, 2, 2)  # split
    assert earlier("PRI-LEAD-04") == (True, 4, 2)  # merged
    assert earlier("PRI-IDEN-01") == (True, 2, 2)  # replaced
    assert earlier("PRI-IDEN-02") == (True, 2, 2)  # retired
    assert earlier("PRI-LEAD-08") == (False, None, 2)  # new
    assert earlier("PRI-TEACH-01") == (True, 1, 3)  # reworded in version 3
    assert earlier("PRI-LEAD-05") == (True, 1, None)
    assert earlier("PRI-WELL-07") == (True, 2, None)  # moved, but means the same
    assert all(row.cells[-1].changed_in is None for row in rows.values())  # the latest is the reference
    assert rows["PRI-LEAD-02"].cells[-1].present is False
    assert rows["PRI-WELL-07"].heading_id == "partnerships"  # where the newest version has it
    assert rows["PRI-LEAD-01"].statement == V3.criterion("PRI-LEAD-01").statement
    assert changed_in(CONTENT, "primary", "PRI-VOICE-01", 1, 3) is None


def test_a_changed_rating_scale_makes_nothing_comparable() -> None:
    levels = tuple(replace(level, label=f"Level {level.value}") for level in V2.rating_scale.levels)
    v2 = replace(V2, rating_scale=replace(V2.rating_scale, levels=levels))
    content = replace(CONTENT, frameworks=(*(f for f in CONTENT.frameworks if f.version != 2), v2))
    comparison = compare(content, [cycle(V1, EARLIER), cycle(v2, all_rated(v2, 4), "2026-27", "in_progress")])

    assert {h.cycles[0].likeness for h in comparison.headings} == {"none"}
    voice = next(row for row in comparison.criteria if row.criterion_id == "PRI-VOICE-01")
    assert voice.cells[0].changed_in == 2


def test_nothing_to_compare_or_a_mix_of_frameworks_is_refused() -> None:
    with pytest.raises(ValueError):
        compare(CONTENT, [])
    secondary = CONTENT.framework("secondary")
    with pytest.raises(ValueError):
        compare(CONTENT, [cycle(V1, {}), cycle(secondary, {}, "2026-27")])


@settings(max_examples=60, deadline=None)
@given(
    earlier=st.dictionaries(st.sampled_from([c.id for c in V1.criteria]), st.integers(min_value=0, max_value=5)),
    latest=st.dictionaries(st.sampled_from([c.id for c in V3.criteria]), st.integers(min_value=1, max_value=4)),
)
def test_like_for_like_uses_only_comparable_criteria_of_the_heading(earlier: dict, latest: dict) -> None:
    comparison = compare(CONTENT, [cycle(V1, earlier), cycle(V3, latest, "2026-27", "in_progress")])
    comparable = {row.criterion_id for row in comparison.criteria if row.cells[0].comparable}
    for heading in comparison.headings:
        figure = heading.cycles[0]
        ids = [c.id for h in V1.headings if h.id == heading.heading_id for c in h.criteria]
        shared = [cid for cid in ids if cid not in figure.left_out]
        assert set(shared) <= comparable
        valid = [earlier[cid] for cid in shared if earlier.get(cid) in (1, 2, 3, 4)]
        assert figure.like_rated == len(valid) <= figure.rated
        assert figure.like_score == (round(sum(valid) / len(valid), 2) if valid else None)


def test_the_la_averages_each_cycle_and_marks_small_groups() -> None:
    submitted = [Submitted(f"91000{n}", "2025-26", V1, EARLIER) for n in range(3)]
    submitted += [Submitted(f"92000{n}", "2026-27", V3, all_rated(V3, 4)) for n in range(5)]
    submitted.append(Submitted("930000", "2026-27", CONTENT.framework("secondary"), {}))  # another framework

    comparison = la_compare(CONTENT, "primary", CYCLES, submitted)

    assert (comparison.reference, comparison.versions_differ) == (V3, True)
    lead = next(h for h in comparison.headings if h.heading_id == "leadership")
    earlier, latest = lead.cycles
    assert (earlier.submitted, earlier.schools, earlier.average, earlier.small) == (3, 3, 2.29, True)
    assert (earlier.like_schools, earlier.like_average, earlier.versions) == (3, 2.0, (1,))
    assert (latest.schools, latest.average, latest.small, latest.like_average) == (5, 4.0, False, 4.0)
    transitions = next(h for h in comparison.headings if h.heading_id == "transitions")
    assert (transitions.cycles[0].average, transitions.cycles[0].like_schools) == (2.0, 0)
    rows = la_rows(comparison, "Primary schools")
    assert rows[0][0] == "Framework" and len(rows) == 1 + 2 * len(comparison.headings)
    assert rows[1] == [
        "Primary schools",
        "Leadership and management of inclusion",
        "2025 to 2026",
        "1",
        "3",
        "3",
        "2.29",
        "3",
        "2",
        "Fewer than 5 schools: do not share",
    ]


def test_the_la_with_one_version_has_no_separate_like_for_like() -> None:
    submitted = [Submitted(f"91000{n}", cycle_id, V1, EARLIER) for n in range(5) for cycle_id, _ in CYCLES]
    comparison = la_compare(CONTENT, "primary", CYCLES, submitted)
    assert (comparison.versions_differ, comparison.reference) == (False, V1)
    assert la_rows(comparison, "Primary")[1][7:9] == ["", ""]
    assert la_compare(CONTENT, "primary", CYCLES, []).reference is None


# The pages ---------------------------------------------------------------------------------------------


@pytest.fixture
def versioned_app(app: Any) -> Any:
    return give_oakfield_two_versions(app)


def give_oakfield_two_versions(app: Any) -> Any:
    """The service with primary versions 2 and 3; Oakfield submitted against version 1 in 2025-26 (the LA
    moderated PRI-LEAD-07 from 3 to 1) and has answered 10 criteria against version 3 in 2026-27."""
    app.extensions[content_module.EXTENSION] = versioned_content(load_content(app.config["CONTENT_ROOT"]))
    with app.app_context():
        store, content = get_store(), get_content()
        earlier = content.key_dates.cycle("2025-26")
        answers = {
            cid: {"rating": r, "commentary": "Because.", "evidence": [], "revision": 1} for cid, r in EARLIER.items()
        }
        document = {
            "urn": OAKFIELD,
            "cycle": earlier.id,
            "framework": "primary",
            "framework_version": 1,
            "content_hash": V1.content_hash,
            "status": "in_progress",
            "answers": answers,
            "history": {},
        }
        self_evaluation.store_whole(store, content, document)
        moment = datetime(2026, 7, 1, 12, tzinfo=UTC)
        outcome, _ = self_evaluation.submit(
            store, content, earlier, OAKFIELD, "someone", moment, "QM-900001-202526-AAAAAA"
        )
        assert outcome == "ok"
        moderation.start_review(store, OAKFIELD, earlier.id, "reviewer")
        moderation.record_decision(
            store, content, OAKFIELD, earlier.id, "PRI-LEAD-07", "moderate", 1, "Show the impact.", "reviewer", "R"
        )
        current = content.key_dates.cycle("2026-27")
        self_evaluation.start(store, content, {"urn": OAKFIELD, "framework": "primary"}, current)
        for criterion in CONTENT.framework("primary", 3).criteria[:10]:
            answer = {"rating": 4, "commentary": "Now embedded.", "evidence": []}
            result = self_evaluation.save_answer(store, content, current, OAKFIELD, criterion.id, answer, 0, "someone")
            assert result.status == "saved"
    return app


def test_the_school_sees_each_cycle_with_changed_criteria_marked_in_words(versioned_app, client, sign_in) -> None:
    sign_in(GOVERNOR)  # a viewer can see the analysis, so this too
    page = Page(client.get(PAGE))

    assert page.status == 200 and page.h1 == "Year on year"
    assert "Not comparable — the criterion changed in version 2" in page.main_text
    assert "Not comparable — the criterion changed in version 3" in page.main_text
    assert 'role="img"' in page.html and "<caption" in page.html and 'scope="row"' in page.html
    assert "ratings as moderated by the LA" in page.main_text
    assert "In progress: the school's ratings so far" in page.main_text
    # Leadership 2025-26, moderated: PRI-LEAD-07 from 3 to 1 -> full (1+2+3+4+1+2+1)/7 = 2, like for like
    # over 05, 06, 07 = (1+2+1)/3 = 1.33; 2026-27 on the same criteria: 05, 06, 07 answered 4.
    rows = [r for r in page.table("Like-for-like score") if r["Cycle"].startswith("2025 to 2026")]  # leadership
    assert rows[0]["Score"] == "2" and rows[0]["Like-for-like score"].startswith("1.33")
    assert "No such heading in version 1 of the criteria" in page.main_text  # partnerships


def test_one_cycle_gets_a_sentence_not_an_empty_chart(app, client, sign_in) -> None:
    sign_in(SENCO)
    page = Page(client.get(PAGE))
    assert page.status == 200 and "has no self-evaluation yet" in page.main_text and 'role="img"' not in page.html

    with app.app_context():
        content = get_content()
        self_evaluation.start(
            get_store(), content, {"urn": OAKFIELD, "framework": "primary"}, content.key_dates.cycle("2026-27")
        )
    page = Page(client.get(PAGE))
    assert "has a self-evaluation for one cycle only" in page.main_text and 'role="img"' not in page.html


@pytest.mark.parametrize("urn", ["999999", "not-a-urn", "%3Cscript%3E", "9" * 500])
def test_an_unknown_school_is_not_found(client, sign_in, urn: str) -> None:
    sign_in(LA_REVIEWER)
    assert client.get(f"/school/{urn}/year-on-year").status_code == 404


def test_the_la_sees_averages_and_downloads_them(versioned_app, client, sign_in) -> None:
    sign_in(LA_REVIEWER)
    page = Page(client.get("/la/year-on-year"))
    assert page.status == 200 and page.h1 == "Year on year across schools"
    assert "fewer than 5: do not share" in page.main_text
    # Only 2025-26 was submitted, all against version 1: nothing to compare like for like separately.
    assert "Every submission used version 1 of the criteria" in page.main_text
    assert "Like-for-like average" not in page.html

    response = client.get("/la/year-on-year.csv?framework=primary")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Framework", "Heading", "Cycle"]
    assert rows[1][:3] == ["Primary schools", "Leadership and management of inclusion", "2025 to 2026"]
    assert rows[1][5:7] == ["1", "2"]


def test_the_la_csv_makes_formula_cells_safe(versioned_app, client, sign_in) -> None:
    content = versioned_app.extensions[content_module.EXTENSION]
    hostile = tuple(replace(f, title='=HYPERLINK("http://evil.example.org")') for f in content.frameworks)
    versioned_app.extensions[content_module.EXTENSION] = replace(content, frameworks=hostile)
    sign_in(LA_REVIEWER)
    body = client.get("/la/year-on-year.csv?framework=primary").get_data(as_text=True)
    assert "\"'=HYPERLINK" in body and '"=HYPERLINK' not in body and ",=HYPERLINK" not in body


@pytest.mark.parametrize(
    "query",
    ["framework=nursery", "framework=" + "p" * 5000, "framework=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "framework="],
)
def test_a_framework_not_in_the_list_gets_a_plain_message(client, sign_in, query: str) -> None:
    sign_in(LA_REVIEWER)
    page = Page(client.get(f"/la/year-on-year?{query}"))
    if query == "framework=":  # an empty choice is the first framework, as on the insight pages
        assert page.status == 200
        return
    assert page.status == 400 and page.title.startswith("Error:")
    assert "Choose a framework from the list" in page.error_summary
    assert "<script>alert" not in page.html
    assert client.get(f"/la/year-on-year.csv?{query}").status_code == 400


def test_other_parameters_are_ignored_and_secondary_can_be_chosen(client, sign_in) -> None:
    sign_in(LA_REVIEWER)
    page = Page(client.get("/la/year-on-year?framework=secondary&x=%00&page=-1"))
    assert page.status == 200 and "secondary schools criteria yet" in page.main_text


def test_the_links_lead_to_the_comparison(versioned_app, client, sign_in) -> None:
    sign_in(LA_REVIEWER)
    for path in (f"/school/{OAKFIELD}/", f"/school/{OAKFIELD}/analysis", f"/la/insight/schools/{OAKFIELD}"):
        assert f'href="{PAGE}"' in client.get(path).get_data(as_text=True), path
    assert 'href="/la/year-on-year"' in client.get("/la/").get_data(as_text=True)


def test_the_la_figures_follow_a_moderation_made_after_the_page_was_first_seen(versioned_app, client, sign_in) -> None:
    sign_in(LA_REVIEWER)

    def leadership_2025_26() -> list[str]:
        body = client.get("/la/year-on-year.csv?framework=primary").get_data(as_text=True).lstrip("\ufeff")
        return list(csv.reader(io.StringIO(body)))[1]

    assert leadership_2025_26()[5:7] == ["1", "2"]
    with versioned_app.app_context():
        moderation.record_decision(
            get_store(), get_content(), OAKFIELD, "2025-26", "PRI-LEAD-04", "moderate", 1, "Not yet.", "reviewer", "R"
        )
    # (1 + 2 + 3 + 1 + 1 + 2 + 1) / 7: the page reads again the one school whose moderation changed.
    assert leadership_2025_26()[5:7] == ["1", "1.57"]
