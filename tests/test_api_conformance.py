"""The JSON API does what its OpenAPI description says: schemathesis, every check, signed in as a school lead.

Schemathesis sends what the description allows and what it does not (bodies that break it, methods it does not
list, calls without the session or its CSRF token) to the whole service (site and /app/, as `make run` serves
it), then checks every answer: never a server error; only documented status codes and content types; bodies
that match their schemas; valid input accepted and invalid input refused; 405s that carry an Allow header;
writes refused without the session. The run is bounded and deterministic: the same verdict every time, quickly.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig

from form_service import create_app, self_evaluation
from form_service.accounts import get_school
from form_service.api.openapi import CSRF_HEADER
from form_service.commands import seed_demo
from form_service.config import TestConfig
from form_service.core.content import get_content
from form_service.site_files import site_and_service
from form_service.store import get_store
from tests.conftest import REPO_ROOT, Outbox, SignIn

SENCO = "senco@oakfield-primary.example.org"  # school lead (admin) of Oakfield Primary
OAKFIELD = "900001"  # its URN, as in form_service/demo/schools.csv
TODAY = "2026-11-23"
MAX_EXAMPLES = 40  # generated cases per operation, beside those built from the description's constraints
COOKIE = TestConfig.SESSION_COOKIE_NAME


def signed_in_service(data_dir: Path) -> tuple[Any, str, str]:
    """The service on a fresh data folder with Oakfield's self-evaluation begun, and the session cookie and CSRF
    token of its school lead, signed in as a person is (an emailed link, then Continue)."""
    app = create_app(
        TestConfig,
        {
            "DATA_DIR": data_dir,
            "CONTENT_ROOT": REPO_ROOT,
            "SITE_DIR": data_dir / "no-site",
            "SERVICE_URL": "http://localhost/app",
            "TODAY": TODAY,
            "SESSION_IDLE_MINUTES": 24 * 60,  # the session is made when the suite starts, used when this test runs
            # Answer as in production: a failure is a 500 for schemathesis to see, not an exception raised here.
            "PROPAGATE_EXCEPTIONS": False,
        },
    )
    with app.app_context():
        seed_demo(app)
        content, store = get_content(), get_store()
        cycle = self_evaluation.current_cycle(content, self_evaluation.date.fromisoformat(TODAY))
        self_evaluation.start(store, content, get_school(store, OAKFIELD), cycle)
    client = app.test_client()
    SignIn(client, Outbox(data_dir / "outbox"))(SENCO)
    token = client.get("/api/session").get_json()["csrf_token"]
    cookie = client.get_cookie(COOKIE)  # after the token is made: the session holds what it is checked against
    assert cookie is not None
    return app, cookie.value, token


# Schemathesis' pytest integration needs the description when the module is loaded, and builds some cases (with
# their credentials) then: so the service is made, and its school lead signed in, as the module loads.
DATA_DIR = Path(tempfile.mkdtemp(prefix="qm-api-conformance-"))
atexit.register(shutil.rmtree, DATA_DIR, ignore_errors=True)
APP, SESSION, CSRF_TOKEN = signed_in_service(DATA_DIR)
SERVICE = site_and_service(APP, APP.config["SITE_DIR"])  # the site at /, the service at /app/, as `make run` has
schema = schemathesis.openapi.from_wsgi(
    "/app/api/openapi.json",
    SERVICE,
    config=SchemathesisConfig.from_dict(
        {
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            # Any other school is a 404, which tells nothing about the API.
            "parameters": {"path.urn": OAKFIELD},
            # The credentials the description names: the session cookie, and the CSRF token in its header.
            "auth": {"openapi": {"session": {"api_key": SESSION}, "csrf": {"api_key": CSRF_TOKEN}}},
        }
    ),
)


def test_the_school_lead_is_signed_in_for_the_run() -> None:
    client = APP.test_client()
    client.set_cookie(COOKIE, SESSION)
    assert client.get(f"/api/schools/{OAKFIELD}/self-evaluation").status_code == 200
    body = {"rating": 3, "commentary": "Shared vision.", "base_revision": 0}
    saved = client.put(
        f"/api/schools/{OAKFIELD}/self-evaluation/answers/PRI-LEAD-04", json=body, headers={CSRF_HEADER: CSRF_TOKEN}
    )
    assert saved.status_code == 200


@schema.parametrize()
def test_the_api_does_what_its_description_says(case: Any) -> None:
    case.call_and_validate()
