"""Registering a school lead: when registration is open, and who becomes admin at once.

A registrant becomes school admin at once only when their email is the school's known contact from the
LA's import, or is on the school's own email domain. Anyone else waits for approval. Knowing a URN is
never enough to take over a school.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from quality_mark.model import Content, Cycle

from . import accounts
from .store import Store

# Addresses anyone can get: a match on these domains proves nothing about working at the school.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "live.com",
        "live.co.uk",
        "yahoo.com",
        "yahoo.co.uk",
        "icloud.com",
        "me.com",
        "aol.com",
        "btinternet.com",
        "sky.com",
        "protonmail.com",
        "proton.me",
        "gmx.com",
        "mail.com",
        "example.org",
        "example.com",
    }
)

Outcome = Literal["admin", "pending", "already-member"]


@dataclass(frozen=True)
class RegistrationWindow:
    cycle: Cycle | None
    is_open: bool
    opens_on: date | None


def registration_window(content: Content, today: date) -> RegistrationWindow:
    """The cycle open for registration today, or when the next one opens."""
    cycles = sorted(content.key_dates.cycles, key=lambda cycle: cycle.registration_opens)
    open_now = [c for c in cycles if c.registration_opens <= today <= c.submission_deadline.date()]
    if open_now:
        return RegistrationWindow(open_now[-1], True, open_now[-1].registration_opens)
    upcoming = [c for c in cycles if c.registration_opens > today]
    if upcoming:
        return RegistrationWindow(upcoming[0], False, upcoming[0].registration_opens)
    return RegistrationWindow(None, False, None)


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def website_domain(website: str) -> str:
    host = website.lower().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host.removeprefix("www.")


# Hosts that many organisations share: a school's website there says nothing about who owns its mail.
SHARED_HOSTING_SUFFIXES = (
    "sites.google.com",
    "google.com",
    "wixsite.com",
    "weebly.com",
    "squarespace.com",
    "wordpress.com",
    "blogspot.com",
    "gov.uk",
    "sch.uk",
)


def _is_shared_host(domain: str) -> bool:
    return any(domain == suffix or domain.endswith("." + suffix) for suffix in SHARED_HOSTING_SUFFIXES)


def school_domains(school: dict, other_schools: list[dict] = ()) -> set[str]:
    """The school's own email domains, from its contact email and website.

    Public mail domains and shared hosts never count, nor does a domain that another school also uses
    (for example a council or trust that hosts several schools' websites)."""
    domains = set()
    if school.get("contact_email"):
        domains.add(email_domain(school["contact_email"]))
    if school.get("website"):
        domains.add(website_domain(school["website"]))
    shared = {
        domain
        for other in other_schools
        if other.get("urn") != school.get("urn")
        for domain in (email_domain(other.get("contact_email") or ""), website_domain(other.get("website") or ""))
    }
    return {
        domain
        for domain in domains
        if domain and domain not in PUBLIC_MAIL_DOMAINS and not _is_shared_host(domain) and domain not in shared
    }


def is_trusted_registrant(school: dict, email: str, other_schools: list[dict] = ()) -> bool:
    email = accounts.normalise_email(email)
    if school.get("contact_email") and email == accounts.normalise_email(school["contact_email"]):
        return True
    domain = email_domain(email)
    return any(domain == own or domain.endswith("." + own) for own in school_domains(school, other_schools))


def register(store: Store, urn: str, name: str, job_title: str, email: str) -> tuple[accounts.User, Outcome]:
    """Create (or find) the account and either make it admin or record a request for approval."""
    school = accounts.get_school(store, urn)
    if school is None:
        raise accounts.AccountError("There is no school with that URN in the local authority's list.")
    existing = accounts.find_user_by_email(store, email)
    if existing and existing.is_la:
        raise accounts.AccountError("This is a local authority account: use a school email address to register")
    user = accounts.ensure_user(store, email, name, job_title)
    if accounts.school_role(store, urn, user.id):
        return user, "already-member"
    other_schools = [other for _, other in store.scan(accounts.SCHOOLS)]
    if is_trusted_registrant(school, email, other_schools):
        accounts.add_member(store, urn, user.id, "admin", added_by=None)
        return user, "admin"
    accounts.request_membership(store, urn, user.id, job_title)
    return user, "pending"
