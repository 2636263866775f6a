"""Fixed demo data for insight: 12 schools that have submitted (7 primary, 5 secondary) with hand-chosen ratings
and moderation, one that has not, and one whose name a spreadsheet would run as a formula.

Each school rates every criterion of a heading the same (the six numbers below, in heading order: leadership,
identification, teaching, voice, wellbeing, transitions), except for the TWEAKS. The tests work out their
expected figures by hand from these tables; nothing here calls the code under test.
"""

from __future__ import annotations

from typing import Any

from form_service import schools, self_evaluation
from form_service.core.content import get_content
from form_service.insight import index as insight_index
from form_service.store import get_store

CYCLE = "2026-27"
HEADINGS = ("leadership", "identification", "teaching", "voice", "wellbeing", "transitions")
PREFIXES = {"primary": "PRI", "secondary": "SEC"}
HEADING_CODES = ("LEAD", "IDEN", "TEACH", "VOICE", "WELL", "TRANS")

# urn: (name, phase, postcode, easting, northing, six heading ratings)
SCHOOLS: dict[str, tuple[str, str, str, int | None, int | None, tuple[int, ...]]] = {
    "910001": ("Ash Primary", "Primary", "AB1 1AA", 503000, 104000, (4, 3, 3, 2, 4, 3)),
    "910002": ("Birch Primary", "Primary", "AB2 1AA", 520000, 100000, (3, 3, 4, 1, 3, 2)),
    "910003": ("Cedar Primary", "Primary", "AB10 1AA", None, None, (2, 4, 3, 4, 2, 3)),
    "910004": ("Damson Primary", "Primary", "AB4 1AA", 500000, 100000, (1, 2, 2, 3, 3, 4)),
    "910005": ("Elder Primary", "Primary", "AB5 1AA", 510000, 90000, (3, 1, 4, 4, 1, 2)),
    "910006": ("Fir Nursery", "Nursery", "AB6 1AA", 500000, 106000, (4, 4, 1, 2, 4, 4)),
    "910007": ("Gorse Nursery", "Nursery", "AB4 9ZZ", None, None, (2, 2, 2, 3, 2, 1)),
    "910011": ("Hazel High", "Secondary", "AB7 1AA", 530000, 100000, (4, 4, 4, 4, 4, 4)),
    "910012": ("Holly High", "Secondary", "AB7 2AA", 531000, 100000, (3, 2, 3, 3, 3, 3)),
    "910013": ("Ivy High", "Secondary", "AB8 1AA", 540000, 100000, (2, 3, 1, 2, 4, 2)),
    "910014": ("Juniper High", "Secondary", "AB8 2AA", 541000, 100000, (1, 1, 2, 4, 2, 3)),
    "910015": ("Kale All-through", "All-through", "AB9 1AA", 550000, 100000, (4, 3, 4, 1, 3, 4)),
}
NOT_SUBMITTED = ("910020", "Larch Primary", "Primary", "AB1 2AA")
FORMULA_NAME = ("910021", '=HYPERLINK("http://evil.example.org","Click")', "Primary", "AB1 3AA")

# The school's own rating where it differs from its heading's: (urn, criterion) -> rating.
TWEAKS = {
    ("910002", "PRI-LEAD-02"): 4,
    ("910003", "PRI-LEAD-03"): 4,
    ("910007", "PRI-LEAD-03"): 4,
    ("910001", "PRI-LEAD-01"): 4,  # moderated to 2 below
    ("910005", "PRI-IDEN-01"): 1,  # moderated to 3 below
    ("910013", "SEC-TEACH-01"): 1,  # moderated to 4 below
}
UNRATED = {("910003", "PRI-TEACH-03")}
# (urn, criterion) -> (decision, moderated rating)
MODERATION = {
    ("910001", "PRI-LEAD-01"): ("moderate", 2),
    ("910005", "PRI-IDEN-01"): ("moderate", 3),
    ("910013", "SEC-TEACH-01"): ("moderate", 4),
    ("910004", "PRI-LEAD-01"): ("agree", 1),
}
AWARDS = {"910001": {"decided_on": "2026-07-10", "expires_on": "2029-07-10"}}
STAGES = {"910001": {"1": "2026-06-20", "2": "2026-09-01"}}
EXTENSIONS = {"910002": "2026-10-14T23:59:00+01:00"}
STATUSES = {"910001": "under_review"}


