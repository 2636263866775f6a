"""Registering a school lead: when registration is open, and who becomes admin at once.

A registrant becomes school admin at once only when the school has no lead yet and their email is the
school's known contact from the LA's import, or is on the school's own email domain (and then the LA is
told). For a school that has a lead, every registration is a request that the school's lead or the LA
approves: pupils and all staff often have addresses on the school's domain. Knowing a URN is never
enough to take over a school.

Everything here is a plain function of the content, the store and what was typed, so tests can use it without
a browser. The pages (blueprint `registration`: /register, its check page, and /schools, the list of schools
that can register with their URNs) are in `views.py`, their templates under `templates/registration/`; the
emails they send are the shared ones under `form_service/templates/email/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from quality_mark.model import Content, Cycle

from .. import accounts
from ..store import Store

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
Trust = Literal["contact", "domain"]  # why an address may make someone a school's first lead at once


class LocalAuthorityAccount(accounts.AccountError):
    """LA staff cannot join a school's team. The register page must not say so (it would tell anyone which
    addresses are LA accounts): the view answers as for any other address and emails the address instead."""


@dataclass(frozen=True)
class Registration:
    user: accounts.User
    outcome: Outcome
    because: Trust | None  # for "admin": why they became the school's lead at once
    school_has_lead: bool  # for "pending": the school's lead is asked as well as the LA


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


def trust_of(school: dict, email: str, other_schools: list[dict] = ()) -> Trust | None:
    """Why this address could make someone the school's first lead at once: it is the school's contact
    address, or it is on the school's own email domain; None if neither."""
    email = accounts.normalise_email(email)
    if school.get("contact_email") and email == accounts.normalise_email(school["contact_email"]):
        return "contact"
    domain = email_domain(email)
    if any(domain == own or domain.endswith("." + own) for own in school_domains(school, other_schools)):
        return "domain"
    return None


def is_trusted_registrant(school: dict, email: str, other_schools: list[dict] = ()) -> bool:
    return trust_of(school, email, other_schools) is not None


def register(store: Store, urn: str, name: str, job_title: str, email: str) -> Registration:
    """Create (or find) the account and either make it the lead of a school that has none, or record a request
    for the school's lead or the LA to approve. Raises LocalAuthorityAccount, storing nothing, for LA staff."""
    school = accounts.get_school(store, urn)
    if school is None:
        raise accounts.AccountError("There is no school with that URN in the local authority's list.")
    existing = accounts.find_user_by_email(store, email)
    if existing and existing.is_la:
        raise LocalAuthorityAccount("A local authority account cannot join a school's team.")
    user = accounts.ensure_user(store, email, name, job_title)
    if accounts.school_role(store, urn, user.id):
        return Registration(user, "already-member", None, accounts.has_lead(school))
    if not accounts.has_lead(school):
        because = trust_of(school, email, [other for _, other in store.scan(accounts.SCHOOLS)])
        if because and accounts.claim_lead(store, urn, user.id):
            return Registration(user, "admin", because, False)
    accounts.request_membership(store, urn, user.id, job_title)
    return Registration(user, "pending", None, accounts.has_lead(accounts.get_school(store, urn) or {}))
