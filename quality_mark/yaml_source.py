"""Read YAML while remembering the line each value came from, so problems can name the line.

Dates stay as text (the schemas check their form and the model parses them), so that an impossible
date such as 2026-02-30 becomes a clear problem rather than a YAML crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .problems import ContentProblem

Location = tuple[str | int, ...]


class _TextDatesLoader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class SourceDocument:
    """A parsed YAML file: its plain Python value and the line of every key and item in it."""

    file: str
    value: Any
    lines: dict[Location, int] = field(default_factory=dict)

    def line_of(self, location: Location) -> int:
        """The line of `location`, or of its nearest parent that has one."""
        location = tuple(location)
        while location:
            if location in self.lines:
                return self.lines[location]
            location = location[:-1]
        return self.lines.get((), 1)


def read_yaml(path: Path, display_name: str) -> tuple[SourceDocument | None, list[ContentProblem]]:
    """Parse one YAML file. Returns the document, or None with the problems that stopped it."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return None, [
            ContentProblem(display_name, 0, f"The file is not UTF-8 text ({error.reason}).", "Save it as UTF-8.")
        ]
    return parse_yaml(text, display_name)


def parse_yaml(text: str, display_name: str) -> tuple[SourceDocument | None, list[ContentProblem]]:
    loader = _TextDatesLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        # An unclosed quote is reported by PyYAML where the file ends; the quote's own line is more useful.
        in_quote = "quoted scalar" in str(error.context)
        mark = error.context_mark if in_quote else error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        what, fix = _explain_syntax_error(error.problem or "", in_quote)
        return None, [ContentProblem(display_name, line, f"YAML syntax error: {what}.", fix)]
    except yaml.YAMLError as error:
        return None, [ContentProblem(display_name, 0, f"YAML syntax error: {error}.", "Check the file's layout.")]
    if node is None:
        loader.dispose()
        return None, [ContentProblem(display_name, 1, "The file is empty.", "Add the content or delete the file.")]
    document = SourceDocument(display_name, None)
    problems: list[ContentProblem] = []
    document.value = _build(node, (), document, problems, loader)
    loader.dispose()
    return document, problems


# PyYAML's wording for common slips, and what an editor should do about each.
_SYNTAX_ERRORS = [
    ("found character '\\t'", "a tab is used here; YAML needs spaces", "Replace the tab with spaces."),
    (
        "mapping values are not allowed",
        "a ': ' appears where no new key was expected",
        "Check this line's indentation against the lines above; if the text itself contains ': ', "
        "put the whole text in double quotes.",
    ),
    (
        "could not find expected ':'",
        "a line has no 'key:' or text runs onto a new line without being indented",
        "Check that each line starts with 'key:' or '- ', or indent continued text.",
    ),
    (
        "expected <block end>",
        "the indentation here does not line up with the lines around it",
        "Fix the indentation: line this up with the keys above it, using spaces.",
    ),
    (
        "did not find expected key",
        "the indentation here does not line up with the lines around it",
        "Fix the indentation: line this up with the keys above it, using spaces.",
    ),
    (
        "did not find expected '-' indicator",
        "a list item is indented differently from the items above it",
        "Start every item of the list with '- ' at the same indentation.",
    ),
]


def _explain_syntax_error(problem: str, in_quote: bool) -> tuple[str, str]:
    if in_quote:
        return (
            "a quote is opened on this line but never closed",
            "Close the quotes at the end of the text, or remove the opening quote.",
        )
    for phrase, what, fix in _SYNTAX_ERRORS:
        if phrase in problem:
            return what, fix
    return (
        problem or "the file cannot be read",
        "Check the indentation (spaces, not tabs) and put text containing ': ' or starting with a symbol in quotes.",
    )


def _build(
    node: yaml.Node,
    location: Location,
    document: SourceDocument,
    problems: list[ContentProblem],
    loader: yaml.SafeLoader,
) -> Any:
    document.lines.setdefault(location, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str | int):
                problems.append(
                    ContentProblem(
                        document.file,
                        key_node.start_mark.line + 1,
                        "A key here is not a simple word.",
                        "Use a plain key such as 'title:'.",
                    )
                )
                continue
            if key in mapping:
                problems.append(
                    ContentProblem(
                        document.file,
                        key_node.start_mark.line + 1,
                        f"The key '{key}' appears twice in the same block "
                        f"(first on line {document.lines[(*location, key)]}).",
                        "Keep one of them and delete the other.",
                    )
                )
                continue
            document.lines[(*location, key)] = key_node.start_mark.line + 1
            mapping[key] = _build(value_node, (*location, key), document, problems, loader)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*location, index), document, problems, loader) for index, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
