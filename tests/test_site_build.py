"""`python build.py site`: the public guidance site has a page for everything in the content, says
which framework version it shows, shows every criterion, stage and contact, and is built the same way
every time without calling out to other websites."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

import build
from quality_mark import site_map
from quality_mark.loader import check_content, load_content
from quality_mark.model import Content, Framework

REPO_ROOT = Path(__file__).resolve().parent.parent
EditContent = Callable[[str, str, str], int]  # the edit_content fixture from conftest.py


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once for this module: <out>/docs (generated Markdown) and <out>/site (HTML)."""
    folder = tmp_path_factory.mktemp("build") / "out"
    assert build.main(["site", "--out", str(folder)]) == 0
    return folder


def html_file(docs_path: str) -> str:
    """Where MkDocs (with directory URLs) puts the page for a Markdown path: faq.md -> faq/index.html."""
    if docs_path == "index.md" or docs_path.endswith("/index.md"):
        return docs_path.removesuffix(".md") + ".html"
    return docs_path.removesuffix(".md") + "/index.html"


def page_text(out: Path, docs_path: str) -> str:
    """A built page's HTML with entities decoded, as a reader would see the words."""
    return unescape((out / "site" / html_file(docs_path)).read_text(encoding="utf-8"))


def criteria_pages(content: Content, framework: Framework) -> list[str]:
    return [
        site_map.framework_index(framework.id),
        site_map.checklist_path(framework.id),
        *(site_map.heading_path(framework.id, heading.id) for heading in framework.headings),
    ]


def expected_pages(content: Content) -> list[str]:
    pages = [site_map.page_path(page.slug) for page in content.pages]
    pages += [site_map.CRITERIA, site_map.STAGES, site_map.KEY_DATES, site_map.CONTACTS]
    for framework in content.current_frameworks():
        pages += criteria_pages(content, framework)
    return pages


def test_every_page_in_the_content_is_built(content: Content, out: Path) -> None:
    expected = expected_pages(content)

    missing = [path for path in expected if not (out / "site" / html_file(path)).is_file()]

    assert not missing, f"no HTML for: {missing}"
    assert {"index.md", "parents.md", "how-to-apply.md", "faq.md"} <= set(expected)
    assert len(expected) >= 24
    assert (out / "site" / site_map.CALENDAR).is_file()
    for framework in content.current_frameworks():
        assert (out / "site" / site_map.schema_path(framework.id, framework.version)).is_file()


def test_each_criteria_page_says_which_version_it_shows(content: Content, out: Path) -> None:
    for framework in content.current_frameworks():
        effective = framework.effective_from
        version_line = f"Framework version {framework.version}, in effect from {effective.day} {effective:%B %Y}."
        for path in [site_map.CRITERIA, *criteria_pages(content, framework)]:
            assert version_line in page_text(out, path), path
    assert "Framework version 1, in effect from 1 September 2026." in page_text(out, "criteria/primary/index.md")


def test_each_heading_page_shows_every_criterion_of_its_heading(content: Content, out: Path) -> None:
    for framework in content.current_frameworks():
        for heading in framework.headings:
            text = page_text(out, site_map.heading_path(framework.id, heading.id))
            assert heading.title in text
            for criterion in heading.criteria:
                assert criterion.id in text, f"{criterion.id} missing from {heading.id}"
                assert criterion.statement in text, f"{criterion.id}'s statement missing from {heading.id}"
            others = [c.id for h in framework.headings if h is not heading for c in h.criteria]
            assert not [other for other in others if re.search(rf"\b{other}\b", text)], "criteria of other headings"


def test_the_checklist_lists_every_criterion(content: Content, out: Path) -> None:
    for framework in content.current_frameworks():
        text = page_text(out, site_map.checklist_path(framework.id))
        missing = [criterion.id for criterion in framework.criteria if criterion.id not in text]
        assert not missing, f"{framework.id} checklist is missing {missing}"


