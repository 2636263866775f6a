"""Spot text that looks like a pupil's personal data, so people can edit it out before it is saved.

SEND data about named pupils does not belong in a self-evaluation. These checks are deliberately
simple and explainable; they warn, and a person decides.
"""

from __future__ import annotations

import re
from datetime import date

PUBLIC_MAIL = (
    r"gmail\.com|googlemail\.com|hotmail\.com|hotmail\.co\.uk|outlook\.com|live\.com|live\.co\.uk|yahoo\.com"
    r"|yahoo\.co\.uk|icloud\.com|me\.com|aol\.com|btinternet\.com|sky\.com|proton\.me|protonmail\.com"
)
_DIGIT = re.compile(r"\d")
_UPN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]\d{12}(?![A-Za-z0-9])")
_PERSONAL_EMAIL = re.compile(rf"[A-Za-z0-9._%+-]+@(?:{PUBLIC_MAIL})\b", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<!\d)(?:(?:\+44\s?|0)7\d{3}\s?\d{3}\s?\d{3}|(?:\+44\s?|0)[1-3]\d{2,4}\s?\d{3,4}\s?\d{3,4})(?!\d)"
)
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)?\d{2})(?!\d)")
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_WORDED_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTHS})\s+((?:19|20)\d{{2}})", re.IGNORECASE)
_BIRTH_WORDS = re.compile(r"\b(?:d\.?o\.?b\.?|date of birth|born)\b", re.IGNORECASE)

WARNINGS = {
    "upn": "a unique pupil number (UPN)",
    "email": "a personal email address",
    "phone": "a phone number",
    "birth_date": "a date of birth",
}


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _looks_like_birth_date(text: str, today: date) -> bool:
    """A full date in the years school-age children are born, or any full date next to 'born' or 'DOB'."""
    for match in [*_NUMERIC_DATE.finditer(text), *_WORDED_DATE.finditer(text)]:
        year = _year(match.group(3))
        nearby = text[max(0, match.start() - 30) : match.start()]
        if _BIRTH_WORDS.search(nearby) or today.year - 19 <= year <= today.year - 2:
            return True
    return False


def personal_data_found(text: str, today: date) -> list[str]:
    """Which kinds of personal data `text` seems to contain (keys of WARNINGS), in a stable order."""
    if not text:
        return []
    found = []
    # Every pattern but the email needs a digit, and the email needs an "@": text without them (most
    # commentary) is passed over without running the patterns, which autosave would otherwise pay for.
    has_digit = _DIGIT.search(text) is not None
    if has_digit and _UPN.search(text):
        found.append("upn")
    if "@" in text and _PERSONAL_EMAIL.search(text):
        found.append("email")
    if has_digit and _PHONE.search(text):
        found.append("phone")
    if has_digit and _looks_like_birth_date(text, today):
        found.append("birth_date")
    return found


def describe(found: list[str]) -> str:
    """'This looks like it contains a date of birth and a phone number.'"""
    kinds = [WARNINGS[key] for key in found]
    listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    return f"This looks like it contains {listed}. Do not include information that identifies a pupil."
