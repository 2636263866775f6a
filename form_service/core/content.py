"""The content model for the service: loaded and checked once at start-up, the same as build.py uses."""

from __future__ import annotations

from flask import Flask, current_app

from quality_mark.loader import load_content
from quality_mark.model import Content

EXTENSION = "quality_mark.content"


def init_app(app: Flask) -> None:
    """Load the content; a content problem stops the service starting (ContentError lists them all)."""
    app.extensions[EXTENSION] = load_content(app.config["CONTENT_ROOT"])


def get_content() -> Content:
    return current_app.extensions[EXTENSION]
