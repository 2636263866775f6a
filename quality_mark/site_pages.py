"""The public guidance site as plain Markdown pages, generated from the content model.

Pure: `site_pages(content)` returns {path: text}; `site_nav(content)` returns the MkDocs nav. build.py
writes them out. Plain Markdown (no MkDocs hooks or plugins) keeps the site portable.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from . import site_map
from .changes_page import changes_page
from .model import Content, Cycle, EvidenceItem, Framework, Heading, Stage
from .register_page import holders_page
from .wording import clock_time, hours, long_date, short_date

# Where generated pages sit among the editors' pages in the top navigation (editors set `order`).
NAV_ORDER = {"holders": 2, "register": 3, "criteria": 4, "stages": 5, "key-dates": 7, "contacts": 8}

# The registration form's fields (name, label, hint, autocomplete); the service's RegistrationForm has the same.
REGISTRATION_FIELDS = (
    ("urn", "School URN", "Your school's unique reference number (6 digits), for example 123456.", "off"),
    ("name", "Full name", "", "name"),
    ("job_title", "Job title", "For example, SENCo or Assistant Headteacher (Inclusion).", "organization-title"),
    ("email", "Work email address", "Use your school email address. We will send a sign-in link to it.", "email"),
)


def _front(title: str, description: str) -> str:
    safe = description.replace('"', "'")
    return f'---\ntitle: "{title}"\ndescription: "{safe}"\n---\n\n# {title}\n\n'


def _version_line(framework: Framework, here: str | None = None) -> str:
    """Which version a page shows; on a page at `here`, with a link to the framework's What changed page."""
    changes = f" [What changed]({_relative(here, site_map.changes_path(framework.id))})" if here else ""
    return (
        f"Framework version {framework.version}, in effect from {short_date(framework.effective_from)}.{changes}\n"
        "{: .qm-version }\n\n"
    )


def _relative(from_path: str, to_path: str) -> str:
    """A Markdown link target from one docs path to another."""
    import posixpath

    return posixpath.relpath(to_path, posixpath.dirname(from_path) or ".")


def guidance_page(content: Content, slug: str) -> str:
    page = content.page(slug)
    return _front(page.title, page.description) + page.body.lstrip("\n")


def criteria_index(content: Content) -> str:
    text = _front(
        "The criteria",
        "The criteria a school is assessed against for the SEND and Inclusion Quality Mark.",
    )
    text += (
        "Each school rates itself against the criteria for its phase, explains each rating and "
        "points to its evidence. The local authority then checks the self-evaluation.\n\n"
    )
    for framework in content.current_frameworks():
        here = site_map.CRITERIA
        text += f"## {framework.title}\n\n"
        text += _version_line(framework, here)
        text += f"{framework.summary}\n\n"
        text += (
            f"{len(framework.criteria)} criteria under {len(framework.headings)} headings. "
            f"[Read the {framework.title.lower()} criteria]"
            f"({_relative(here, site_map.framework_index(framework.id))}) or "
            f"[print the checklist]({_relative(here, site_map.checklist_path(framework.id))}).\n\n"
        )
    return text


def _folder_version(content: Content, framework: Framework) -> int | None:
    """None for the current version (it lives at criteria/<id>/), else the version number."""
    return None if content.framework(framework.id).version == framework.version else framework.version


