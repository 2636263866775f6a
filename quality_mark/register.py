"""The public register of the schools holding the Quality Mark, as open data: checking it and writing it out.

Pure: no Flask, no store, no files. The form service makes the register from its documents
(form_service/register/entries.py) and publishes it with `register_json` and `register_csv`; `build.py site`
reads one back (`read_register`), keeps only the awards still current on the day it builds
(`current_register`) and publishes it as a page, JSON and CSV.

The register document is {"updated": ISO timestamp, "schools": [entry, ...]}, described by
quality_mark/schemas/register.schema.json; an entry is {urn, name, phase, framework, awarded_on, expires_on}.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from .model import LONDON
from .spreadsheet import csv_text

# A register file bigger than this is not a register: refuse it before reading it into memory.
MAX_REGISTER_BYTES = 10 * 1024 * 1024

CSV_COLUMNS = ("URN", "School", "Phase", "Framework", "Award date", "Expiry date")
ENTRY_FIELDS = ("urn", "name", "phase", "framework", "awarded_on", "expires_on")


class RegisterError(ValueError):
    """A register that cannot be published; the message says what is wrong, in plain English."""


# --- what is current --------------------------------------------------------------------------------


def current_register(register: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The register with only the awards held on `today`: a register exported a while ago loses the awards
    that have run out since (and never shows one dated after `today`)."""
    schools = [
        entry
        for entry in register["schools"]
        if date.fromisoformat(entry["awarded_on"]) <= today < date.fromisoformat(entry["expires_on"])
    ]
    return {"updated": register["updated"], "schools": schools}


# --- publishing ----------------------------------------------------------------------------------------


def register_json(register: Mapping[str, Any]) -> str:
    """The register as JSON text: same register, same bytes."""
    return json.dumps(register, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def register_csv(register: Mapping[str, Any]) -> str:
    """The register as CSV with a header row, every cell safe to open in a spreadsheet. It starts with a
    byte order mark, which Excel needs to read UTF-8 (names such as St Aidan’s)."""
    return csv_text([CSV_COLUMNS, *([str(entry[name]) for name in ENTRY_FIELDS] for entry in register["schools"])])


def updated_at(register: Mapping[str, Any]) -> datetime:
    """When the register was made, in UK time."""
    return datetime.fromisoformat(register["updated"]).astimezone(LONDON)


# --- reading a register back (build.py) ----------------------------------------------------------------


@cache
def register_schema() -> dict[str, Any]:
    text = resources.files("quality_mark").joinpath("schemas", "register.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validator() -> Draft202012Validator:
    schema = register_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _shown(value: object) -> str:
    """A value quoted in a message: short, on one line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _where(path: Iterable[str | int], register: object) -> str:
    """'school 3 (URN 900001)', 'the register' — where in the file a problem is."""
    steps = list(path)
    if len(steps) >= 2 and steps[0] == "schools" and isinstance(steps[1], int):
        entry = register["schools"][steps[1]]  # type: ignore[index]
        urn = entry.get("urn") if isinstance(entry, dict) else None
        named = f" (URN {urn})" if isinstance(urn, str) and re.fullmatch(r"[0-9]{6,7}", urn) else ""
        where = f"school {steps[1] + 1}{named}"
        return where + (f", field '{steps[2]}'" if len(steps) > 2 else "")
    if steps:
        return f"field '{steps[0]}'"
    return "the register"


def _explain(error: Any, register: object) -> str:
    where = _where(error.absolute_path, register)
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return f"{where} is missing {', '.join(repr(name) for name in missing)}."
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(str(name) for name in error.instance if name not in allowed)
        return f"{where} has fields a register does not have: {', '.join(_shown(name) for name in extra)}."
    if error.validator == "type":
        wanted = {"string": "text", "array": "a list", "object": "an object ({...})"}.get(
            str(error.validator_value), str(error.validator_value)
        )
        return f"{where} must be {wanted}, not {_shown(error.instance)}."
    if error.validator == "maxItems":
        return f"{where} lists more than {error.validator_value:,} schools."
    if description:
        return f"{where} must be {description}, not {_shown(error.instance)}."
    return f"{where}: {error.message}"


def register_problems(register: object) -> list[str]:
    """Every reason `register` is not a register we can publish, in plain English (empty if it is fine)."""
    errors = sorted(_validator().iter_errors(register), key=lambda error: list(map(str, error.absolute_path)))
    problems = [_explain(error, register) for error in errors]
    if problems:
        return problems
    assert isinstance(register, dict)
    try:
        moment = datetime.fromisoformat(register["updated"])
        if moment.tzinfo is None:
            raise ValueError
    except ValueError:
        problems.append(f"field 'updated' must be a real date and time, not {_shown(register['updated'])}.")
    seen: set[str] = set()
    for index, entry in enumerate(register["schools"]):
        where = _where(["schools", index], register)
        if entry["urn"] in seen:
            problems.append(f"{where} is listed more than once.")
        seen.add(entry["urn"])
        if entry["expires_on"] <= entry["awarded_on"]:
            problems.append(f"{where} has an expiry date that is not after its award date.")
    return problems


def read_register(raw: bytes) -> dict[str, Any]:
    """The register in `raw` (JSON bytes), checked; raises RegisterError saying every problem found."""
    if len(raw) > MAX_REGISTER_BYTES:
        raise RegisterError(f"it is larger than {MAX_REGISTER_BYTES // (1024 * 1024)} MB, too large for a register.")
    if not raw.strip():
        raise RegisterError("it is empty.")
    try:
        register = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise RegisterError("it is not UTF-8 text.") from None
    except json.JSONDecodeError as error:
        raise RegisterError(
            f"it is not JSON: {error.msg} at line {error.lineno}, column {error.colno}. "
            "Export it again with `flask --app form_service export-register`."
        ) from None
    except RecursionError:
        raise RegisterError("it is nested too deeply to be a register.") from None
    problems = register_problems(register)
    if problems:
        shown = problems[:20]
        more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
        raise RegisterError("it is not a register of schools holding the mark: " + " ".join(shown) + more)
    return register
