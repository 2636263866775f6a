"""Nobody takes a school over by registering: who becomes a school's lead, who approves a request, and what
an inviter is told about someone already in the team.

An address on a school's own email domain (which pupils and every member of staff often have) makes someone
the school's lead at once only while the school has no lead, and then the local authority is told. For a school
that has a lead, registering is a request that the school's lead (or the LA) approves, with a role they choose.
The register page answers an LA address exactly as any other, and re-inviting a member changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.test_service_accounts import (
    GOVERNOR_A,
    LA_ADMIN,
    LA_REVIEWER,
    SCHOOL_A,
    SENCO_A,
    Page,
    audit_entries,
    emails,
    everything_stored,
    location_path,
    pending_at,
    post,
    register,
    role_at,
    service_links,
    team_of,
    user_id,
)

OAKFIELD = "Oakfield Primary School"
RIVERSIDE, RIVERSIDE_URN = "Riverside Community Primary School", "900002"  # no lead in the demo people
ST_AIDANS, ST_AIDANS_URN = "St Aidan's Church of England Primary School", "900003"  # no lead, no contact email
NEWCOMER = "newcomer@oakfield-primary.example.org"  # on Oakfield's own domain, as every pupil and teacher is
SENT_TO_LEAD_AND_LA = "has gone to the school's existing lead and to the local authority"
SIGN_IN_LINK_WORDING = re.compile(r"link in your email|sent a sign-in link", re.IGNORECASE)


def emails_to(app: Any, address: str) -> list[Any]:
    return [message for message in emails(app) if message["To"] == address]


def body(message: Any) -> str:
    return " ".join(message.get_content().split())


def approve_form(page: Page, urn: str, person: str) -> tuple[str, dict[str, str]]:
    """The approve form for `person` on a team page, as its button sends it (with the role already chosen)."""
    action = f"/school/{urn}/requests/{person}/approve"
    assert action in page.form_actions(), f"no approve form for {person} on {page.title!r}"
    return action, page.form(action)


def chosen_role(fields: dict[str, str]) -> str:
    [role] = [value for name, value in fields.items() if name.endswith("role")]
    return role


# 1. A school that has a lead is not taken over ------------------------------------------------------------


def test_a_newcomer_on_the_schools_domain_cannot_become_lead_of_a_school_that_has_one(app, client) -> None:
    before = team_of(app, SCHOOL_A)

    page = register(client, SCHOOL_A, "Nia Newcomer", "Teaching assistant", NEWCOMER)

    assert (page.status, page.title) == (200, "Registration received")
    assert f"Your request to join {OAKFIELD} {SENT_TO_LEAD_AND_LA}." in page.main_text
    assert not SIGN_IN_LINK_WORDING.search(page.main_text)  # no link was sent, so the page mentions none
    assert role_at(app, SCHOOL_A, NEWCOMER) is None
    assert team_of(app, SCHOOL_A) == before == {SENCO_A: "admin", GOVERNOR_A: "viewer"}
    assert pending_at(app, SCHOOL_A) == [NEWCOMER]
    [to_newcomer] = emails_to(app, NEWCOMER)
    assert to_newcomer["Subject"] == "We have your registration"
    assert "/sign-in/continue" not in to_newcomer.get_content()
    assert SENT_TO_LEAD_AND_LA in body(to_newcomer)


def test_the_existing_lead_and_the_la_admins_are_emailed_about_the_request(app, client) -> None:
    register(client, SCHOOL_A, "Nia Newcomer", "Teaching assistant", NEWCOMER)

    [to_lead] = emails_to(app, SENCO_A)
    assert to_lead["Subject"] == f"Nia Newcomer asked to join {OAKFIELD}"
    assert "Nia Newcomer (Teaching assistant, newcomer@oakfield-primary.example.org)" in body(to_lead)
    assert service_links(to_lead) == ["/school/900001/team"]  # where the lead approves or declines
    [to_la] = emails_to(app, LA_ADMIN)
    assert to_la["Subject"] == f"Nia Newcomer asked to join {OAKFIELD}"
    assert "The school's lead has been asked to approve or decline it" in body(to_la)
    assert service_links(to_la) == ["/school/900001/team"]
    assert emails_to(app, GOVERNOR_A) == [] and emails_to(app, LA_REVIEWER) == []  # they cannot approve


def test_the_existing_lead_approves_the_newcomer_with_the_role_they_choose(app, client, sign_in, outbox) -> None:
    register(app.test_client(), SCHOOL_A, "Nia Newcomer", "Teaching assistant", NEWCOMER)
    newcomer = user_id(app, NEWCOMER)
    sign_in(SENCO_A)

    team_page = Page(client.get("/school/900001/team"))
    assert "Waiting for approval" in team_page.main_text
    action, fields = approve_form(team_page, SCHOOL_A, newcomer)
    assert chosen_role(fields) == "contributor"  # the school has a lead: a newcomer is not made a second one
    radios = re.findall(r'<input[^>]+type="radio"[^>]+value="(\w+)"', team_page.html)
    assert set(radios) >= {"admin", "contributor", "viewer"}
    fields = {name: ("viewer" if name.endswith("role") else value) for name, value in fields.items()}

    response = client.post(action, data=fields)

    assert location_path(response) == "/school/900001/team"
    after = Page(client.get("/school/900001/team"))
    assert "Nia Newcomer is approved as viewer." in after.messages
    assert "Waiting for approval" not in after.main_text
    assert team_of(app, SCHOOL_A) == {SENCO_A: "admin", GOVERNOR_A: "viewer", NEWCOMER: "viewer"}
    assert pending_at(app, SCHOOL_A) == []
    email = outbox.last_to(NEWCOMER)
    assert email["Subject"] == f"You can now sign in for {OAKFIELD}"
    assert "as Viewer." in body(email)
    approved = [entry for entry in audit_entries(app) if entry["action"] == "registration approved"]
    assert [(entry["target"], entry["details"]) for entry in approved] == [
        (newcomer, {"school": SCHOOL_A, "role": "viewer"})
    ]


def test_the_existing_lead_declines_the_newcomer(app, client, sign_in) -> None:
    register(app.test_client(), SCHOOL_A, "Nia Newcomer", "Teaching assistant", NEWCOMER)
    newcomer = user_id(app, NEWCOMER)
    sign_in(SENCO_A)

    response = post(client, f"/school/900001/requests/{newcomer}/decline")

    assert location_path(response) == "/school/900001/team"
    assert "Nia Newcomer's request has been declined." in Page(client.get("/school/900001/team")).messages
    assert pending_at(app, SCHOOL_A) == [] and role_at(app, SCHOOL_A, NEWCOMER) is None
    assert ("registration declined", newcomer) in {(entry["action"], entry["target"]) for entry in audit_entries(app)}


@pytest.mark.parametrize(
    ("role", "error"),
    [
        pytest.param(None, "Choose what this person can do", id="no role"),
        pytest.param("owner", "Not a valid choice.", id="unknown role"),
    ],
)
def test_an_approval_without_a_role_is_refused_and_changes_nothing(app, client, sign_in, role, error) -> None:
    register(app.test_client(), SCHOOL_A, "Nia Newcomer", "Teaching assistant", NEWCOMER)
    newcomer = user_id(app, NEWCOMER)
    sign_in(SENCO_A)
    action, fields = approve_form(Page(client.get("/school/900001/team")), SCHOOL_A, newcomer)
    [role_field] = [name for name in fields if name.endswith("role")]
    fields = {name: value for name, value in fields.items() if name != role_field}
    before, sent = everything_stored(app), len(emails(app))

    page = Page(client.post(action, data={**fields, **({role_field: role} if role else {})}))

    assert page.status == 400
    assert page.title == f"Error: Team: {OAKFIELD}"
    assert [message for _, message in page.error_links] == [error]
    page.assert_error_links_lead_to_fields()
    assert everything_stored(app) == before and len(emails(app)) == sent


def test_the_schools_contact_address_cannot_take_over_a_school_that_has_a_lead_either(app, client) -> None:
    register(app.test_client(), RIVERSIDE_URN, "New SENCo", "SENCo", "newsenco@riverside-primary.example.org")

    page = register(client, RIVERSIDE_URN, "Office", "Office manager", "office@riverside-primary.example.org")

    assert page.title == "Registration received"
    assert SENT_TO_LEAD_AND_LA in page.main_text
    assert team_of(app, RIVERSIDE_URN) == {"newsenco@riverside-primary.example.org": "admin"}
    assert pending_at(app, RIVERSIDE_URN) == ["office@riverside-primary.example.org"]


# 2. A school with no lead: the domain shortcut, and the LA is told -----------------------------------------


@pytest.mark.parametrize(
    ("email", "because"),
    [
        pytest.param("newsenco@riverside-primary.example.org", "is on the school's own email domain", id="domain"),
        pytest.param("office@riverside-primary.example.org", "is the school's contact address", id="contact"),
    ],
)
def test_on_a_school_with_no_lead_the_domain_makes_a_lead_at_once_and_the_la_is_told(app, client, email, because):
    page = register(client, RIVERSIDE_URN, "New SENCo", "SENCo", email)

    assert page.title == "Registration complete"
    assert role_at(app, RIVERSIDE_URN, email) == "admin"
    [to_la] = emails_to(app, LA_ADMIN)
    assert to_la["Subject"] == f"New SENCo is now school lead of {RIVERSIDE}"
    assert f"New SENCo (SENCo, {email}) became school lead of {RIVERSIDE} at once" in body(to_la)
    assert f"their email address {because}" in body(to_la)
    assert service_links(to_la) == [f"/school/{RIVERSIDE_URN}/team"]
    assert emails_to(app, LA_REVIEWER) == []
    [entry] = [entry for entry in audit_entries(app) if entry["action"] == "registered (admin)"]
    assert entry["details"]["because"] == ("domain" if "domain" in because else "contact")


def test_someone_not_on_the_domain_of_a_school_with_no_lead_waits_for_the_la(app, client, sign_in) -> None:
    page = register(client, ST_AIDANS_URN, "Sam Newcomer", "SENCo", "sam.newcomer@gmail.com")

    assert page.title == "Registration received"
    assert f"Your request to join {ST_AIDANS} has gone to the local authority." in page.main_text
    assert not SIGN_IN_LINK_WORDING.search(page.main_text)
    [to_la] = emails_to(app, LA_ADMIN)
    assert to_la["Subject"].strip() == f"Sam Newcomer asked to join {ST_AIDANS}"  # a long subject is folded
    assert "The school has no lead yet, so only the local authority can approve it" in body(to_la)

    sign_in(LA_ADMIN)
    team_page = Page(client.get(f"/school/{ST_AIDANS_URN}/team"))
    action, fields = approve_form(team_page, ST_AIDANS_URN, user_id(app, "sam.newcomer@gmail.com"))
    assert chosen_role(fields) == "admin"  # a school with no lead: the LA is usually approving its lead
    response = client.post(action, data=fields)

    assert location_path(response) == f"/school/{ST_AIDANS_URN}/team"
    assert "Sam Newcomer is approved as school lead (admin)." in Page(client.get(location_path(response))).messages
    assert team_of(app, ST_AIDANS_URN) == {"sam.newcomer@gmail.com": "admin"}


# 3. The register page says nothing about which addresses are LA accounts --------------------------------


@pytest.mark.parametrize("urn", [SCHOOL_A, ST_AIDANS_URN], ids=["school with a lead", "school with no lead"])
def test_an_la_address_gets_the_same_answer_as_any_other_address(app, urn) -> None:
    other = "someone.else@gmail.com"

    as_la = register(app.test_client(), urn, "Demo LA Admin", "SENCo", LA_ADMIN)
    as_anyone = register(app.test_client(), urn, "Demo LA Admin", "SENCo", other)

    assert as_la.status == as_anyone.status == 200
    assert as_la.title == as_anyone.title
    assert as_la.main_text.replace(LA_ADMIN, other) == as_anyone.main_text
    assert "local authority account" not in as_la.html
    assert role_at(app, urn, LA_ADMIN) is None
    assert LA_ADMIN not in pending_at(app, urn)
    explained = [message for message in emails_to(app, LA_ADMIN) if "local authority account" in body(message)]
    assert len(explained) == 1 and "/sign-in/continue" not in explained[0].get_content()
    assert ("registration refused: local authority account", f"school {urn}") in {
        (entry["action"], entry["target"]) for entry in audit_entries(app)
    }


# 4. Re-inviting someone already in the team -----------------------------------------------------------------


@pytest.mark.parametrize("manager", [SENCO_A, LA_ADMIN], ids=["school admin", "LA admin"])
def test_reinviting_a_member_keeps_their_role_and_sends_no_email(app, client, sign_in, manager) -> None:
    sign_in(manager)
    governor = user_id(app, GOVERNOR_A)
    before, sent = everything_stored(app), len(emails(app))

    page = Page(
        post(
            client,
            "/school/900001/team/invite",
            {"name": "Demo Governor, Oakfield", "email": GOVERNOR_A, "role": "contributor"},
        )
    )

    assert page.status == 400
    assert page.title == "Error: Add a colleague"
    already = "Demo Governor, Oakfield is already in the team, as viewer. To change what they can do, change their role"
    assert page.error_links == [("#email", already)]
    assert f'href="/school/900001/team/{governor}/role"' in page.html
    assert role_at(app, SCHOOL_A, GOVERNOR_A) == "viewer"
    assert everything_stored(app) == before
    assert len(emails(app)) == sent


# 5. The README's demo journey ----------------------------------------------------------------------------------


def test_the_readmes_example_registration_makes_a_lead_in_the_demo_data_of_make_run(tmp_path) -> None:
    """`make run` seeds the demo schools at every stage (Riverside has a lead there): the school the README
    suggests registering for must have none, or a newcomer would only be sending a request."""
    from form_service import create_app
    from form_service.commands import seed_demo
    from form_service.config import TestConfig
    from tests.test_service_accounts import REPO_ROOT, SERVICE_URL

    readme = " ".join((REPO_ROOT / "README.md").read_text(encoding="utf-8").split())
    example = re.search(r"for example, URN (\d{6})(?: \(.*?\))? and an address ending `@([\w.-]+)`", readme)
    assert example, "the README no longer gives an example registration"
    urn, domain = example.groups()
    settings = {"DATA_DIR": tmp_path / "data", "CONTENT_ROOT": REPO_ROOT, "SITE_DIR": tmp_path / "no-site"}
    app = create_app(TestConfig, {**settings, "SERVICE_URL": SERVICE_URL, "TODAY": "2026-11-23"})
    with app.app_context():
        seed_demo(app, programme=True)

    page = register(app.test_client(), urn, "Demo Visitor", "SENCo", f"visitor@{domain}")

    assert page.title == "Registration complete"
    assert role_at(app, urn, f"visitor@{domain}") == "admin"
    riverside = register(
        app.test_client(), RIVERSIDE_URN, "Demo Visitor", "SENCo", "visitor@riverside-primary.example.org"
    )
    assert riverside.title == "Registration received"  # the README's old example: Riverside has a lead in `make run`
