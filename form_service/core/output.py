"""Whatever is stored, every page can show it: the other half of the rule for text (`quality_mark.text`).

Text that no page or file may hold (a control character, a lone surrogate) can still be in the store: saved
before the rule, restored from a backup, or written by a script. Pages show such a character as U+FFFD, the
replacement character, where the person can see it and fix it; a response never fails to encode.
"""

from __future__ import annotations

from typing import Any

import flask
from markupsafe import Markup

from quality_mark import text


def shown(value: Any) -> Any:
    """What a template writes for `{{ value }}`: text made printable (markup stays markup); anything else as is."""
    if isinstance(value, Markup):
        return Markup(text.printable(str(value)))
    return text.printable(value) if isinstance(value, str) else value


class Response(flask.Response):
    """A response whose text body is always encodable: a lone surrogate is sent as U+FFFD, not an error."""

    def set_data(self, value: bytes | str) -> None:
        super().set_data(text.utf8(value) if isinstance(value, str) else value)


def init_app(app: flask.Flask) -> None:
    app.response_class = Response
    app.jinja_env.finalize = shown