def framework_index(content: Content, framework: Framework) -> str:
    where = _folder_version(content, framework)
    here = site_map.framework_index(framework.id, where)
    title = f"{framework.title}: criteria" + (f" (version {framework.version})" if where else "")
    text = _front(title, f"The SEND and Inclusion Quality Mark criteria for {framework.title.lower()}.")
    text += _version_line(framework, here)
    if where:
        current = content.framework(framework.id)
        text += (
            f'!!! note "An earlier version"\n    This is version {framework.version}. The current version is '
            f"[version {current.version}]({_relative(here, site_map.framework_index(framework.id))}).\n\n"
        )
    text += f"{framework.summary}\n\n## The headings\n\n"
    text += "| Heading | Criteria | Required |\n| --- | --- | --- |\n"
    for heading in framework.headings:
        link = _relative(here, site_map.heading_path(framework.id, heading.id, where))
        required = sum(1 for c in heading.criteria if c.required)
        text += f"| [{heading.title}]({link}) | {len(heading.criteria)} | {required} |\n"
    text += (
        f"\nSee [what changed between versions]({_relative(here, site_map.changes_path(framework.id))}) "
        "of these criteria.\n"
    )
    text += "\n## How schools rate themselves\n\n"
    text += "| Rating | Meaning |\n| --- | --- |\n"
    for level in framework.rating_scale.levels:
        text += f"| {level.value}: {level.label} | {level.description} |\n"
    thresholds = framework.thresholds
    text += (
        f"\nA criterion or heading scoring **{thresholds.strength:g} or more** is one of the school's "
        f"strengths. One scoring **{thresholds.development:g} or less** is an area for development.\n\n"
        "## Printing and reuse\n\n"
        f"- [Printable checklist of all criteria]({_relative(here, site_map.checklist_path(framework.id, where))})\n"
        f"- [JSON Schema for a self-evaluation response]"
        f"({_relative(here, site_map.schema_path(framework.id, framework.version))}) "
        "(for software suppliers)\n"
    )
    others = [f for f in content.versions_of(framework.id) if f.version != framework.version]
    if others:
        text += "\n## Other versions\n\n"
        for other in reversed(others):
            link = _relative(here, site_map.framework_index(other.id, _folder_version(content, other)))
            text += f"- [Version {other.version}]({link}), from {short_date(other.effective_from)}\n"
    return text


def heading_page(content: Content, framework: Framework, heading: Heading) -> str:
    where = _folder_version(content, framework)
    text = _front(heading.title, f"{framework.title}: {heading.summary}")
    text += _version_line(framework, site_map.heading_path(framework.id, heading.id, where))
    text += f"{heading.summary}\n\n"
    for criterion in heading.criteria:
        required = "Required" if criterion.required else "Optional: a stretch criterion"
        text += f"## {criterion.id} {{ #{criterion.id.lower()} }}\n\n"
        text += f'<p class="qm-statement">{escape(criterion.statement)}</p>\n\n'
        text += f'<p class="qm-tag">{required}</p>\n\n'
        text += f"### What this looks like\n\n{criterion.guidance}\n\n"
        text += "### Examples of evidence\n\n"
        text += "".join(f"- {example}\n" for example in criterion.evidence_examples)
        text += f"\n### The next level\n\n{criterion.next_level}\n\n"
    back = _relative(
        site_map.heading_path(framework.id, heading.id, where), site_map.framework_index(framework.id, where)
    )
    text += f"[All {framework.title.lower()} headings]({back})\n"
    return text


def checklist_page(content: Content, framework: Framework) -> str:
    title = f"{framework.title}: printable checklist"
    here = site_map.checklist_path(framework.id, _folder_version(content, framework))
    text = _front(title, f"Every {framework.title.lower()} criterion on one page, to print and fill in.")
    text += _version_line(framework, here)
    scale = ", ".join(f"{level.value} {level.label}" for level in framework.rating_scale.levels)
    text += (
        f"Use this list to plan or discuss your self-evaluation. Ratings: {scale}. "
        "Optional criteria are marked; all others are required.\n\n"
    )
    for heading in framework.headings:
        text += f"## {heading.title}\n\n| ID | Criterion | Rating | Notes |\n| --- | --- | --- | --- |\n"
        for criterion in heading.criteria:
            optional = " *(optional)*" if not criterion.required else ""
            text += f"| {criterion.id} | {criterion.statement}{optional} | | |\n"
        text += "\n"
    return text


