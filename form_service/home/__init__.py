"""Where people land: the service's start page, the health check, "Your schools" and each school's overview.

The pages only (no rules of their own): `views.py` holds them as blueprint `home` — ``/`` (the start page, for
anyone), ``/healthz`` (for monitoring: is the store reachable, which content is loaded), ``/school/`` (the
signed-in person's schools, or straight to their one school) and ``/school/<urn>/`` (a school's overview, the
hub that links to every area's pages for that school) — and their templates are under `templates/home/`.
Signing in and the school's team are in `form_service.accounts`, registering in `form_service.registration`.
"""