def test_the_stages_page_shows_every_stage_and_the_funded_hours(content: Content, out: Path) -> None:
    text = page_text(out, site_map.STAGES)
    stages = content.timeline.stages

    assert len(stages) == 10
    for stage in stages:
        assert f"Stage {stage.number}: {stage.title}" in text
    assert f"funds {content.timeline.total_funded_hours:g} hours of specialist support" in text
    assert "funds 7 hours" in text
    assert f"Reaccreditation every {content.timeline.reaccreditation.every_years} years" in text


def test_the_contacts_page_lists_every_contact_with_example_org_addresses_only(content: Content, out: Path) -> None:
    text = page_text(out, site_map.CONTACTS)

    for contact in content.contacts:
        assert contact.email in text
        assert f'href="mailto:{contact.email}"' in text
    addresses = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text))
    assert addresses == {contact.email for contact in content.contacts}
    assert all(address.endswith("@example.org") for address in addresses), addresses


def test_the_key_dates_page_links_to_the_calendar(content: Content, out: Path) -> None:
    text = page_text(out, site_map.KEY_DATES)

    assert 'href="../key-dates.ics"' in text
    for cycle in content.key_dates.cycles:
        assert cycle.title in text
        assert f"11:59pm on {cycle.submission_deadline:%A} 30 September {cycle.submission_deadline.year}" in text


