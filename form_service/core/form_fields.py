"""Reading free text from a posted form: one rule for every form that checks fields by hand.

Each field's text passes the acceptable-text rule (`quality_mark.text`), its length limit and the refusal of web
page code; the first problem is added to the page's list, in the order the fields appear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from quality_mark import text

Problems = list[tuple[str, str]]  # (field name, message), in the order the fields appear on the page

MARKUP = re.compile(r"<\s*[A-Za-z/!?]")


def field_text(raw: Mapping[str, Any], name: str, *, one_line: bool) -> str:
    """The field's text as kept (tidied by the text rule), whether or not it passes it."""
    return text.typed(raw.get(name), "", multiline=not one_line)[0]


def checked_text(
    problems: Problems,
    raw: Mapping[str, Any],
    name: str,
    label: str,
    limit: int,
    *,
    one_line: bool,
    missing: str | None = None,
) -> str:
    """The field's text as kept; its first problem, if any, added to `problems`. With `missing`, it is required."""
    kept, wrong = text.typed(raw.get(name), label, multiline=not one_line)
    if not kept and missing:
        problems.append((name, missing))
    elif len(kept) > limit:
        problems.append((name, f"{label} must be {limit:,} characters or fewer (you have {len(kept):,})"))
    elif wrong:
        problems.append((name, wrong))
    elif MARKUP.search(kept):
        problems.append((name, f"{label} must not contain web page code such as <script>"))
    return kept