def _stage_card(stage: Stage) -> str:
    funded = f'<p class="qm-hours">{hours(stage.funded_hours)} funded</p>' if stage.funded_hours else ""
    return (
        f'<li class="qm-timeline__stage">'
        f'<p class="qm-timeline__when">{escape(stage.timescale)}</p>'
        f'<h3 class="qm-timeline__title"><a href="#stage-{stage.number}">'
        f"Stage {stage.number}: {escape(stage.title)}</a></h3>"
        f"<p>{escape(stage.summary)}</p>{funded}</li>\n"
    )


def stages_page(content: Content) -> str:
    timeline = content.timeline
    text = _front(
        "The stages", "The ten stages of the Quality Mark, with timescales, who is involved and funded hours."
    )
    text += (
        f"The Quality Mark takes a school through {len(timeline.stages)} stages, usually over about a year "
        f"and a term. The local authority funds {hours(timeline.total_funded_hours)} of specialist support.\n\n"
        "## Timeline\n\n"
    )
    repeated = set(timeline.reaccreditation.repeats_stages)
    text += '<ol class="qm-timeline">\n' + "".join(_stage_card(s) for s in timeline.stages) + "</ol>\n\n"
    text += "## At a glance\n\n| Stage | When | Who | Funded hours | Repeated at reaccreditation |\n"
    text += "| --- | --- | --- | --- | --- |\n"
    for stage in timeline.stages:
        text += (
            f"| [{stage.number}. {stage.title}](#stage-{stage.number}) | {stage.timescale} | "
            f"{', '.join(stage.who)} | {stage.funded_hours:g} | {'Yes' if stage.number in repeated else 'No'} |\n"
        )
    text += f"| **Total** | | | **{timeline.total_funded_hours:g}** | |\n\n"
    for stage in timeline.stages:
        text += f"## Stage {stage.number}: {stage.title} {{ #stage-{stage.number} }}\n\n"
        text += f"**When:** {stage.timescale}  \n**Who:** {', '.join(stage.who)}  \n"
        if stage.funded_hours:
            text += f"**Funded support:** {hours(stage.funded_hours)}  \n"
        text += f"\n{stage.guidance}\n\n"
        if stage.evidence:
            text += "What to have ready:\n\n" + "".join(f"- {item}\n" for item in stage.evidence) + "\n"
        if any(item.stage == stage.number for item in content.evidence_checklist):
            text += f"The [evidence checklist]({site_map.EVIDENCE}) says what to provide and how.\n\n"
        contacts = [content.contact(contact_id) for contact_id in stage.contact_ids]
        if contacts:
            names = ", ".join(f"[{c.role}, {c.team}]({site_map.CONTACTS}#{c.id})" for c in contacts)
            text += f"Contact: {names}.\n\n"
        if stage.page_slugs:
            pages = ", ".join(f"[{content.page(slug).title}]({site_map.page_path(slug)})" for slug in stage.page_slugs)
            text += f"Read more: {pages}.\n\n"
    reaccreditation = timeline.reaccreditation
    text += f"## Reaccreditation every {reaccreditation.every_years} years\n\n{reaccreditation.summary}\n"
    return text


def _cycle_rows(cycle: Cycle) -> str:
    deadline = cycle.submission_deadline
    rows = [
        (cycle.registration_opens, "", "Registration opens", "Schools can register online from today.", ""),
        (
            deadline.date(),
            clock_time(deadline),
            "Self-evaluation deadline",
            "Submit your self-evaluation by this time.",
            "",
        ),
    ]
    for event in cycle.events:
        starts = event.starts_at
        rows.append(
            (
                event.date,
                clock_time(starts) if starts else "",
                event.title,
                event.description,
                str(event.stage or ""),
            )
        )
    rows.sort(key=lambda row: row[0])
    text = "| Date | What | Stage |\n| --- | --- | --- |\n"
    for day, time, title, description, stage in rows:
        when = long_date(day) + (f", {time}" if time else "")
        text += f"| {when} | **{title}**: {description} | {stage} |\n"
    return text


