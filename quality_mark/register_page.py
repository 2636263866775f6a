"""The public site's "Schools holding the mark" page, generated from the register (or from its absence).

Pure: `holders_page(content, register)` returns Markdown. School names come from the service, so every
value goes into an HTML table escaped: a name can never become a link, markup or a script on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from html import escape
from typing import Any

from . import site_map
from .model import Content
from .register import updated_at
from .wording import clock_time, short_date

TITLE = "Schools holding the mark"
DESCRIPTION = "The schools that hold the SEND and Inclusion Quality Mark today, with award and expiry dates."


def _row(entry: Mapping[str, Any]) -> str:
    awarded, expires = date.fromisoformat(entry["awarded_on"]), date.fromisoformat(entry["expires_on"])
    return (
        f'<tr><th scope="row">{escape(entry["name"])}</th><td>{escape(entry["phase"])}</td>'
        f"<td>{short_date(awarded)}</td><td>{short_date(expires)}</td></tr>\n"
    )


def _table(schools: list[Mapping[str, Any]]) -> str:
    count = f"{len(schools)} school holds" if len(schools) == 1 else f"{len(schools)} schools hold"
    return (
        '<table class="qm-table">\n'
        f"<caption>{count} the mark</caption>\n"
        '<thead><tr><th scope="col">School</th><th scope="col">Phase</th>'
        '<th scope="col">Award date</th><th scope="col">Expiry date</th></tr></thead>\n'
        "<tbody>\n" + "".join(_row(entry) for entry in schools) + "</tbody>\n</table>\n\n"
    )


def holders_page(content: Content, register: Mapping[str, Any] | None) -> str:
    """The page for `register` (already cut to the awards current on the day the site is built). With no
    register the page says plainly that the list has not been published, never that no school holds the mark."""
    every = content.timeline.reaccreditation.every_years
    text = f'---\ntitle: "{TITLE}"\ndescription: "{DESCRIPTION}"\n---\n\n# {TITLE}\n\n'
    text += (
        "The local authority awards the Quality Mark to a school after its panel has checked the school's "
        f"self-evaluation and evidence. An award lasts {every} years; the school then applies again to keep it "
        f"(see [the stages]({site_map.STAGES})). A school leaves this list when its award runs out.\n\n"
    )
    if register is None:
        return text + (
            "The list of schools holding the mark has not been published on this website yet. To ask whether a "
            f"school holds the mark, [contact the Quality Mark team]({site_map.CONTACTS}).\n"
        )
    moment = updated_at(register)
    text += f"**Last updated:** {short_date(moment.date())} at {clock_time(moment)} (UK time).\n\n"
    schools = list(register["schools"])
    text += _table(schools) if schools else "No school holds the mark at the moment.\n\n"
    text += (
        "## Open data\n\n"
        "The same list, free to reuse, with each school's unique reference number (URN):\n\n"
        f"- [Download the list as a spreadsheet (CSV)]({site_map.REGISTER_CSV})"
        '{ download="schools-holding-the-mark.csv" }\n'
        f'- [Download the list as JSON]({site_map.REGISTER_JSON}){{ download="schools-holding-the-mark.json" }}\n'
    )
    return text
