"""Shared fixtures for tests that need a copy of the real content to change.

Tests that break content never touch the repository: they copy criteria/ and content/ into a
temporary folder, edit the copy and point the loader (or `build.py --root`) at it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# edit_content(file relative to the copy, exact old text, new text) -> line on which the new text starts
EditContent = Callable[[str, str, str], int]


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A fresh copy of the repository's criteria/ and content/; returns the folder that holds them."""
    root = tmp_path / "repo"
    for folder in ("criteria", "content"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    return root


@pytest.fixture
def edit_content(content_copy: Path) -> EditContent:
    """Replace one exact piece of text in a file of the content copy; returns the line it starts on.

    The old text must occur exactly once, so a test fails loudly when the content it relies on has
    changed, instead of quietly checking nothing.
    """

    def edit(relative_path: str, old: str, new: str) -> int:
        path = content_copy / relative_path
        text = path.read_text(encoding="utf-8")
        count = text.count(old)
        assert count == 1, f"expected {old!r} exactly once in {relative_path}, found it {count} times"
        start = text.index(old)
        path.write_text(text[:start] + new + text[start + len(old) :], encoding="utf-8")
        return text.count("\n", 0, start) + 1

    return edit
