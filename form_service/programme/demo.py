"""Demo schools at every stage of the programme, so the LA's dashboard, review and insight have something to show.

Added by `make run` (and `flask --app form_service seed-demo`) after the demo people and schools. Everyone and
everything here is fictional. Answers are saved and submitted through the service's own functions
(`self_evaluation.save_answer`, `self_evaluation.submit`); the LA's steps go through `workflow.next_status`
and are written in the shapes `workflow` documents. Dates are relative to the day the data are made, so the
statuses read the same whenever `make run` is first started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from quality_mark.model import LONDON, Content, Cycle, Framework

from .. import accounts, moderation, schools, self_evaluation, workflow
from ..core import clock
from ..store import Store
from . import stages
from .stage_input import ReachedDraft, VisitDraft

MORE_SCHOOLS = Path(__file__).resolve().parent.parent / "demo" / "more_schools.csv"

# The stage each story has reached, and the LA-funded visits recorded (stage, kind, days ago, hours).
STORY_STAGES = {
    "in_progress": (2, []),
    "submitted": (6, [(3, "meeting", 70, 2.0), (5, "visit", 30, 2.0)]),
    "under_review": (7, [(3, "meeting", 90, 2.0), (5, "visit", 40, 2.5)]),
    "returned": (6, [(3, "meeting", 80, 2.0)]),
    "at_panel": (8, [(3, "meeting", 120, 2.0), (5, "visit", 60, 2.0), (7, "evaluation", 10, 3.0)]),
    "not_awarded": (9, [(3, "meeting", 150, 2.0), (5, "visit", 90, 2.0), (7, "evaluation", 20, 3.0)]),
}

# (URN, what the school's demo data show, its lead's email and name). Oakfield and Hillcrest stay registered
# with nothing started, for trying the self-evaluation; Brookside and Elm Tree have no one yet (so have no lead).
PROGRAMME_PEOPLE = [
    ("900002", "in_progress", "senco@riverside-primary.example.org", "Demo SENCo, Riverside"),
    ("900003", "submitted", "senco@st-aidans-primary.example.org", "Demo SENCo, St Aidan's"),
    ("900005", "under_review", "senco@meadowbank-high.example.org", "Demo SENCo, Meadowbank"),
    ("900007", "returned", "senco@castlegate-school.example.org", "Demo SENCo, Castlegate"),
    ("900009", "awarded", "senco@willow-lane.example.org", "Demo SENCo, Willow Lane"),
    ("900010", "not_awarded", "senco@northgate-high.example.org", "Demo SENCo, Northgate"),
    ("900011", "award_expiring", "senco@foxglove-primary.example.org", "Demo SENCo, Foxglove"),
    ("900012", "expired", "senco@harbour-view.example.org", "Demo SENCo, Harbour View"),
    ("900013", "at_panel", "senco@kingsmead-primary.example.org", "Demo SENCo, Kingsmead"),
]

COMMENTARY = {
    1: "This is at an early stage. We have identified what needs to change and have started to plan it with staff.",
    2: "This is developing. Some staff do this consistently; we are extending it across the school this year.",
    3: "This is established across the school. Progress data and feedback from families show it makes a difference.",
    4: "This is embedded, and we share our practice with other schools. Governors monitor its impact each term.",
}
REVIEWER = "Demo LA Reviewer"
LA_COMMENT = (
    "The commentary describes the practice but not yet its impact on pupils. What has changed for pupils with SEND?"
)
RETURN_MESSAGE = (
    "Thank you. Please add evidence of impact for the leadership criterion we commented on, then submit again."
)
EVIDENCE = {3: ["Provision map", "SEND information report"], 4: ["Provision map", "Governor minutes"]}

# Schools with a self-evaluation in an earlier cycle, submitted and moderated by the LA, so the year-on-year
# comparison has something to show: URN -> rating profile (see demo_rating). Foxglove has also started its
# reaccreditation this cycle (its status stays "award expiring"); Kingsmead's this cycle is at panel.
EARLIER_CYCLE = "2025-26"
EARLIER_SUBMISSIONS = {"900009": 1, "900011": 0, "900013": 0}
STARTED_THIS_CYCLE = {"900011": 30}  # URN -> how many criteria are answered so far
EARLIER_EXTENSION_REASON = "Demo data: an earlier cycle, entered after its deadline"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    urn: str
    story: str


def programme_people() -> list[DemoPerson]:
    return [DemoPerson(email, name, urn, story) for urn, story, email, name in PROGRAMME_PEOPLE]


def demo_rating(framework: Framework, index: int, profile: int) -> int:
    """A spread of ratings: `profile` 0 (developing) to 2 (strong) shifts them; each heading differs a little."""
    pattern = (2, 3, 3, 2, 4, 3, 1, 3, 2, 4, 3, 3)
    return max(framework.rating_scale.lowest, min(framework.rating_scale.highest, pattern[index % 12] + profile - 1))


def seed_programme(store: Store, content: Content, today: date) -> None:
    """Add the demo schools beyond the first eight and take each demo school to its stage of the programme."""
    preview = schools.read_gias_csv(MORE_SCHOOLS.read_bytes(), set(content.framework_ids()))
    schools.apply_import(store, preview.schools)
    cycle = self_evaluation.current_cycle(content, today)
    now = clock.now()
    reviewer = accounts.find_user_by_email(store, "la.reviewer@example.org")
    reviewer_id = reviewer.id if reviewer else "la-reviewer"
    every_years = content.timeline.reaccreditation.every_years
    for person in programme_people():
        user = accounts.ensure_user(store, person.email, person.name, "SENCo")
        accounts.add_member(store, person.urn, user.id, "admin", added_by=None)
        school = accounts.get_school(store, person.urn)
        assert school is not None
        if person.story in ("awarded", "award_expiring", "expired"):
            decided = {
                "awarded": today - timedelta(days=480),
                "award_expiring": today - timedelta(days=365 * every_years - 90),
                "expired": today - timedelta(days=365 * every_years + 150),
            }[person.story]
            _record_award(store, content, school, f"{decided.year - 1}-{str(decided.year)[2:]}", decided, every_years)
            _earlier_submission(store, content, school, user.id, reviewer_id, today)
            if person.urn in STARTED_THIS_CYCLE:
                if now > cycle.submission_deadline:
                    until = datetime.combine(today + timedelta(days=60), datetime.min.time(), LONDON)
                    self_evaluation.start(store, content, school, cycle)
                    self_evaluation.grant_extension(store, person.urn, cycle.id, until, "Demo data", reviewer_id)
                _answer(store, content, cycle, school, user.id, 1, STARTED_THIS_CYCLE[person.urn])
            continue
        _earlier_submission(store, content, school, user.id, reviewer_id, today)
        _record_stages(store, person.urn, person.story, today, reviewer_id)
        if now > cycle.submission_deadline:  # demo data made after the deadline still show work under way
            until = datetime.combine(today + timedelta(days=60), datetime.min.time(), LONDON)
            self_evaluation.start(store, content, school, cycle)
            self_evaluation.grant_extension(store, person.urn, cycle.id, until, "Demo data", reviewer_id)
        profile = {"submitted": 1, "under_review": 1, "at_panel": 2}.get(person.story, 0)
        framework = _answer(
            store, content, cycle, school, user.id, profile, 17 if person.story == "in_progress" else None
        )
        if person.story == "in_progress":
            continue
        reference = self_evaluation.new_reference(person.urn, cycle.id)
        outcome, message = self_evaluation.submit(store, content, cycle, person.urn, user.id, now, reference)
        assert outcome == "ok", message
        if person.story == "submitted":
            continue
        _review(store, content, person.story, person.urn, cycle.id, framework, reviewer_id, today)


def _answer(
    store: Store, content: Content, cycle: Cycle, school: dict[str, Any], user_id: str, profile: int, count: int | None
) -> Framework:
    """Start the school's self-evaluation for the cycle and rate its first `count` criteria (all when None),
    through `self_evaluation.save_answer`; returns the framework version it was started against."""
    document = self_evaluation.start(store, content, school, cycle)
    framework = self_evaluation.framework_of(content, document)
    for index, criterion in enumerate(framework.criteria[:count]):
        rating = demo_rating(framework, index, profile)
        answer = {"rating": rating, "commentary": COMMENTARY[rating], "evidence": EVIDENCE.get(rating, [])}
        base = (document["answers"].get(criterion.id) or {}).get("revision", 0)  # pre-filled answers have one
        result = self_evaluation.save_answer(store, content, cycle, school["urn"], criterion.id, answer, base, user_id)
        assert result.status in ("saved", "unchanged"), (school["urn"], criterion.id, result.status, result.errors)
    if count is None:  # answering everything: what was pre-filled and left as it was is confirmed still true
        loaded = self_evaluation.load(store, school["urn"], cycle.id) or {}
        for criterion_id in loaded.get("flags") or {}:
            revision = (loaded["answers"].get(criterion_id) or {}).get("revision", 0)
            status, _ = self_evaluation.confirm_answer(
                store, content, cycle, school["urn"], criterion_id, revision, user_id
            )
            assert status == "confirmed", (school["urn"], criterion_id, status)
    return framework


def _earlier_submission(
    store: Store, content: Content, school: dict[str, Any], user_id: str, reviewer_id: str, today: date
) -> None:
    """For the schools in EARLIER_SUBMISSIONS: a self-evaluation in EARLIER_CYCLE, answered, submitted, and
    moderated by the LA (two criteria moderated down, the rest agreed), left under review. Nothing when the
    content has no such cycle or it is the current one."""
    urn = school["urn"]
    if urn not in EARLIER_SUBMISSIONS:
        return
    try:
        cycle = content.key_dates.cycle(EARLIER_CYCLE)
    except KeyError:
        return
    if cycle.id == self_evaluation.current_cycle(content, today).id:
        return
    now = clock.now()
    if now > cycle.submission_deadline:  # entered now, so the deadline is moved as the LA would
        self_evaluation.start(store, content, school, cycle)
        until = datetime.combine(today + timedelta(days=60), datetime.min.time(), LONDON)
        self_evaluation.grant_extension(store, urn, cycle.id, until, EARLIER_EXTENSION_REASON, reviewer_id)
    framework = _answer(store, content, cycle, school, user_id, EARLIER_SUBMISSIONS[urn], None)
    reference = self_evaluation.new_reference(urn, cycle.id)
    outcome, message = self_evaluation.submit(store, content, cycle, urn, user_id, now, reference)
    assert outcome == "ok", message
    moderation.start_review(store, urn, cycle.id, reviewer_id)
    submitted = moderation.latest_submission(store, self_evaluation.load(store, urn, cycle.id)) or {}
    for criterion in (framework.criteria[1], framework.criteria[4]):
        school_rating = submitted["answers"][criterion.id]["rating"]
        lower = max(framework.rating_scale.lowest, school_rating - 1)
        moderation.record_decision(
            store, content, urn, cycle.id, criterion.id, "moderate", lower, LA_COMMENT, reviewer_id, REVIEWER
        )
    moderation.agree_with_the_rest(store, content, urn, cycle.id, reviewer_id)


def _review(
    store: Store,
    content: Content,
    story: str,
    urn: str,
    cycle_id: str,
    framework: Framework,
    reviewer_id: str,
    today: date,
) -> None:
    """The LA's side of a story, through the moderation module's own steps."""
    moderation.start_review(store, urn, cycle_id, reviewer_id)
    first, second = framework.criteria[0], framework.criteria[1]
    moderation.record_decision(store, content, urn, cycle_id, first.id, "agree", None, "", reviewer_id, REVIEWER)
    submitted = moderation.latest_submission(store, self_evaluation.load(store, urn, cycle_id))
    school_rating = submitted["answers"][second.id]["rating"] if submitted else framework.rating_scale.highest
    lower = max(framework.rating_scale.lowest, school_rating - 1)
    moderation.record_decision(
        store, content, urn, cycle_id, second.id, "moderate", lower, LA_COMMENT, reviewer_id, REVIEWER
    )
    if story == "returned":
        moderation.return_for_amendments(store, urn, cycle_id, RETURN_MESSAGE, reviewer_id)
        return
    if story == "under_review":
        return
    moderation.agree_with_the_rest(store, content, urn, cycle_id, reviewer_id)
    moderation.send_to_panel(store, content, urn, cycle_id, reviewer_id)
    if story == "not_awarded":
        moderation.record_panel_decision(
            store,
            urn,
            cycle_id,
            "not_awarded",
            "The evidence does not yet show the impact of provision on attendance.",
            "Resubmit with a term's attendance data for pupils with SEND.",
            today - timedelta(days=7),
            ["chair", "la_send_lead", "educational_psychologist", "headteacher_representative"],
            content.timeline.reaccreditation.every_years,
            reviewer_id,
        )


def _record_stages(store: Store, urn: str, story: str, today: date, by: str) -> None:
    reached, visits = STORY_STAGES.get(story, (10, []))
    for number in range(1, reached + 1):
        on = today - timedelta(days=14 * (reached - number) + 1)
        stages.record_reached(store, urn, number, ReachedDraft(reached_on=on, notes=""), by)
    for number, kind, days_ago, hours in visits:
        draft = VisitDraft(number, kind, today - timedelta(days=days_ago), hours, "School lead and SENCo", "")
        stages.add_visit(store, urn, draft, by)


def _record_award(
    store: Store, content: Content, school: dict[str, Any], cycle_id: str, decided: date, every_years: int
) -> None:
    """An award from a cycle before the ones in the content, with the submission the panel awarded, so that a
    new self-evaluation of the school starts pre-filled from it (reaccreditation: "still true?")."""
    urn = school["urn"]
    reference = f"QM-{urn}-{cycle_id.replace('-', '')}-DEMO00"
    framework = content.versions_of(school["framework"])[0]
    answers = {}
    for index, criterion in enumerate(framework.criteria):
        rating = demo_rating(framework, index, 2)
        answers[criterion.id] = {
            "rating": rating,
            "commentary": COMMENTARY[rating],
            "evidence": EVIDENCE.get(rating, []),
            "revision": 1,
        }
    submitted = datetime.combine(decided - timedelta(days=60), datetime.min.time(), UTC)
    store.write(
        self_evaluation.SUBMISSIONS,
        reference.lower(),
        {
            "reference": reference,
            "urn": urn,
            "cycle": cycle_id,
            "framework": framework.id,
            "framework_version": framework.version,
            "content_hash": framework.content_hash,
            "answers": answers,
            "action_plan": None,
            "evidence": None,
            "submitted_by": "demo",
            "submitted_at": submitted.isoformat(timespec="seconds"),
        },
    )
    _record_decision(
        store,
        urn,
        {
            "cycle": cycle_id,
            "reference": reference,
            "outcome": "awarded",
            "reasons": "Strong, well-evidenced inclusive practice across the school.",
            "conditions": "",
            "decided_on": decided.isoformat(),
            "expires_on": workflow.award_expiry(decided, every_years).isoformat(),
            "panel": ["chair", "la_send_lead", "educational_psychologist", "parent_carer_representative"],
            "recorded_by": "demo",
            "recorded_at": datetime.combine(decided, datetime.min.time(), UTC).isoformat(timespec="seconds"),
        },
    )


def _record_decision(store: Store, urn: str, decision: dict[str, Any]) -> None:
    def change(document: dict | None) -> tuple[dict, None]:
        document = document or {"urn": urn, "decisions": []}
        document["decisions"].append(decision)
        return document, None

    store.modify(workflow.AWARDS, urn, change)