def key_dates_page(content: Content) -> str:
    key_dates = content.key_dates
    text = _front("Key dates", "Registration, deadlines, visits and panels for each year of the Quality Mark.")
    text += (
        "All times are UK time. "
        f"[Add these dates to your calendar]({site_map.CALENDAR}) (an iCalendar file that Outlook, Google "
        "Calendar and Apple Calendar can import).\n\n"
        f"These dates were last updated on {short_date(key_dates.updated)}.\n\n"
    )
    for cycle in sorted(key_dates.cycles, key=lambda c: c.id, reverse=True):
        deadline = cycle.submission_deadline
        text += f"## {cycle.title} {{ #cycle-{cycle.id} }}\n\n"
        text += (
            f"Registration opens on **{long_date(cycle.registration_opens)}**. The deadline for "
            f"self-evaluations is **{clock_time(deadline)} on {long_date(deadline.date())}**.\n\n"
        )
        text += _cycle_rows(cycle) + "\n"
    return text


# Shown with every evidence item marked `no_pupil_names` (the default), on the site and in the service.
NO_PUPIL_NAMES = (
    "Use whole-school or group figures. Do not include pupils' names or anything that could identify a pupil."
)


def _evidence_item(item: EvidenceItem, content: Content) -> str:
    text = f"## {item.title} {{ #{item.id} }}\n\n{item.description}\n\n"
    if item.stage is not None:
        stage = content.timeline.stage(item.stage)
        text += f"Provided at [stage {stage.number}: {stage.title}]({site_map.STAGES}#stage-{stage.number}).\n\n"
    text += "For example:\n\n" + "".join(f"- {example}\n" for example in item.examples) + "\n"
    if item.guidance:
        text += f"{item.guidance}\n\n"
    if item.no_pupil_names:
        text += f"**Do not identify pupils.** {NO_PUPIL_NAMES}\n\n"
    return text


def evidence_page(content: Content) -> str:
    """The evidence checklist: every item the local authority asks schools to provide."""
    text = _front("Evidence checklist", "The evidence a school provides for the SEND and Inclusion Quality Mark.")
    items = content.evidence_checklist
    text += (
        f"The local authority asks every school for the {len(items)} kinds of evidence below. Schools sign in "
        f"to the [self-evaluation service]({site_map.SERVICE}sign-in) to upload files (PDF, Word, Excel or "
        "images) and add notes against each item. The local authority's reviewers and its panel read the "
        "evidence with the school's self-evaluation.\n\n"
    )
    text += "".join(f"- [{item.title}](#{item.id})\n" for item in items) + "\n"
    return text + "".join(_evidence_item(item, content) for item in items)


def contacts_page(content: Content) -> str:
    text = _front("Contacts", "Who to contact at the local authority about the Quality Mark.")
    text += "Contact the team that fits your question. We aim to reply within 3 working days.\n\n"
    for contact in content.contacts:
        text += f"## {contact.role} {{ #{contact.id} }}\n\n{contact.team}\n\n{contact.about}\n\n"
        text += f"- Email: [{contact.email}](mailto:{contact.email})\n"
        if contact.phone:
            text += f"- Phone: [{contact.phone}](tel:{contact.phone.replace(' ', '')})\n"
        text += "\n"
    return text


def _registration_field(name: str, label: str, hint: str, autocomplete: str) -> str:
    described = f' aria-describedby="register-{name}-hint"' if hint else ""
    hint_html = f'<div class="qm-hint" id="register-{name}-hint">{escape(hint)}</div>' if hint else ""
    kind = "email" if name == "email" else "text"
    width = "qm-input--10" if name == "urn" else "qm-input--full"
    return (
        f'<div class="qm-form-group"><label class="qm-label" for="register-{name}">{escape(label)}</label>'
        f'{hint_html}<input class="qm-input {width}" id="register-{name}" name="{name}" type="{kind}" '
        f'autocomplete="{autocomplete}" spellcheck="false"{described}></div>\n'
    )


