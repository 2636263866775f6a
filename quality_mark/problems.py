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
        """The same problem in the form GitHub Actions shows inline on a pull request's changed lines."""
        message = f"{self.message} Fix: {self.fix}" if self.fix else self.message
        message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::error file={self.file},line={max(self.line, 1)}::{message}"


class ContentError(Exception):
    """Raised when content cannot be loaded; carries every problem found, not just the first."""

    def __init__(self, problems: list[ContentProblem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
