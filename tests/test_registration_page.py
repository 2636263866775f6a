"""The public site's "Register your school" page carries the service's registration form."""

from __future__ import annotations

import re

from form_service.forms import RegistrationForm
from quality_mark import site_map
from quality_mark.loader import load_content
from quality_mark.site_pages import REGISTRATION_FIELDS, registration_page


def test_the_site_form_asks_for_exactly_what_the_service_checks(app) -> None:
    with app.test_request_context():
        service_fields = {field.name for field in RegistrationForm(meta={"csrf": False})}
    assert {name for name, *_ in REGISTRATION_FIELDS} == service_fields


def test_the_site_form_posts_to_the_check_step_with_a_label_for_every_field() -> None:
    page = registration_page(load_content())
    assert f'action="{site_map.REGISTRATION_CHECK}"' in page
    for name, label, *_ in REGISTRATION_FIELDS:
        assert f'<label class="qm-label" for="register-{name}">{label}</label>' in page
        assert re.search(rf'<input[^>]+id="register-{name}"[^>]+name="{name}"', page)


def test_answers_posted_from_the_site_come_back_to_check_and_nothing_is_stored(app, client, outbox) -> None:
    from form_service import accounts
    from form_service.store import get_store

    answers = {
        "urn": "900002",
        "name": "Demo Site Visitor",
        "job_title": "SENCo",
        "email": "lead@riverside-primary.example.org",
    }
    response = client.post("/register/check", data=answers)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Check your details" in page and "Riverside Community Primary School" in page
    assert 'name="csrf_token"' in page
    with app.app_context():
        assert accounts.find_user_by_email(get_store(), answers["email"]) is None
    assert all(message["To"] != answers["email"] for message in outbox.messages())
