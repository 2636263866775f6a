"""Fetch the published register for `build.py site --register`: from a file, or from the running service.

I/O at the edge: bytes come in here (with a size limit, and over HTTP with a timeout); quality_mark/register.py
checks them. Every failure is a RegisterError that says, in plain English, what went wrong and where.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .register import MAX_REGISTER_BYTES, RegisterError, read_register

TIMEOUT_SECONDS = 15


def _from_url(url: str, timeout: float, limit: int) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "quality-mark-build"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # only http(s): checked by load_register
            if response.geturl().split(":", 1)[0].lower() not in ("http", "https"):
                raise RegisterError(f"{url} redirected to {response.geturl()}, which is not a web address.")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise RegisterError(f"{url} sent {int(length):,} bytes, more than a register can be ({limit:,}).")
            raw = response.read(limit + 1)
    except RegisterError:
        raise
    except urllib.error.HTTPError as error:
        raise RegisterError(f"{url} answered {error.code} {error.reason}: check the address.") from None
    except urllib.error.URLError as error:
        raise RegisterError(f"could not reach {url}: {error.reason}. Is the service running?") from None
    except TimeoutError:
        raise RegisterError(f"{url} did not answer within {timeout:g} seconds.") from None
    except (OSError, ValueError) as error:
        raise RegisterError(f"could not read {url}: {error}.") from None
    if len(raw) > limit:
        raise RegisterError(f"{url} sent more than {limit:,} bytes, more than a register can be.")
    return raw


def _from_file(path: Path, limit: int) -> bytes:
    try:
        if path.stat().st_size > limit:
            raise RegisterError(f"{path} is larger than {limit:,} bytes, more than a register can be.")
        return path.read_bytes()
    except FileNotFoundError:
        raise RegisterError(f"there is no file {path}.") from None
    except IsADirectoryError:
        raise RegisterError(f"{path} is a folder, not a register file.") from None
    except OSError as error:
        raise RegisterError(f"could not read {path}: {error.strerror or error}.") from None


def load_register(source: str, timeout: float = TIMEOUT_SECONDS, limit: int = MAX_REGISTER_BYTES) -> dict[str, Any]:
    """The checked register from `source`: an http(s) URL (the service's /app/register.json) or a file path."""
    scheme = source.split(":", 1)[0].lower() if "://" in source else ""
    if scheme in ("http", "https"):
        raw, where = _from_url(source, timeout, limit), source
    elif scheme:
        raise RegisterError(f"{source} is neither a file nor an http(s) address.")
    else:
        raw, where = _from_file(Path(source), limit), source
    try:
        return read_register(raw)
    except RegisterError as error:
        raise RegisterError(f"{where}: {error}") from None