def framework_of(phase: str) -> str:
    return "primary" if phase in ("Primary", "Nursery") else "secondary"


def reference(urn: str) -> str:
    return f"QM-{urn}-202627-TEST01"


def answers_for(urn: str) -> dict[str, dict[str, Any]]:
    """The school's submitted answers: every criterion rated as the tables say, with commentary."""
    name, phase, _, _, _, heading_ratings = SCHOOLS[urn]
    prefix = PREFIXES[framework_of(phase)]
    answers = {}
    for code, rating in zip(HEADING_CODES, heading_ratings, strict=True):
        for number in range(1, 8):
            criterion = f"{prefix}-{code}-{number:02d}"
            if (urn, criterion) in UNRATED:
                continue
            answers[criterion] = {
                "rating": TWEAKS.get((urn, criterion), rating),
                "commentary": f"What {name} does.",
                "evidence": [],
                "revision": 1,
                "updated_at": "2026-09-20T10:00:00+00:00",
                "updated_by": "someone",
            }
    return answers


def build(app: Any) -> None:
    """Write the schools, self-evaluations, submissions, moderation, awards and stages, then rebuild insight."""
    with app.app_context():
        store, content = get_store(), get_content()
        rows = [
            {
                "urn": urn,
                "name": name,
                "phase": phase,
                "framework": framework_of(phase),
                "la_name": "Demo Shire",
                "type": "Community school",
                "postcode": postcode,
                "website": "",
                "contact_email": "",
                **({"easting": easting, "northing": northing} if easting is not None else {}),
            }
            for urn, (name, phase, postcode, easting, northing, _) in SCHOOLS.items()
        ]
        for urn, name, phase, postcode in (NOT_SUBMITTED, FORMULA_NAME):
            rows.append(
                {
                    "urn": urn,
                    "name": name,
                    "phase": phase,
                    "framework": "primary",
                    "la_name": "Demo Shire",
                    "type": "Community school",
                    "postcode": postcode,
                    "website": "",
                    "contact_email": "",
                }
            )
        schools.apply_import(store, rows)
        for urn, (_, phase, *_rest) in SCHOOLS.items():
            framework = framework_of(phase)
            answers = answers_for(urn)
            store.write(
                "submissions",
                reference(urn).lower(),
                {
                    "reference": reference(urn),
                    "urn": urn,
                    "cycle": CYCLE,
                    "framework": framework,
                    "framework_version": 1,
                    "content_hash": content.framework(framework).content_hash,
                    "answers": answers,
                    "submitted_by": "someone",
                    "submitted_at": "2026-09-25T10:00:00+00:00",
                },
            )
            evaluation = {
                "urn": urn,
                "cycle": CYCLE,
                "framework": framework,
                "framework_version": 1,
                "status": STATUSES.get(urn, "submitted"),
                "answers": answers,
                "history": {},
                "submissions": [reference(urn)],
                "submitted_at": "2026-09-25T10:00:00+00:00",
            }
            if urn in EXTENSIONS:
                evaluation["extension_until"] = EXTENSIONS[urn]
            self_evaluation.store_whole(store, content, evaluation)
            decisions = {
                criterion: {
                    "decision": decision,
                    "school_rating": answers[criterion]["rating"],
                    "rating": rating,
                    "by": "reviewer",
                    "at": "2026-10-01T10:00:00+00:00",
                    "reference": reference(urn),
                }
                for (school_urn, criterion), (decision, rating) in MODERATION.items()
                if school_urn == urn
            }
            if decisions:
                store.write("moderation", f"{urn}-{CYCLE}", {"criteria": decisions, "comments": {}})
        for urn, award in AWARDS.items():
            decision = {
                "cycle": "2025-26",
                "reference": "QM-OLD",
                "outcome": "awarded",
                "reasons": "",
                "conditions": "",
                "panel": ["chair"],
                "recorded_by": "x",
                "recorded_at": "2026-07-10T10:00:00+00:00",
                **award,
            }
            store.write("awards", urn, {"decisions": [decision]})
        for urn, reached in STAGES.items():
            store.write("stages", urn, {"reached": {n: {"reached_on": day} for n, day in reached.items()}})
        self_evaluation.store_whole(
            store,
            content,
            {
                "urn": NOT_SUBMITTED[0],
                "cycle": CYCLE,
                "framework": "primary",
                "framework_version": 1,
                "status": "in_progress",
                "answers": {},
            },
        )
        insight_index.rebuild(store, content)
