"""The WSGI entry point for `make run` (gunicorn --preload form_service.wsgi:application).

On first start in development it adds demo data and says how to sign in.
"""

from __future__ import annotations

from form_service import create_app
from form_service.commands import DEMO_PEOPLE, seed_demo
from form_service.programme.demo import programme_people
from form_service.site_files import site_and_service

app = create_app()

if app.config["ENV_NAME"] == "development":
    with app.app_context():
        created = seed_demo(app, programme=True)
    outbox = app.config["DATA_DIR"] / "outbox"
    people = [f"  {email:45} {name}" for email, name, *_ in DEMO_PEOPLE]
    people += [f"  {p.email:45} {p.name} ({p.story.replace('_', ' ')})" for p in programme_people()]
    print(
        ("Demo data created. " if created else "")
        + "Sign in at /app/sign-in as any of these demo people; the sign-in email is printed here and saved in "
        + f"{outbox}:\n"
        + "\n".join(people),
        flush=True,
    )

application = site_and_service(app, app.config["SITE_DIR"])
