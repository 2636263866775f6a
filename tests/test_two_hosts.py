"""Two application hosts sharing one PostgreSQL database, as an LA behind a load balancer would run them.

Two real gunicorn servers (2 workers each, --preload, as `make run`), each with its own DATA_DIR (nothing on
disk is shared: their outboxes differ) and the same SECRET_KEY and DATABASE_URL, on a throwaway PostgreSQL
server. A person's browser (a `requests` session: cookies, CSRF tokens read from the pages) moves between
them; everything one host does is seen at once on the other.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.hosts import Browser, Host, autosave, flask_command, heading_page, service_environment

SENCO = "senco@oakfield-primary.example.org"
OAKFIELD = "900001"
HILLCREST_LEAD = "inclusion@hillcrest-academy.example.org"
HILLCREST = "900004"
REVIEWER = "la.reviewer@example.org"
NOW = "2026-11-23T10:00:00+00:00"  # in the 2026-27 cycle, before its deadline


@dataclass
class Hosts:
    a: Host
    b: Host


@pytest.fixture(scope="module")
def hosts(postgres_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    folder = tmp_path_factory.mktemp("two-hosts")
    with postgres_server.database() as url:
        shared = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "QM_NOW": NOW}
        seeder = folder / "seed"
        print(flask_command(service_environment(seeder / "data", seeder / "site", **shared), "seed-demo"))
        a, b = Host(folder / "a", **shared), Host(folder / "b", **shared)
        try:
            a.start()
            b.start()
            yield Hosts(a, b)
        finally:
            a.stop()
            b.stop()


def signed_in(browser: Browser, host: Host) -> bool:
    """Whether the host says this browser's cookie is a signed-in session."""
    return browser.get(f"{host.base}/app/api/session").json()["signed_in"]


def answers_on(browser: Browser, host: Host, urn: str) -> dict:
    response = browser.get(f"{host.base}/app/api/schools/{urn}/self-evaluation")
    assert response.status_code == 200, response.text[:500]
    return response.json()["answers"]


def dashboard_row(browser: Browser, host: Host, urn: str) -> str:
    """The text of the school's row in the LA dashboard on `host`, tags stripped."""
    page = browser.get(f"{host.base}/app/la/", params={"search": urn})
    assert page.status_code == 200, page.text[:500]
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", page.text, re.S) if f"<td>{urn}</td>" in row]
    assert len(rows) == 1, page.text[-3000:]
    return " ".join(re.sub(r"<[^>]+>", " ", rows[0]).split())


def emails_in(host: Host) -> int:
    return len(list(host.outbox.glob("*.eml"))) if host.outbox.exists() else 0


def test_signed_in_on_one_host_carries_on_on_the_other(hosts: Hosts) -> None:
    browser = Browser()
    sent_by_b = emails_in(hosts.b)
    browser.sign_in(hosts.a, SENCO)  # the link is read from A's outbox
    assert emails_in(hosts.b) == sent_by_b
    assert signed_in(browser, hosts.a) and signed_in(browser, hosts.b)
    page = browser.get(f"{hosts.b.base}/app/school/")
    assert page.status_code == 200 and "Oakfield" in page.text
    # Signing out on B ends the session everywhere: a copy of the cookie taken before no longer works on A.
    copy = Browser()
    copy.http.cookies.update(browser.http.cookies)
    sign_out = browser.post(
        f"{hosts.b.base}/app/sign-out", data={"csrf_token": browser.csrf(f"{hosts.b.base}/app/school/")}
    )
    assert sign_out.status_code in (302, 303), sign_out.text[:500]
    assert not signed_in(copy, hosts.a) and not signed_in(copy, hosts.b)
    assert not signed_in(browser, hosts.a)


def test_a_save_on_one_host_is_read_on_the_other_at_once(hosts: Hosts) -> None:
    browser = Browser()
    browser.sign_in(hosts.b, SENCO)
    _page, token, revisions = heading_page(browser, hosts.a, OAKFIELD)
    for round_number in range(3):
        for writer, reader in ((hosts.a, hosts.b), (hosts.b, hosts.a)):
            criterion = sorted(revisions)[round_number]
            text = f"Round {round_number} written on port {writer.port}."
            revisions[criterion] = autosave(browser, writer, OAKFIELD, criterion, token, revisions[criterion], text)
            read = answers_on(browser, reader, OAKFIELD)[criterion]
            assert (read["commentary"], read["revision"]) == (text, revisions[criterion])


def test_the_sign_in_limit_counts_across_both_hosts(hosts: Hosts) -> None:
    address = "maths@hillcrest-academy.example.org"
    browser = Browser()
    statuses = [browser.ask_for_link(host, address).status_code for host in (hosts.a, hosts.b) * 3]
    # 5 per address per 15 minutes (SIGN_IN_LIMIT_PER_EMAIL): the sixth, whichever host it reaches, is refused.
    assert statuses == [302, 302, 302, 302, 302, 429]
    refused = browser.ask_for_link(hosts.a, address)
    assert refused.status_code == 429
    assert "too many" in refused.text.lower()


def test_the_la_dashboard_on_either_host_shows_a_change_made_on_the_other_at_once(hosts: Hosts) -> None:
    reviewer, lead = Browser(), Browser()
    reviewer.sign_in(hosts.a, REVIEWER)
    lead.sign_in(hosts.b, HILLCREST_LEAD)
    # Both hosts' dashboards are looked at first, so anything a worker keeps in memory is already there.
    for host in (hosts.a, hosts.b) * 2:
        before = dashboard_row(reviewer, host, HILLCREST)
    _page, token, revisions = heading_page(lead, hosts.b, HILLCREST)
    criteria = sorted(revisions)
    for number, (writer, viewer) in enumerate(((hosts.b, hosts.a), (hosts.a, hosts.b), (hosts.b, hosts.a))):
        criterion = criteria[number]
        revisions[criterion] = autosave(lead, writer, HILLCREST, criterion, token, revisions[criterion], "Done.")
        # Each worker of each host is asked (a host has two workers; four views reach both in practice).
        for host in (viewer, writer) * 2:
            row = dashboard_row(reviewer, host, HILLCREST)
            assert "In progress" in row, row
            assert re.search(rf"\({number + 1} of \d+ criteria\)", row), (before, row)