def test_the_site_can_be_searched_for_a_criterion(content: Content, out: Path) -> None:
    index = json.loads((out / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    texts = [unescape(entry["text"]) for entry in index["docs"]]
    criterion = content.framework("secondary").criteria[-1]

    assert any(criterion.statement in text for text in texts), criterion.id


class _ExternalResources(HTMLParser):
    """Collects <link href> and <script src> values."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"link": "href", "script": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def test_no_page_loads_fonts_or_scripts_from_another_website(out: Path) -> None:
    pages = sorted((out / "site").glob("**/*.html"))
    assert len(pages) > 20

    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html, page
        parser = _ExternalResources()
        parser.feed(html)
        assert parser.urls, f"{page} loads no stylesheet or script at all"
        external = [url for url in parser.urls if re.match(r"^(https?:)?//", url, re.IGNORECASE)]
        assert not external, f"{page.relative_to(out)} loads {external}"
    for asset in (out / "site").glob("**/*.css"):
        assert "fonts.googleapis.com" not in asset.read_text(encoding="utf-8"), asset


class _Scripts(HTMLParser):
    """Each <script> element of a page: its attributes and the code written inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attributes, code = self.scripts[-1]
            self.scripts[-1] = (attributes, code + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def test_no_page_has_a_script_written_inline(out: Path) -> None:
    """The site is sent the service's Content Security Policy (script-src 'self'), which blocks inline scripts."""
    pages = sorted((out / "site").glob("**/*.html"))
    assert len(pages) > 20

    for page in pages:
        parser = _Scripts()
        parser.feed(page.read_text(encoding="utf-8"))
        assert any(attributes.get("src") for attributes, _ in parser.scripts), page
        for attributes, code in parser.scripts:
            if attributes.get("type") == "application/json":
                continue  # data for the theme's script, never run
            assert attributes.get("src") and not code.strip(), f"{page.relative_to(out)} runs inline: {code[:80]!r}"


def _inline_scripts(template: Path) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", template.read_text(encoding="utf-8"))


def test_the_theme_s_inline_scripts_moved_to_files_are_those_of_the_installed_theme() -> None:
    """site_src/assets/javascripts/theme-*.js are copies of what Material writes inline: an upgrade of the theme
    that changes them fails here, so the copies are brought up to date."""
    import material

    partials = Path(material.__file__).parent / "templates" / "partials" / "javascripts"
    ours = REPO_ROOT / "site_src" / "assets" / "javascripts"
    [storage] = _inline_scripts(partials / "base.html")
    tabs_link, tab_target = _inline_scripts(partials / "content.html")
    scope_in_template = 'new URL("{{ config.extra.scope | d(base_url) }}",location)'
    assert scope_in_template in storage

    expected = {
        "theme-storage.js": storage.replace(
            scope_in_template, "new URL(document.currentScript.dataset.scope,location)"
        ),
        "theme-tabs-link.js": tabs_link,
        "theme-tab-target.js": tab_target,
    }
    for name, code in expected.items():
        lines = (ours / name).read_text(encoding="utf-8").splitlines()
        assert [line for line in lines if not line.startswith("//")] == [code], name


def test_the_generated_docs_are_the_same_every_build(out: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"

    assert build.main(["site", "--out", str(again)]) == 0

    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.glob("**/*")) if p.is_file()}

    first, second = files(out / "docs"), files(again / "docs")
    assert sorted(first) == sorted(second)
    assert [path for path in first if first[path] != second[path]] == []
    assert len([path for path in first if path.endswith(".md")]) >= 24


def test_no_generated_file_is_committed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "--", "build", "site"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert tracked.stdout == "", f"generated files are tracked by git:\n{tracked.stdout}"


GUIDANCE_END = "          explain what it means for the children they work with.\n"


def test_a_working_link_in_criterion_guidance_passes_the_check(content_copy: Path, edit_content: EditContent) -> None:
    edit_content(
        "criteria/primary/v1.yaml", GUIDANCE_END, GUIDANCE_END + "          See [the stages](../../stages.md).\n"
    )

    _, problems = check_content(content_copy)

    assert problems == [], "\n".join(map(str, problems))


def test_a_broken_link_in_criterion_guidance_stops_the_build(
    content_copy: Path, edit_content: EditContent, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = 1 + edit_content(
        "criteria/primary/v1.yaml", GUIDANCE_END, GUIDANCE_END + "          See [the stages](../../stagez.md).\n"
    )
    text = (content_copy / "criteria/primary/v1.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[line - 1].endswith("See [the stages](../../stagez.md).")
    out = tmp_path / "out"

    assert build.main(["site", "--root", str(content_copy), "--out", str(out)]) == 1

    printed = capsys.readouterr().out.splitlines()
    assert f"criteria/primary/v1.yaml:{line}: The link '../../stagez.md' points to a page that does not exist." in [
        text.split(" Fix:")[0] for text in printed
    ], printed
    assert not out.exists(), "nothing is built when the content has a problem"


def test_an_earlier_version_keeps_its_own_pages_and_its_links_still_work(
    content_copy: Path, edit_content: EditContent, tmp_path: Path
) -> None:
    shutil.copytree(REPO_ROOT / "site_src", content_copy / "site_src")
    shutil.copy(REPO_ROOT / "mkdocs.yml", content_copy / "mkdocs.yml")
    sibling_link = "          See [how needs are identified](identification.md).\n"
    edit_content("criteria/primary/v1.yaml", GUIDANCE_END, GUIDANCE_END + sibling_link)
    v1 = (content_copy / "criteria/primary/v1.yaml").read_text(encoding="utf-8")
    assert v1.count("version: 1\n") == 1 and v1.count('effective_from: "2026-09-01"') == 1
    v2 = v1.replace("version: 1\n", "version: 2\n").replace('"2026-09-01"', '"2027-09-01"')
    v2 += "changes:\n  summary: The same criteria, in effect from a year later.\n  log:\n    - No criteria changed.\n"
    (content_copy / "criteria/primary/v2.yaml").write_text(v2, encoding="utf-8")
    out = tmp_path / "out"

    assert build.main(["site", "--root", str(content_copy), "--out", str(out)]) == 0

    current = page_text(out, "criteria/primary/leadership.md")
    earlier = page_text(out, "criteria/primary/v1/leadership.md")
    assert "Framework version 2, in effect from 1 September 2027." in current
    assert "Framework version 1, in effect from 1 September 2026." in earlier
    assert 'href="../identification/"' in earlier, "the earlier version links to its own heading page"
    assert (out / "site" / html_file("criteria/primary/v1/identification.md")).is_file()
