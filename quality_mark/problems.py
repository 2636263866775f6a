"""Content problems: what is wrong, where, and how to fix it, in words an LA editor can act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ContentProblem:
    """One mistake in one content file. `line` is 1-based; 0 means the file as a whole."""

    file: str
    line: int
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.message}"
        return f"{text} Fix: {self.fix}" if self.fix else text

    def as_github_annotation(self) -> str:
        """The same problem in the form GitHub Actions shows inline on a pull request's changed lines.

        GitHub reads `::error file=...,line=...::message`, so the file name escapes ',' and ':' too (a file
        called `v1, copy.yaml` must not end the file name early), as GitHub's own toolkit does.
        """
        message = _escape_data(f"{self.message} Fix: {self.fix}" if self.fix else self.message)
        file = _escape_data(self.file).replace(":", "%3A").replace(",", "%2C")
        return f"::error file={file},line={max(self.line, 1)}::{message}"


def _escape_data(text: str) -> str:
    """Escape what would end a GitHub workflow command early: '%' first, then line breaks."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


class ContentError(Exception):
    """Raised when content cannot be loaded; carries every problem found, not just the first."""

    def __init__(self, problems: list[ContentProblem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
