"""Insight across schools: the LA sees heading scores by school, ratings per criterion, best practice and schools
that could help each other, and downloads every school's figures; anything shared beyond the LA hides groups of
fewer than five schools.

Expected figures are worked out by hand from the tables in tests/insight_world.py and written here as literal
numbers (the working is in the comments), never computed with the code under test.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from form_service import schools
from form_service.core.content import get_content
from form_service.insight import index as insight_index
from form_service.store import get_store
from quality_mark import insight
from tests import insight_world
from tests.test_service_accounts import FRAMEWORKS, Page, gias_csv, gias_row

LA_REVIEWER = "la.reviewer@example.org"
LA_ADMIN = "la.admin@example.org"
SENCO = "senco@oakfield-primary.example.org"


@pytest.fixture
def world(app: Any) -> Any:
    insight_world.build(app)
    return app


@pytest.fixture
def every_school(world: Any) -> list[insight.SchoolRatings]:
    with world.app_context():
        return insight_index.all_schools(get_store(), get_content())


@pytest.fixture
def primary(app: Any) -> Any:
    with app.app_context():
        return get_content().framework("primary")


@pytest.fixture
def secondary(app: Any) -> Any:
    with app.app_context():
        return get_content().framework("secondary")


def named(schools: list[insight.SchoolRatings], name: str) -> insight.SchoolRatings:
    return next(school for school in schools if school.name == name)


# The pure figures on the fixed data --------------------------------------------------------------------------


def test_heatmap_cells_are_heading_scores_from_moderated_ratings(every_school, primary) -> None:
    rows = {row.school.name: row for row in insight.heatmap(primary, insight.in_filter(every_school, "primary", None))}

    assert list(rows) == [
        "Ash Primary",
        "Birch Primary",
        "Cedar Primary",
        "Damson Primary",
        "Elder Primary",
        "Fir Nursery",
        "Gorse Nursery",
    ]
    # Ash: leadership [2 (moderated from 4), 4, 4, 4, 4, 4, 4] = 26/7 = 3.714 -> 3.71, a strength (>= 3.5).
    assert [(cell.score, cell.judgement) for cell in rows["Ash Primary"].cells] == [
        (3.71, "strength"),
        (3, None),
        (3, None),
        (2, "development"),
        (4, "strength"),
        (3, None),
    ]
    # Birch: leadership [3, 4, 3, 3, 3, 3, 3] = 22/7 -> 3.14; Cedar: PRI-LEAD-03 4, the rest 2 -> 16/7 -> 2.29,
    # and teaching has six ratings of 3 (PRI-TEACH-03 unrated) -> 3; Elder: identification [3 (moderated), 1 x 6]
    # = 9/7 -> 1.29.
    assert rows["Birch Primary"].cells[0].score == 3.14
    assert (rows["Cedar Primary"].cells[0].score, rows["Cedar Primary"].cells[2].score) == (2.29, 3)
    assert (rows["Elder Primary"].cells[1].score, rows["Elder Primary"].cells[1].judgement) == (1.29, "development")


def test_heading_averages_for_a_framework_and_for_a_phase(every_school, primary, secondary) -> None:
    all_primary = insight.in_filter(every_school, "primary", None)
    # Leadership: 3.71 + 3.14 + 2.29 + 1 + 3 + 4 + 2.29 = 19.43; / 7 = 2.776 -> 2.78.
    assert insight.heading_means(primary, all_primary)["leadership"] == (2.78, 7)
    # Primary phase only: 3.71 + 3.14 + 2.29 + 1 + 3 = 13.14; / 5 = 2.628 -> 2.63.
    assert insight.heading_means(primary, insight.in_filter(every_school, "primary", "Primary"))["leadership"] == (
        2.63,
        5,
    )
    all_secondary = insight.in_filter(every_school, "secondary", None)
    # Leadership (4 + 3 + 2 + 1 + 4) / 5 = 2.8; teaching: Ivy [4 (moderated), 1 x 6] = 10/7 -> 1.43, so
    # (4 + 3 + 1.43 + 2 + 4) / 5 = 2.886 -> 2.89.
    means = insight.heading_means(secondary, all_secondary)
    assert (means["leadership"], means["teaching"]) == ((2.8, 5), (2.89, 5))


def test_rating_distributions_per_criterion(every_school, primary) -> None:
    by_id = {
        d.criterion.id: d for d in insight.distributions(primary, insight.in_filter(every_school, "primary", None))
    }
    # PRI-LEAD-01: Ash 2 (moderated), Birch 3, Cedar 2, Damson 1 (agreed), Elder 3, Fir 4, Gorse 2.
    assert by_id["PRI-LEAD-01"].counts == ((1, 1), (2, 3), (3, 2), (4, 1))
    assert (by_id["PRI-LEAD-01"].rated, by_id["PRI-LEAD-01"].small) == (7, False)

    primary_phase = {
        d.criterion.id: d for d in insight.distributions(primary, insight.in_filter(every_school, "primary", "primary"))
    }
    # Primary phase: PRI-TEACH-03 is rated by 4 schools (Cedar left it), so it is a small group; PRI-TEACH-02 by 5.
    assert primary_phase["PRI-TEACH-03"].counts == ((1, 0), (2, 1), (3, 1), (4, 2))
    assert (primary_phase["PRI-TEACH-03"].rated, primary_phase["PRI-TEACH-03"].small) == (4, True)
    assert primary_phase["PRI-TEACH-02"].counts == ((1, 0), (2, 1), (3, 2), (4, 2))
    assert (primary_phase["PRI-TEACH-02"].rated, primary_phase["PRI-TEACH-02"].small) == (5, False)


def test_best_practice_ranks_the_strongest_first_and_ties_by_name(every_school, primary) -> None:
    schools = insight.in_filter(every_school, "primary", None)

    heading = insight.best_practice(primary, schools, heading_id="leadership")
    criterion = insight.best_practice(primary, schools, criterion_id="PRI-LEAD-02")

    assert [(r.school.name, r.score) for r in heading] == [
        ("Fir Nursery", 4),
        ("Ash Primary", 3.71),
        ("Birch Primary", 3.14),
        ("Elder Primary", 3),
        ("Cedar Primary", 2.29),
        ("Gorse Nursery", 2.29),
        ("Damson Primary", 1),
    ]
    assert [(r.school.name, r.score) for r in criterion] == [
        ("Ash Primary", 4),
        ("Birch Primary", 4),
        ("Fir Nursery", 4),
        ("Elder Primary", 3),
        ("Cedar Primary", 2),
        ("Gorse Nursery", 2),
        ("Damson Primary", 1),
    ]
    with pytest.raises(KeyError):
        insight.best_practice(primary, schools, heading_id="no-such-heading")
    with pytest.raises(ValueError):
        insight.best_practice(primary, schools)


def test_matching_lists_strong_schools_nearest_first_then_by_postcode_district(every_school, primary) -> None:
    damson = named(every_school, "Damson Primary")

    found = {match.criterion.id: match for match in insight.matches(primary, damson, every_school)}

    # Damson rates leadership 1 and identification and teaching 2: 21 areas for development, none elsewhere.
    assert len(found) == 21 and "PRI-VOICE-01" not in found
    # PRI-LEAD-03 is a strength (4) at Ash, Fir, Cedar and Gorse. Damson is at (500000, 100000): Ash at
    # (503000, 104000) is sqrt(3000² + 4000²) = 5 km away, Fir at (500000, 106000) 6 km. Cedar and Gorse have no
    # grid reference: Gorse (AB4, Damson's own district) comes before Cedar (AB10).
    partners = found["PRI-LEAD-03"].partners
    assert [(p.school.name, p.rating, p.distance_km) for p in partners] == [
        ("Ash Primary", 4, 5.0),
        ("Fir Nursery", 4, 6.0),
        ("Gorse Nursery", 4, None),
        ("Cedar Primary", 4, None),
    ]
    # Secondary schools never partner a primary school, and a school never partners itself.
    assert all(
        p.school.framework == "primary" and p.school.urn != damson.urn for m in found.values() for p in m.partners
    )


def school(urn: str, postcode: str, easting: float | None = None, northing: float | None = None) -> Any:
    return insight.SchoolRatings(urn, f"School {urn}", "Primary", "primary", postcode, {}, {}, easting, northing)


def test_distance_is_straight_line_kilometres_and_districts_sort_as_people_expect() -> None:
    origin = school("1", "AB3 1AA", 400000, 200000)
    assert insight.distance_km(origin, school("2", "ZZ1 1AA", 406000, 208000)) == 10.0
    assert insight.distance_km(origin, school("3", "AB3 1AB")) is None
    assert [insight.postcode_district(p) for p in ("AB1 2CD", "ab12cd", "SW1A 1AA")] == ["AB1", "AB1", "SW1A"]
    others = [school("10", "AB10 1AA"), school("2", "AB2 1AA"), school("3", "AB3 9ZZ"), school("9", "ZZ9 9ZZ", 0, 0)]
    ordered = sorted(others, key=lambda other: insight.nearness(origin, other))
    assert [s.urn for s in ordered] == ["9", "3", "2", "10"]


def test_a_group_of_four_is_suppressed_and_a_group_of_five_is_not() -> None:
    assert insight.shareable(["a", "b", "c", "d"]) is None
    assert insight.shareable(["a", "b", "c", "d", "e"]) == ["a", "b", "c", "d", "e"]
    assert (insight.is_small(4), insight.is_small(5)) == (True, False)


def test_the_shareable_summary_hides_every_group_and_criterion_of_fewer_than_five(every_school, primary, secondary):
    rows = insight.shareable_summary(primary, every_school)
    groups = {row[0]: row[1] for row in rows[1:]}
    # Primary schools: 7 in all, 5 of the Primary phase, 2 of the Nursery phase (suppressed).
    assert groups == {
        "Primary schools: All phases": "7",
        "Primary schools: Nursery": insight.SUPPRESSED,
        "Primary schools: Primary": "5",
    }
    primary_phase = {row[2]: row[3:] for row in rows if row[0] == "Primary schools: Primary"}
    assert primary_phase["Leadership and management of inclusion"][0] == "2.63"
    assert primary_phase["PRI-TEACH-02"] == ["", "0", "1", "2", "2"]
    assert primary_phase["PRI-TEACH-03"] == ["", insight.SUPPRESSED, "", "", ""]

    secondary_groups = {row[0]: row[1] for row in insight.shareable_summary(secondary, every_school)[1:]}
    # Secondary schools: 5 in all (shown), 4 of the Secondary phase and 1 all-through (both suppressed).
    assert secondary_groups == {
        "Secondary schools: All phases": "5",
        "Secondary schools: All-through": insight.SUPPRESSED,
        "Secondary schools: Secondary": insight.SUPPRESSED,
    }


def test_the_index_follows_a_new_moderation_once_refreshed(world) -> None:
    with world.app_context():
        store, content = get_store(), get_content()

        def moderate(document: dict | None) -> tuple[dict, None]:
            document["criteria"]["PRI-LEAD-02"] = {"decision": "moderate", "school_rating": 4, "rating": 1}
            return document, None

        store.modify("moderation", "910001-2026-27", moderate)
        row = insight_index.refresh_school_summary(store, content, "910001")
        # Ash leadership is now [2, 1, 4, 4, 4, 4, 4] = 23/7 = 3.2857 -> 3.29.
        assert row["heading_scores"]["leadership"] == 3.29
        assert named(insight_index.all_schools(store, get_content()), "Ash Primary").ratings["PRI-LEAD-02"] == 1
        # A school that has not submitted has no row, and refreshing it stores nothing.
        assert insight_index.refresh_school_summary(store, content, "910020") is None
        assert "910020" not in {s.urn for s in insight_index.all_schools(store, get_content())}


def test_the_rebuild_command_rebuilds_every_row(world) -> None:
    with world.app_context():
        for key in get_store().keys(insight_index.COLLECTION):
            get_store().delete(insight_index.COLLECTION, key)

    result = world.test_cli_runner().invoke(args=["rebuild-insight"])

    assert result.exit_code == 0
    assert "12 schools have a submitted self-evaluation" in result.output
    with world.app_context():
        assert len(insight_index.all_schools(get_store(), get_content())) == 12


def test_a_renamed_school_is_renamed_in_insight_too(world) -> None:
    with world.app_context():
        store = get_store()
        row = {**insight_world_school_row("910002"), "name": "Birch Church of England Primary"}
        assert schools.apply_import(store, [row]) == {"new": 0, "changed": 1, "unchanged": 0}
        assert named(insight_index.all_schools(store, get_content()), "Birch Church of England Primary").urn == "910002"


def insight_world_school_row(urn: str) -> dict[str, Any]:
    name, phase, postcode, *_ = insight_world.SCHOOLS[urn]
    return {
        "urn": urn,
        "name": name,
        "phase": phase,
        "framework": insight_world.framework_of(phase),
        "la_name": "Demo Shire",
        "type": "Community school",
        "postcode": postcode,
        "website": "",
        "contact_email": "",
    }


# Grid references from the GIAS file -------------------------------------------------------------------------

GRID_COLUMNS = ["URN", "LA (name)", "EstablishmentName", "PhaseOfEducation (name)", "Postcode", "Easting", "Northing"]


@pytest.mark.parametrize(
    ("easting", "northing", "kept", "problem"),
    [
        ("541200", "112300", {"easting": 541200, "northing": 112300}, None),
        ("541200.6", "112300", {"easting": 541201, "northing": 112300}, None),
        ("", "", {"easting": None, "northing": None}, None),
        ("abc", "112300", None, "The Easting 'abc' is not a grid reference in metres."),
        ("541200", "-5", None, "The Northing '-5' is not a grid reference in metres."),
        ("9000000", "112300", None, "The Easting '9000000' is not a grid reference in metres."),
        ("nan", "112300", None, "The Easting 'nan' is not a grid reference in metres."),
        ("541200", "", None, "The Northing 'blank' is not a grid reference in metres."),
    ],
)
def test_easting_and_northing_are_kept_when_they_are_grid_numbers(easting, northing, kept, problem) -> None:
    row = {**gias_row("900700", "Grid School"), "Easting": easting, "Northing": northing}

    preview = schools.read_gias_csv(gias_csv([row], columns=GRID_COLUMNS), FRAMEWORKS)

    if problem:
        assert preview.row_errors == [(2, "900700", problem)] and preview.schools == []
    else:
        assert {name: preview.schools[0][name] for name in ("easting", "northing")} == kept


def test_a_file_without_grid_columns_keeps_the_grid_references_already_held(world) -> None:
    with world.app_context():
        store = get_store()
        preview = schools.read_gias_csv(gias_csv([gias_row("910001", "Ash Primary", postcode="AB1 1AA")]), FRAMEWORKS)
        schools.apply_import(store, preview.schools)
        held = store.read("schools", "910001")
        assert (held["easting"], held["northing"]) == (503000, 104000)


def test_the_demo_schools_have_grid_references_except_one(app) -> None:
    with app.app_context():
        store = get_store()
        grid = {urn: (s.get("easting"), s.get("northing")) for urn, s in store.scan("schools")}
    assert grid["900001"] == (541200, 112300)
    assert grid["900008"] == (None, None)


# The pages ---------------------------------------------------------------------------------------------------


def test_the_la_sees_the_heatmap_with_a_number_and_a_word_in_every_cell(world, client, sign_in) -> None:
    sign_in(LA_REVIEWER)

    page = Page(client.get("/la/insight"))

    assert (page.status, page.h1) == (200, "Heading scores by school")
    rows = {row["School"]: row for row in page.table("Leadership and management of inclusion")}
    assert rows["Ash Primary Moderated"]["Leadership and management of inclusion"] == "3.71 Strength"
    assert rows["Ash Primary Moderated"]["Pupil, parent and carer voice and partnership"] == "2 Area for development"
    assert rows["Birch Primary"]["Leadership and management of inclusion"] == "3.14 In between"
    assert rows["Cedar Primary"]["Teaching, learning and adaptations"] == "3 In between"
    assert "Average of these schools" in page.main_text and "2.78 7 schools" in page.main_text
    assert "Larch Primary" not in page.main_text  # has not submitted
    assert "Fewer than 5 schools" not in page.main_text


def test_the_heatmap_filters_by_framework_and_phase_with_a_plain_get_form(world, client, sign_in) -> None:
    sign_in(LA_ADMIN)

    secondary = Page(client.get("/la/insight?framework=secondary&phase="))
    nursery = Page(client.get("/la/insight?framework=primary&phase=Nursery"))

    assert [row["School"] for row in secondary.table("School")] == [
        "Hazel High",
        "Holly High",
        "Ivy High Moderated",
        "Juniper High",
        "Kale All-through",
    ]
    assert [row["School"] for row in nursery.table("School")] == ["Fir Nursery", "Gorse Nursery"]
    assert "Fewer than 5 schools: 2 schools have submitted in this group" in nursery.main_text
    assert '<form method="get" action="/la/insight"' in nursery.html


def every_table_row(page: Page) -> list[dict[str, str]]:
    """The rows of every table on the page, as {column heading: cell text}."""
    rows = []
    for table in page.root.find_all("table"):
        headings = [cell.text for cell in table.find_all("th") if cell.attrs.get("scope") == "col"]
        for body in table.find_all("tbody"):
            for row in body.find_all("tr"):
                cells = [cell.text for cell in row.find_all() if cell.tag in ("td", "th")]
                rows.append(dict(zip(headings, cells, strict=True)))
    return rows


def test_the_distributions_page_marks_criteria_rated_by_fewer_than_five(world, client, sign_in) -> None:
    sign_in(LA_REVIEWER)

    page = Page(client.get("/la/insight/distributions?framework=primary&phase=Primary"))

    rows = {row["Criterion"]: row for row in every_table_row(page)}
    assert page.status == 200
    assert rows["PRI-TEACH-03"]["Schools"] == "4 fewer than 5"
    assert rows["PRI-TEACH-02"]["Schools"] == "5"
    assert rows["PRI-TEACH-02"]["4 Embedded"] == "2"


def test_best_practice_for_a_heading_and_for_a_criterion(world, client, sign_in) -> None:
    sign_in(LA_REVIEWER)

    heading = Page(client.get("/la/insight/best-practice?topic=primary/leadership"))
    criterion = Page(client.get("/la/insight/best-practice?topic=primary/PRI-LEAD-02"))
    empty = Page(client.get("/la/insight/best-practice"))

    assert [(r["Position"], r["School"], r["Score"]) for r in heading.table("Position")][:3] == [
        ("1", "Fir Nursery", "4 Strength"),
        ("2", "Ash Primary", "3.71 Strength"),
        ("3", "Birch Primary", "3.14 In between"),
    ]
    assert [r["School"] for r in criterion.table("Position")][:3] == ["Ash Primary", "Birch Primary", "Fir Nursery"]
    assert empty.status == 200 and "Position" not in empty.html


def test_the_school_page_shows_strong_schools_nearest_first(world, client, sign_in) -> None:
    sign_in(LA_REVIEWER)

    page = Page(client.get("/la/insight/schools/910004"))
    not_submitted = Page(client.get("/la/insight/schools/910020"))

    assert page.h1 == "Damson Primary: schools that could help"
    assert "PRI-LEAD-03: rated 1 (Not yet in place)" in page.main_text
    assert "Ash Primary 4 Embedded 5.0 km AB1 1AA Fir Nursery 4 Embedded 6.0 km AB6 1AA" in page.main_text
    assert "Gorse Nursery 4 Embedded Not known AB4 9ZZ Cedar Primary" in page.main_text
    assert "Larch Primary has not submitted a self-evaluation yet" in not_submitted.main_text


@pytest.mark.parametrize(
    ("path", "field", "message"),
    [
        ("/la/insight?framework=tertiary", "framework", "Choose a framework from the list"),
        ("/la/insight?framework=primary&phase=Secondary", "phase", "Choose a phase from the list, or all phases"),
        ("/la/insight?phase=%3Cscript%3Ealert(1)%3C/script%3E", "phase", "Choose a phase from the list, or all phases"),
        ("/la/insight/distributions?framework=" + "x" * 5000, "framework", "Choose a framework from the list"),
        ("/la/insight/distributions?framework=primary%00", "framework", "Choose a framework from the list"),
        ("/la/insight/best-practice?topic=primary/NOPE-01", "topic", "Choose a heading or criterion from the list"),
        ("/la/insight/best-practice?topic=", "topic", "Choose a heading or criterion from the list"),
        (
            "/la/insight/best-practice?topic=secondary/PRI-LEAD-01",
            "topic",
            "Choose a heading or criterion from the list",
        ),
    ],
)
def test_unknown_filters_get_a_plain_message_linked_to_the_field(world, client, sign_in, path, field, message) -> None:
    sign_in(LA_REVIEWER)

    page = Page(client.get(path))

    assert page.status == 400
    assert page.title.startswith("Error: ")
    assert page.error_links == [(f"#{field}", message)]
    page.assert_error_links_lead_to_fields()
    assert "<script>alert(1)" not in page.html


@pytest.mark.parametrize(
    "path",
    [
        "/la/insight?page=0",
        "/la/insight?page=2",
        "/la/insight?page=abc",
        "/la/insight?page=99999999999999999999",
        "/la/insight/schools/999999",
        "/la/insight/schools/%3Cscript%3E",
        "/la/insight/schools/" + "9" * 300,
    ],
)
def test_pages_and_schools_that_do_not_exist_are_not_found(world, client, sign_in, path) -> None:
    sign_in(LA_REVIEWER)

    assert client.get(path).status_code == 404


def test_school_staff_cannot_see_insight_or_exports(world, client, sign_in) -> None:
    sign_in(SENCO)

    for path in ("/la/insight", "/la/insight/schools/910001", "/la/exports/schools.csv", "/la/exports/schools.xlsx"):
        response = client.get(path)
        assert response.status_code == 403
        assert "Ash Primary" not in response.get_data(as_text=True)


# Exports -----------------------------------------------------------------------------------------------------

DEADLINE = "2027-09-30"  # the 2026 to 2027 cycle's deadline in content/key_dates.yaml


def test_the_csv_export_has_a_row_per_school_with_its_figures(world, client, sign_in) -> None:
    sign_in(LA_ADMIN)

    response = client.get("/la/exports/schools.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="schools-2026-11-23.csv"' in response.headers["Content-Disposition"]
    rows = {row["URN"]: row for row in csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))}
    assert len(rows) == 8 + 14  # the demo schools and the fixed ones
    ash = rows["910001"]
    assert {name: ash[name] for name in ("School", "Phase", "Framework", "Programme status", "Current stage")} == {
        "School": "Ash Primary",
        "Phase": "Primary",
        "Framework": "primary",
        "Programme status": "Under review",
        "Current stage": "2",
    }
    assert (ash["% reviewed"], ash["Deadline"], ash["Extension until"], ash["Moderated"]) == (
        "100",
        DEADLINE,
        "",
        "Yes",
    )
    assert (ash["Score: leadership"], ash["Score: voice"], ash["PRI-LEAD-01"], ash["PRI-LEAD-02"]) == (
        "3.71",
        "2",
        "2",
        "4",
    )
    assert (ash["Award decided on"], ash["Award expires on"]) == ("2026-07-10", "2029-07-10")
    assert ash["SEC-LEAD-01"] == ""
    # Cedar left PRI-TEACH-03 unrated: 41 of 42 reviewed = 97.6%, rounded down (100% only when all are done).
    assert (rows["910003"]["% reviewed"], rows["910003"]["PRI-TEACH-03"]) == ("97", "")
    assert (rows["910002"]["Extension until"], rows["910002"]["Programme status"]) == ("2026-10-14", "Submitted")
    assert rows["910013"]["SEC-TEACH-01"] == "4"  # moderated from 1
    assert (rows["910020"]["Programme status"], rows["910020"]["% reviewed"], rows["910020"]["Score: leadership"]) == (
        "Not registered",
        "0",
        "",
    )
    assert rows["900001"]["Current stage"] == "" and rows["900001"]["Programme status"] == "Registered"
    assert rows["910021"]["School"] == "'" + insight_world.FORMULA_NAME[1]


def test_the_xlsx_export_holds_values_never_formulas(world, client, sign_in) -> None:
    sign_in(LA_REVIEWER)

    response = client.get("/la/exports/schools.xlsx")

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header = [cell.value for cell in sheet[1]]
    rows = {row[0].value: {h: cell for h, cell in zip(header, row, strict=True)} for row in sheet.iter_rows(min_row=2)}
    ash = rows["910001"]
    assert (ash["School"].value, ash["Score: leadership"].value, ash["PRI-LEAD-01"].value) == ("Ash Primary", 3.71, 2)
    assert (ash["Current stage"].value, ash["% reviewed"].value, ash["Award expires on"].value) == (
        2,
        100,
        "2029-07-10",
    )
    hostile = rows["910021"]["School"]
    assert (hostile.value, hostile.data_type) == (insight_world.FORMULA_NAME[1], "s")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_the_shareable_summary_download_hides_small_groups(world, client, sign_in) -> None:
    sign_in(LA_REVIEWER)

    response = client.get("/la/exports/shareable-summary.csv")

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    groups = {row[0]: row[1] for row in rows[1:]}
    assert groups["Primary schools: Nursery"] == insight.SUPPRESSED
    assert groups["Secondary schools: Secondary"] == insight.SUPPRESSED
    assert groups["Secondary schools: All phases"] == "5"
    assert not any("Fir Nursery" in cell or "910006" in cell for row in rows for cell in row)


def test_a_moderation_written_anywhere_shows_in_insight_without_anyone_calling_a_refresh(world) -> None:
    with world.app_context():
        store, content = get_store(), get_content()
        assert named(insight_index.all_schools(store, content), "Ash Primary").ratings["PRI-LEAD-02"] != 1

        def moderate(document: dict | None) -> tuple[dict, None]:
            document["criteria"]["PRI-LEAD-02"] = {"decision": "moderate", "school_rating": 4, "rating": 1}
            return document, None

        store.modify("moderation", "910001-2026-27", moderate)
        assert named(insight_index.all_schools(store, content), "Ash Primary").ratings["PRI-LEAD-02"] == 1
