"""A SENCo's self-evaluation without JavaScript: heading pages, saving, conflicts, checking and submitting."""

from __future__ import annotations

import html
import re
from typing import Any

from form_service import self_evaluation
from form_service.core.content import get_content
from form_service.store import get_store

OAKFIELD = "900001"
SENCO = "senco@oakfield-primary.example.org"
GOVERNOR = "governor@oakfield-primary.example.org"
BASE = f"/school/{OAKFIELD}/self-evaluation"


def token_on(client: Any, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def start(client: Any) -> str:
    token = token_on(client, BASE + "/")
    response = client.post(BASE + "/start", data={"csrf_token": token})
    assert response.status_code == 302
    return response.headers["Location"]


def heading_form(
    client: Any, heading_id: str, rating: str = "3", commentary: str = "We do this well."
) -> dict[str, str]:
    """Everything a person would post from a heading page, filling every criterion the same way."""
    page = client.get(f"{BASE}/{heading_id}").get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)}
    for criterion_id, revision in re.findall(r'name="([A-Z]+-[A-Z]+-\d+)-revision" value="(\d+)"', page):
        data |= {
            f"{criterion_id}-revision": revision,
            f"{criterion_id}-rating": rating,
            f"{criterion_id}-commentary": commentary,
            f"{criterion_id}-evidence": "Provision map\nSEN information report",
        }
    return data


def answers_in_store(app: Any) -> dict[str, Any]:
    with app.app_context():
        document = self_evaluation.load(get_store(), OAKFIELD, "2026-27")
        return document["answers"] if document else {}


def test_nothing_is_created_until_the_school_starts(app: Any, client: Any, sign_in: Any) -> None:
    sign_in(SENCO)
    page = client.get(BASE + "/").get_data(as_text=True)
    assert "Start the self-evaluation" in page
    assert answers_in_store(app) == {}
    with app.app_context():
        assert self_evaluation.load(get_store(), OAKFIELD, "2026-27") is None
    assert start(client).endswith(f"{BASE}/leadership")


def test_a_heading_page_asks_every_criterion_with_its_guidance(client: Any, sign_in: Any) -> None:
    sign_in(SENCO)
    start(client)
    page = html.unescape(client.get(f"{BASE}/leadership").get_data(as_text=True))
    with client.application.app_context():
        heading = get_content().framework("primary").heading("leadership")
    for criterion in heading.criteria:
        assert criterion.statement in page
        assert f'for="{criterion.id.lower()}-commentary"' in page
        assert f'id="{criterion.id.lower()}-rating-4"' in page
        assert criterion.next_level in page
    assert "Save and continue" in page and "Save and come back later" in page


def test_save_and_continue_then_come_back_later_keeps_every_answer(app: Any, client: Any, sign_in: Any) -> None:
    sign_in(SENCO)
    start(client)
    saved = client.post(f"{BASE}/leadership", data=heading_form(client, "leadership") | {"then": "continue"})
    assert saved.headers["Location"].endswith(f"{BASE}/identification")
    later = client.post(
        f"{BASE}/identification", data=heading_form(client, "identification", "2", "Developing") | {"then": "later"}
    )
    assert later.headers["Location"].endswith(f"{BASE}/")
    stored = answers_in_store(app)
    assert len(stored) == 14
    assert stored["PRI-IDEN-03"]["rating"] == 2 and stored["PRI-LEAD-01"]["evidence"] == [
        "Provision map",
        "SEN information report",
    ]
    again = client.get(f"{BASE}/leadership").get_data(as_text=True)
    assert again.count("We do this well.") == 7
    overview = client.get(BASE + "/").get_data(as_text=True)
    assert "<strong>14 of 42</strong>" in overview


