"""Make service pages look like part of the guidance site: its stylesheets and its top navigation."""

from __future__ import annotations

from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import markdown
from flask import Flask
from markupsafe import Markup

from quality_mark.model import LONDON
from quality_mark.site_pages import site_nav
from quality_mark.wording import clock_time, short_date

from .content import get_content


def doc_url(path: str) -> str:
    """The site URL of a docs path: 'index.md' -> '/', 'criteria/index.md' -> '/criteria/'."""
    stem = path.removesuffix(".md").removesuffix("index")
    return "/" + stem if stem.endswith("/") or not stem else "/" + stem + "/"


def site_tabs() -> list[tuple[str, str]]:
    """The site's top navigation as (title, URL) pairs, from the same content as the site."""
    tabs = []
    for entry in site_nav(get_content()):
        ((title, target),) = entry.items()
        first = target if isinstance(target, str) else target[0]
        tabs.append((title, doc_url(first if isinstance(first, str) else next(iter(first.values())))))
    return tabs


@cache
def site_stylesheets(site_dir: Path) -> tuple[str, ...]:
    """The built site's theme stylesheets (their names carry a content hash), then our own."""
    found = sorted(path.relative_to(site_dir).as_posix() for path in site_dir.glob("assets/stylesheets/*.min.css"))
    found.sort(key=lambda name: 0 if "/main." in name else 1)
    return (*("/" + name for name in found), "/stylesheets/extra.css")


# A school's sections, in order: (endpoint, title). Each area's blueprint provides its endpoint.
SCHOOL_SECTIONS = (
    ("home.school", "Overview"),
    ("self_evaluation.overview", "Self-evaluation"),
    ("self_evaluation.analysis", "Strengths and development"),
    ("actions.plan", "Action plan"),
    ("evidence.checklist", "Evidence"),
    ("self_evaluation.check", "Check and submit"),
    ("programme.school_view", "Stages and funded hours"),
    ("moderation.feedback", "LA feedback"),
    ("accounts.team", "Team"),
)

# The local authority's sections: (endpoint, title, LA roles that see it). Each area's blueprint provides its endpoint.
LA_SECTIONS = (
    ("programme.dashboard", "Schools", ("reviewer", "admin")),
    ("insight.heatmap", "Insight", ("reviewer", "admin")),
    ("year_on_year.la_page", "Year on year", ("reviewer", "admin")),
    ("la.import_schools", "Import schools", ("admin",)),
    ("la.audit_log", "Audit log", ("admin",)),
    ("reminders.overview", "Reminders", ("reviewer", "admin")),
    ("versions.frameworks", "Framework versions", ("reviewer", "admin")),
)


@lru_cache(maxsize=4096)
def guidance_html(text: str) -> Markup:
    """Guidance written by the LA's editors (reviewed in pull requests), as on the public site. The same few
    hundred texts are shown again and again, and making a Markdown parser costs more than using it: each text
    is converted once per worker."""
    return Markup(markdown.markdown(text))


def init_app(app: Flask) -> None:
    def school_sections() -> list[tuple[str, str]]:
        return [(endpoint, title) for endpoint, title in SCHOOL_SECTIONS if endpoint in app.view_functions]

    def la_sections(la_role: str | None) -> list[tuple[str, str]]:
        return [
            (endpoint, title)
            for endpoint, title, roles in LA_SECTIONS
            if endpoint in app.view_functions and la_role in roles
        ]

    app.add_template_filter(lambda text: guidance_html(text or ""), "markdown")

    @app.template_filter("london_time")
    def london_time(moment: str | datetime) -> str:
        """'23 November 2026 at 10:42am' in UK time, from an ISO timestamp."""
        value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        local = value.astimezone(LONDON)
        return f"{short_date(local.date())} at {clock_time(local)}"

    @app.context_processor
    def theme() -> dict[str, Any]:
        return {
            "site_tabs": site_tabs(),
            "site_stylesheets": site_stylesheets(Path(app.config["SITE_DIR"])),
            "school_sections": school_sections,
            "la_sections": la_sections,
            "london_tz": LONDON,
        }
