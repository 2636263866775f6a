"""The pages of home (blueprint `home`): the start page, the health check, "Your schools" and a school's overview.

The start page and the health check are open to anyone; "Your schools" needs someone signed in, and a school's
overview a member of its team or LA staff.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, redirect, render_template, url_for

from .. import accounts
from ..accounts.auth import can_manage_team, school_member, signed_in
from ..core.content import get_content
from ..store import get_store

blueprint = Blueprint("home", __name__, template_folder="templates")

READ = {"roles": ("admin", "contributor", "viewer"), "la_roles": ("reviewer", "admin")}


@blueprint.get("/")
def start() -> str:
    return render_template("home/start.html", content=get_content())


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the store is reachable and writable; 503 otherwise. Says which content is loaded."""
    content = get_content()
    store_ok = get_store().ping()
    body = {
        "status": "ok" if store_ok else "unavailable",
        "store": "ok" if store_ok else "unreachable",
        "content": {framework.id: framework.version for framework in content.current_frameworks()},
    }
    return jsonify(body), 200 if store_ok else 503


@blueprint.get("/school/")
@signed_in
def my_schools() -> str | Response:
    if g.user.is_la:
        return redirect(url_for("programme.dashboard"))
    store = get_store()
    schools = [accounts.get_school(store, urn) for urn in accounts.school_urns_of(store, g.user.id)]
    schools = [s for s in schools if s]
    if len(schools) == 1:
        return redirect(url_for("home.school", urn=schools[0]["urn"]))
    return render_template("home/my_schools.html", schools=schools)


@blueprint.get("/school/<urn>/")
@school_member(**READ)
def school(urn: str) -> str:
    return render_template("home/school.html", school=g.school, role=g.school_role, can_manage=can_manage_team())
