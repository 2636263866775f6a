"""What text the service accepts, wherever it comes from: a form, the JSON API, the LA's list of schools or the
name of an uploaded file. One rule, so no way in lets through what another refuses:

* no control characters (C0, DEL and C1), except tab, line feed and carriage return;
* no lone surrogates (half of a UTF-16 pair: JSON can carry one as an escape, but no page or file can hold it);
* not U+FFFE or U+FFFF, which are not characters (XML, so a spreadsheet, cannot hold them either).

Accepted text is kept in Unicode normalisation form C, so the same words typed on different devices are the
same text. Multi-line text keeps its line breaks (as line feeds); in one-line text every run of white space,
tabs and line breaks included, becomes one space.

`printable` is the other half, for what is already stored: whatever it holds, a page or a file can show it.
"""

from __future__ import annotations

import re
import unicodedata

# (first, last) code points refused in any text.
REFUSED_RANGES = ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F), (0xD800, 0xDFFF), (0xFFFE, 0xFFFF))
# The same, less the surrogates: a JSON Schema pattern cannot name them portably (a regular expression without
# the u flag would refuse the halves of every emoji; Rust's cannot name them at all). The service's own check
# (`problem`) refuses them all the same, and schemas say so in words.
_PATTERN_RANGES = tuple(span for span in REFUSED_RANGES if span[0] != 0xD800)


def _character_class(ranges: tuple[tuple[int, int], ...]) -> str:
    def escaped(point: int) -> str:
        return f"\\x{point:02X}" if point < 0x100 else f"\\u{point:04X}"

    return "".join(escaped(first) + (f"-{escaped(last)}" if last > first else "") for first, last in ranges)


_REFUSED = re.compile(f"[{_character_class(REFUSED_RANGES)}]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_LINE_ENDINGS = re.compile(r"\r\n?")

# For JSON Schema ("pattern"): text with none of the refused characters. Written with \x and \u escapes only, so
# ECMA-262 (with or without the u flag), Python and Rust regular expressions read it alike.
JSON_SCHEMA_PATTERN = f"^[^{_character_class(_PATTERN_RANGES)}]*$"
REFUSED = "must not include hidden control characters or broken characters"
PROBLEM = f"{REFUSED}. Delete them, or type the text again instead of pasting it"


# White space that text may hold (tab, line breaks, spaces of every script): what tidying may remove or merge.
# Control characters that Python also counts as white space (vertical tab, U+001C to U+001F, U+0085) are not
# in it, so tidying never hides a refused character: the text as kept is refused exactly when the text as sent is.
_SPACE = "".join(chr(point) for point in range(0x3001) if chr(point).isspace() and not _REFUSED.match(chr(point)))
_SPACES = re.compile(f"[{re.escape(_SPACE)}]+")


def problem(text: str, label: str) -> str | None:
    """What is wrong with `text` as the value of the field called `label`, in plain English; None if nothing."""
    return f"{label} {PROBLEM}" if _REFUSED.search(text) else None


def checked(text: str, label: str, *, multiline: bool) -> tuple[str, str | None]:
    """`text` as it is kept, and what is wrong with it (None if nothing): the one way in for text.

    Kept: normalisation form C; multi-line text with its line breaks made line feeds (other space kept as sent);
    one-line text with each run of white space (tabs and line breaks too) made one space, none at either end."""
    kept = _LINE_ENDINGS.sub("\n", text) if multiline else _SPACES.sub(" ", text).strip(_SPACE)
    kept = unicodedata.normalize("NFC", kept)
    return kept, problem(kept, label)


def typed(value: object, label: str, *, multiline: bool) -> tuple[str, str | None]:
    """What a person typed into a box of a form or a cell of a file (anything but text counts as empty), as it is
    kept, and what is wrong with it: as `checked`, and with the space around it (and, in multi-line text, at the
    end of each line) removed."""
    kept, wrong = checked(value if isinstance(value, str) else "", label, multiline=multiline)
    if multiline:
        kept = "\n".join(line.rstrip(_SPACE) for line in kept.split("\n")).strip(_SPACE)
    return kept, wrong


def printable(text: str) -> str:
    """`text` with every character that no text may hold replaced by U+FFFD (the replacement character), so it
    can go into a page, a CSV or a spreadsheet however it was stored. Tab and line breaks are kept."""
    return _REFUSED.sub("\ufffd", text)


def utf8(text: str) -> bytes:
    """`text` in UTF-8, each lone surrogate (which UTF-8 cannot spell) written as U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text).encode("utf-8")