def test_a_bad_answer_is_explained_and_the_good_ones_on_the_page_are_saved(app: Any, client: Any, sign_in: Any) -> None:
    sign_in(SENCO)
    start(client)
    data = heading_form(client, "leadership") | {"PRI-LEAD-02-rating": "9", "PRI-LEAD-03-commentary": "x" * 2001}
    response = client.post(f"{BASE}/leadership", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#pri-lead-02-rating-1">Choose a rating from 1 (Not yet in place) to 4 (Embedded)' in page
    assert 'href="#pri-lead-03-commentary">Commentary must be 2,000 characters or fewer' in page
    assert "Commentary must be 2,000 characters or fewer" in page
    assert "x" * 2001 in page  # what was typed stays on screen
    stored = answers_in_store(app)
    assert "PRI-LEAD-02" not in stored and "PRI-LEAD-03" not in stored
    assert len(stored) == 5


def test_two_people_editing_one_answer_see_both_versions(app: Any, client: Any, sign_in: Any) -> None:
    sign_in(SENCO)
    start(client)
    first_tab = heading_form(client, "leadership", commentary="First tab's words")
    second_tab = heading_form(client, "leadership", commentary="Second tab's words")
    assert client.post(f"{BASE}/leadership", data=first_tab).status_code == 302
    clash = client.post(f"{BASE}/leadership", data=second_tab)
    page = clash.get_data(as_text=True)
    assert clash.status_code == 400
    assert "Someone else saved this answer while you were editing" in page
    assert "First tab&#39;s words" in page and "Second tab&#39;s words" in page
    assert answers_in_store(app)["PRI-LEAD-01"]["commentary"] == "First tab's words"
    # Saving again from the page shown (which now carries the newer revision) keeps the second version.
    resend = {key: value for key, value in second_tab.items()}
    for criterion_id, revision in re.findall(r'name="([A-Z]+-[A-Z]+-\d+)-revision" value="(\d+)"', page):
        resend[f"{criterion_id}-revision"] = revision
    assert client.post(f"{BASE}/leadership", data=resend).status_code == 302
    assert answers_in_store(app)["PRI-LEAD-01"]["commentary"] == "Second tab's words"


def test_personal_data_needs_a_second_look_before_it_is_saved(app: Any, client: Any, sign_in: Any) -> None:
    sign_in(SENCO)
    start(client)
    data = heading_form(client, "leadership") | {"PRI-LEAD-04-commentary": "Email parent at parent.name@gmail.com"}
    warned = client.post(f"{BASE}/leadership", data=data)
    assert warned.status_code == 400
    assert "This looks like it contains a personal email address" in warned.get_data(as_text=True)
    assert "PRI-LEAD-04" not in answers_in_store(app)
    confirmed = client.post(f"{BASE}/leadership", data=data | {"PRI-LEAD-04-personal-data-checked": "1"})
    assert confirmed.status_code == 302
    assert "gmail" in answers_in_store(app)["PRI-LEAD-04"]["commentary"]


def test_a_governor_reads_but_cannot_change_anything(app: Any, client: Any, sign_in: Any) -> None:
    sign_in(SENCO)
    start(client)
    client.post(f"{BASE}/leadership", data=heading_form(client, "leadership"))
    client.post("/sign-out", data={"csrf_token": token_on(client, BASE + "/")})
    sign_in(GOVERNOR)
    page = client.get(f"{BASE}/leadership").get_data(as_text=True)
    assert "We do this well." in page and "<textarea" not in page and "Save and continue" not in page
    forged = heading_form(client, "identification")
    assert client.post(f"{BASE}/leadership", data=forged).status_code == 403
    assert client.post(BASE + "/submit", data={"csrf_token": forged["csrf_token"]}).status_code == 403


def complete_every_required_criterion(client: Any) -> None:
    with client.application.app_context():
        headings = [h.id for h in get_content().framework("primary").headings]
    for heading_id in headings:
        assert client.post(f"{BASE}/{heading_id}", data=heading_form(client, heading_id)).status_code == 302


def test_submitting_needs_every_required_answer_then_locks_and_emails(
    app: Any, client: Any, sign_in: Any, outbox: Any
) -> None:
    sign_in(SENCO)
    start(client)
    client.post(f"{BASE}/leadership", data=heading_form(client, "leadership"))
    check = client.get(BASE + "/check").get_data(as_text=True)
    assert "required criteria need a rating and commentary" in check
    assert f'href="{BASE}/identification#pri-iden-01"' in check
    early = client.post(BASE + "/submit", data={"csrf_token": token_on(client, BASE + "/check")})
    assert early.status_code == 302
    assert "Some required criteria still need a rating and commentary" in client.get(BASE + "/check").get_data(
        as_text=True
    )

    complete_every_required_criterion(client)
    done = client.post(BASE + "/submit", data={"csrf_token": token_on(client, BASE + "/check")})
    assert done.headers["Location"].endswith(BASE + "/submitted")
    confirmation = client.get(BASE + "/submitted").get_data(as_text=True)
    reference = re.search(r"QM-900001-202627-[A-Z0-9]{6}", confirmation).group(0)
    with app.app_context():
        document = self_evaluation.load(get_store(), OAKFIELD, "2026-27")
        snapshot = get_store().read("submissions", reference.lower())
    assert document["status"] == "submitted"
    assert snapshot["answers"] == document["answers"]
    assert snapshot["framework_version"] == 1 and snapshot["content_hash"].startswith("sha256:")
    assert reference in outbox.last_to(SENCO)["Subject"]
    locked = client.post(f"{BASE}/leadership", data=heading_form(client, "leadership", commentary="Too late"))
    assert locked.status_code == 403
    assert answers_in_store(app)["PRI-LEAD-01"]["commentary"] == "We do this well."
    twice = client.post(BASE + "/submit", data={"csrf_token": token_on(client, BASE + "/check")})
    assert twice.status_code == 302
    with app.app_context():
        assert len(self_evaluation.load(get_store(), OAKFIELD, "2026-27")["submissions"]) == 1


def test_no_submission_after_the_deadline(app: Any, client: Any, sign_in: Any) -> None:
    sign_in(SENCO)
    start(client)
    complete_every_required_criterion(client)
    with app.app_context():
        get_store().modify(
            self_evaluation.COLLECTION,
            f"{OAKFIELD}-2026-27",
            lambda d: ({**d, "extension_until": "2026-01-01T00:00:00+00:00"}, None),
        )
    response = client.post(BASE + "/submit", data={"csrf_token": token_on(client, BASE + "/check")})
    assert response.status_code == 302
    assert "The deadline has passed" in client.get(BASE + "/check").get_data(as_text=True)
    with app.app_context():
        assert self_evaluation.load(get_store(), OAKFIELD, "2026-27")["status"] == "in_progress"


def test_the_la_gives_a_school_more_time(app: Any, client: Any, sign_in: Any) -> None:
    sign_in("la.reviewer@example.org")
    path = f"/la/schools/{OAKFIELD}/extension"
    token = token_on(client, path)
    bad = client.post(path, data={"csrf_token": token, "day": "31", "month": "2", "year": "2027", "reason": "Flood"})
    assert bad.status_code == 400 and "must be a real date" in bad.get_data(as_text=True)
    early = client.post(path, data={"csrf_token": token, "day": "1", "month": "9", "year": "2027", "reason": "Flood"})
    assert early.status_code == 400 and "after the usual deadline" in early.get_data(as_text=True)
    granted = client.post(
        path, data={"csrf_token": token, "day": "14", "month": "10", "year": "2027", "reason": "Flood"}
    )
    assert granted.status_code == 302
    with app.app_context():
        document = self_evaluation.load(get_store(), OAKFIELD, "2026-27")
    assert document["extension_until"] == "2027-10-14T23:59:00+01:00"
    assert document["extension"]["reason"] == "Flood"


def test_schools_cannot_give_themselves_more_time(client: Any, sign_in: Any) -> None:
    sign_in(SENCO)
    assert client.get(f"/la/schools/{OAKFIELD}/extension").status_code == 403
