"""The service's forms: fields, limits and plain-English messages that name the field and what to do."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from quality_mark import text

from .accounts import SCHOOL_ROLES

# The local part is the ASCII set GOV.UK Notify accepts: a non-ASCII address needs SMTPUTF8, which many mail
# relays lack, and cannot be written in an email header without it. \Z, not $: $ would allow a trailing newline.
EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+\Z"
)


def email_address(form: FlaskForm, field: StringField) -> None:
    field.data = (field.data or "").strip()
    if not EMAIL.match(field.data):
        raise ValidationError("Enter an email address in the correct format, like name@school.example.org")


def plain_text(form: FlaskForm, field: StringField) -> None:
    """One line of text (see `quality_mark.text`), without < or >: names and the like."""
    field.data, wrong = text.typed(field.data, field.label.text, multiline=False)
    if wrong:
        raise ValidationError(wrong)
    if "<" in field.data or ">" in field.data:
        raise ValidationError(f"{field.label.text} must not contain < or >")


def email_field(label: str = "Email address") -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired("Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            email_address,
        ],
    )


def name_field(label: str, missing: str) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(missing),
            Length(max=100, message=f"{label} must be 100 characters or fewer"),
            plain_text,
        ],
    )


class SignInForm(FlaskForm):
    email = email_field()


class ContinueForm(FlaskForm):
    token = HiddenField(validators=[DataRequired("This sign-in link is not complete. Ask for a new one.")])


class RegistrationForm(FlaskForm):
    urn = StringField(
        "School URN",
        description="The school's unique reference number, for example 123456",
        validators=[
            DataRequired("Enter the school's URN, for example 123456"),
            Regexp(r"^\s*\d{6,7}\s*$", message="Enter the school's URN as 6 or 7 digits, for example 123456"),
        ],
    )
    name = name_field("Full name", "Enter your full name")
    job_title = name_field("Job title", "Enter your job title, for example SENCo")
    email = email_field("Work email address")

    def validate_urn(self, field: StringField) -> None:
        field.data = (field.data or "").strip()


class InviteForm(FlaskForm):
    name = name_field("Full name", "Enter the person's full name")
    email = StringField(
        "Email address",
        validators=[
            DataRequired("Enter the person's email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            email_address,
        ],
    )
    role = RadioField(
        "Role",
        choices=[SelectChoice(value, label) for value, label in SCHOOL_ROLES.items()],
        validators=[DataRequired("Choose what this person can do")],
    )


class RoleForm(FlaskForm):
    role = RadioField(
        "Role",
        choices=[SelectChoice(value, label) for value, label in SCHOOL_ROLES.items()],
        validators=[DataRequired("Choose what this person can do")],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: nothing to fill in but the CSRF token."""


class ImportForm(FlaskForm):
    schools_file = FileField("Schools file (CSV)")


class ExtensionForm(FlaskForm):
    """A new deadline for one school: a date (the time is always 11:59pm UK time)."""

    day = StringField("Day", validators=[DataRequired("Enter the day of the new deadline")])
    month = StringField("Month", validators=[DataRequired("Enter the month of the new deadline")])
    year = StringField("Year", validators=[DataRequired("Enter the year of the new deadline")])
    reason = StringField(
        "Reason (the school will see this)",
        validators=[DataRequired("Enter the reason for the extension"), Length(max=300), plain_text],
    )