def registration_page(content: Content) -> str:
    """The public "Register your school" page, with the service's registration form in it.

    The form posts to the service's check step, which stores nothing and shows the answers back with
    a CSRF-protected form, so a static page can carry it and it works without JavaScript.
    """
    text = _front("Register your school", "Register your school for the SEND and Inclusion Quality Mark.")
    cycles = sorted(content.key_dates.cycles, key=lambda cycle: cycle.registration_opens)
    text += "Register as your school's lead for the Quality Mark (usually the SENCo). "
    text += "You can add colleagues once you are signed in.\n\n"
    for cycle in cycles:
        deadline = cycle.submission_deadline
        text += (
            f"- {cycle.title}: registration opens on {long_date(cycle.registration_opens)}; self-evaluations are "
            f"due by {clock_time(deadline)} on {long_date(deadline.date())}.\n"
        )
    text += (
        f'\n<form class="qm-register" method="post" action="{site_map.REGISTRATION_CHECK}" novalidate>\n'
        + "".join(_registration_field(*field) for field in REGISTRATION_FIELDS)
        + '<button type="submit" class="qm-button">Continue</button>\n</form>\n\n'
        f"Already registered? [Sign in to the service]({site_map.SERVICE}sign-in). "
        f"Do not know your URN? [Find your school's URN]({site_map.SERVICE}schools).\n"
    )
    return text


def site_pages(content: Content, register: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Every generated Markdown page of the site, by its path under the docs folder. `register` is the
    published register of schools holding the mark, if there is one (quality_mark/register.py)."""
    pages = {site_map.page_path(page.slug): guidance_page(content, page.slug) for page in content.pages}
    pages[site_map.HOLDERS] = holders_page(content, register)
    pages[site_map.CRITERIA] = criteria_index(content)
    pages[site_map.STAGES] = stages_page(content)
    pages[site_map.KEY_DATES] = key_dates_page(content)
    pages[site_map.CONTACTS] = contacts_page(content)
    pages[site_map.REGISTER] = registration_page(content)
    pages[site_map.EVIDENCE] = evidence_page(content)
    for framework in content.frameworks:
        where = _folder_version(content, framework)
        pages[site_map.framework_index(framework.id, where)] = framework_index(content, framework)
        pages[site_map.checklist_path(framework.id, where)] = checklist_page(content, framework)
        for heading in framework.headings:
            pages[site_map.heading_path(framework.id, heading.id, where)] = heading_page(content, framework, heading)
    for framework_id in content.framework_ids():
        pages[site_map.changes_path(framework_id)] = changes_page(content, framework_id)
    return pages


def _framework_nav(content: Content, framework: Framework) -> list[Any]:
    where = _folder_version(content, framework)
    entries: list[Any] = [site_map.framework_index(framework.id, where)]
    entries += [{h.title: site_map.heading_path(framework.id, h.id, where)} for h in framework.headings]
    entries.append({"Printable checklist": site_map.checklist_path(framework.id, where)})
    entries.append({"What changed": site_map.changes_path(framework.id)})
    return entries


def site_nav(content: Content) -> list[Any]:
    """The MkDocs `nav`: editors' pages by their `order`, generated sections in between."""
    criteria: list[Any] = [site_map.CRITERIA]
    for framework in content.current_frameworks():
        criteria.append({framework.title: _framework_nav(content, framework)})
    entries: list[tuple[int, Any]] = [
        (
            page.order,
            {("Home" if page.slug == "index" else page.menu_title or page.title): site_map.page_path(page.slug)},
        )
        for page in content.pages
    ]
    entries += [
        (NAV_ORDER["holders"], {"Schools with the mark": site_map.HOLDERS}),
        (NAV_ORDER["register"], {"Register": site_map.REGISTER}),
        (NAV_ORDER["criteria"], {"Criteria": criteria}),
        (NAV_ORDER["stages"], {"Stages": [site_map.STAGES, {"Evidence checklist": site_map.EVIDENCE}]}),
        (NAV_ORDER["key-dates"], {"Key dates": site_map.KEY_DATES}),
        (NAV_ORDER["contacts"], {"Contacts": site_map.CONTACTS}),
    ]
    return [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]
