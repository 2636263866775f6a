"""The JSON API under /app/api/: a self-evaluation read whole and its answers saved one criterion at a time (the
form's autosave), the session's CSRF token, and the API's OpenAPI description.

A package of its own rather than part of `form_service.self_evaluation`: its addresses live under /api/, not a
school's pages, `/api/session` is about the signed-in browser rather than any self-evaluation, and sign-in
answers its requests in JSON (`auth` tells them by the blueprint's name, `api`). The rules it applies are the
self-evaluation's own (`self_evaluation.save_answer`, `confirm_answer`), so the form and the API agree.

`views.py` holds the endpoints (blueprint `api`) and the checks on a request's JSON body; `openapi.py` writes
the OpenAPI 3.1 description served at /app/api/openapi.json.
"""
