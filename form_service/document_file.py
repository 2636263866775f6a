"""One document's file in the store: two copies of the document ("regions"), each checksummed.

A document's file is two regions of the same size, one after the other. A save overwrites the region that
does not hold the newest version, in place, so the newest acknowledged version is never touched by a write;
a region torn by a power cut fails its checksum and the other region is read instead. A region reads::

    {"slot":"<0 or 1>","seq":"<20 digits>","length":"<10 digits>","crc":"<8 hex>",
     "document":{"1":{"key":...,"document":{...}}}}   (on one line)

and then spaces; a region never written is all spaces. The CRC-32 covers the region's number, the sequence
number, the length and the ``length`` bytes after the header. Without its header a region is an ordinary
TinyDB database (``{"document": {"1": ...}}``), which is what a backup holds.

This module knows the bytes; `form_service.store` decides when to read and write them, and holds the locks.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from contextlib import suppress
from pathlib import Path
from typing import Any

import orjson

TABLE = "document"  # the TinyDB table inside each region
DOC_ID_TEXT = "1"  # the id of the one record in that table, as TinyDB writes it
_REGION_HEADER = re.compile(rb'\{"slot":"([01])","seq":"([0-9]{20})","length":"([0-9]{10})","crc":"([0-9a-f]{8})",')
# The first two-file layout's slot header (<name>.json and <name>~.json): read to upgrade or restore only.
_OLD_SLOT_HEADER = re.compile(rb'\{"seq":"([0-9]{20})","length":"([0-9]{10})","crc":"([0-9a-f]{8})",')
_ROOM = 2048  # bytes of spare room a region is given beyond its document, so most saves fit in place
_PAGE = 4096
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


class Unreadable(Exception):
    """Internal: a file is not a document of this store. The store turns it into DamagedDocument."""


def parse_database(raw: bytes) -> dict[str, Any]:
    """The TinyDB data in `raw`, checked to hold exactly our one record; raises Unreadable otherwise."""
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise Unreadable("it is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        reason = "it is empty" if not raw.strip() else f"it is not valid JSON: {error.msg} at character {error.pos}"
        raise Unreadable(reason) from None
    except RecursionError:
        raise Unreadable("it is nested too deeply to read") from None
    table = data.get(TABLE) if isinstance(data, dict) else None
    record = table.get(DOC_ID_TEXT) if isinstance(table, dict) else None
    if not (
        isinstance(record, dict) and isinstance(record.get("key"), str) and isinstance(record.get("document"), dict)
    ):
        raise Unreadable("it is valid JSON but not a document saved by this store")
    return data


def _parse_region(raw: bytes, index: int) -> tuple[int, bytes, dict[str, Any]]:
    """(sequence number, TinyDB JSON, TinyDB data) held by region `index` of a document file.

    Raises Unreadable unless the region is whole: its header names this region and its CRC matches."""
    header = _REGION_HEADER.match(raw)
    if header is None or int(header[1]) != index:
        raise Unreadable("it was not written completely (a copy of the document has no valid header)")
    plain = _checked(raw, header, header[1] + header[2])  # the region without its header: a TinyDB database
    return int(header[2]), plain, parse_database(plain)


def _checked(raw: bytes, header: re.Match[bytes], numbers: bytes) -> bytes:
    """The TinyDB JSON after a header whose last two groups are the body's length and CRC-32; the CRC covers
    `numbers` (the header's numbers before the length), the length and the body. Unreadable if they differ."""
    length, crc = header.group(header.re.groups - 1, header.re.groups)
    body = raw[header.end() : header.end() + int(length)]
    if len(body) != int(length) or zlib.crc32(body, zlib.crc32(numbers + length)) != int(crc, 16):
        raise Unreadable("it was not written completely (its checksum does not match)")
    return b"{" + body


def parse_whole_file(raw: bytes) -> tuple[int, dict[str, Any]]:
    """(sequence number, TinyDB data) of a file in any layout this store has written: a document file (the
    newer of its whole regions), a slot file of the first two-file layout, or a plain TinyDB file (backups,
    and the first store). Raises Unreadable if it holds no whole document. Not used on the save path."""
    old = _OLD_SLOT_HEADER.match(raw)
    if old is not None:
        return int(old[1]), parse_database(_checked(raw, old, old[1]))
    if _REGION_HEADER.match(raw) is not None or _REGION_HEADER.match(raw, len(raw) // 2) is not None:
        newest = DocumentFile(Path(), raw).newest()
        if newest is None or newest.data is None:
            raise Unreadable("neither copy of the document in it is whole")
        return newest.seq or 0, newest.data
    return 0, parse_database(raw)


def region_content(index: int, seq: int, key: str, document: dict[str, Any]) -> bytes:
    """Region `index`'s bytes for version `seq` of the document (before padding): header, then TinyDB data."""
    data = encode({TABLE: {DOC_ID_TEXT: {"key": key, "document": document}}})
    body = data[1:]  # without its opening brace, which the header supplies
    numbers = b"%d%020d%010d" % (index, seq, len(body))
    # The checksum covers the region, sequence number and length too: a region torn in its header is not whole.
    crc = zlib.crc32(body, zlib.crc32(numbers))
    header = b'{"slot":"%s","seq":"%s","length":"%s","crc":"%08x",' % (numbers[:1], numbers[1:21], numbers[21:], crc)
    return header + body


def encode(value: Any) -> bytes:
    """Compact JSON, as UTF-8 bytes, of a value the store's document check accepted (or of a list of text).

    orjson writes a 10 KB heading in about 2 µs where the standard library takes about 35 µs, and a save
    encodes every time. It refuses just two things the check lets through, an integer beyond 64 bits and
    text with a lone surrogate (which JSON can hold as an escape): the standard library writes those."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _ENCODER.encode(value).encode("ascii")


def _capacity(length: int) -> int:
    """The size a region is given for content of `length` bytes: whole pages, with room to grow."""
    return -(-(length + _ROOM) // _PAGE) * _PAGE


def new_file(content: bytes) -> bytes:
    """A whole document file holding `content` (made for region 0) in region 0, and region 1 empty."""
    capacity = _capacity(len(content))
    return content + b" " * (2 * capacity - len(content))


class Region:
    """One of the two copies ("slots") in a document file, as read. Whether it is whole is only checked
    when asked (`whole`): a read or a save needs just the newest whole region parsed, not both."""

    __slots__ = ("_bytes", "checked", "claimed", "data", "empty", "index", "problem", "raw", "seq")

    def __init__(self, index: int, raw: bytes) -> None:
        self.index = index
        self._bytes = raw
        self.empty = raw[:1] in (b"", b" ")  # never written (a region is written from its first byte on)
        header = _REGION_HEADER.match(raw)
        self.claimed = int(header[2]) if header else -1  # the sequence number its header claims, unchecked
        self.checked = False
        self.seq: int | None = None  # set once checked and found whole
        self.data: dict[str, Any] | None = None
        self.problem = ""
        self.raw = b""  # once whole: the region as a plain TinyDB database (what a backup holds)

    def whole(self) -> bool:
        """True if the region holds a whole document (checksum and JSON checked once, then remembered)."""
        if not self.checked:
            self.checked = True
            try:
                self.seq, self.raw, self.data = _parse_region(self._bytes, self.index)
            except Unreadable as error:
                self.problem = str(error)
            self._bytes = b""
        return self.seq is not None


class DocumentFile:
    """A document's file as read: absent (`size` None), or its two regions of `capacity` bytes each."""

    __slots__ = ("path", "problem", "regions", "size")

    def __init__(self, path: str | Path, raw: bytes | None, problem: str = "") -> None:
        self.path = path
        self.size = None if raw is None else len(raw)
        self.problem = problem
        self.regions: tuple[Region, ...] = ()
        if raw is None or problem:
            return
        if not raw or len(raw) % (2 * _PAGE):
            self.problem = f"it is not a document file of this store ({len(raw)} bytes long)"
            return
        half = len(raw) // 2
        self.regions = (Region(0, raw[:half]), Region(1, raw[half:]))

    @classmethod
    def read(cls, path: str | Path) -> DocumentFile:
        """The file at `path`, read whole (absent if it does not exist)."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return cls(path, None)
        except OSError as error:
            return cls(path, b"", error.strerror or str(error))
        try:
            with suppress(OSError, AttributeError):
                # Starts the whole file's disk read at once, rather than page by page as it is read.
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            return cls(path, _read_all(fd))
        except OSError as error:
            return cls(path, b"", error.strerror or str(error))
        finally:
            os.close(fd)

    @property
    def capacity(self) -> int:
        return (self.size or 0) // 2

    def newest(self) -> Region | None:
        """The whole region with the highest sequence number, or None. Regions are checked newest-claimed
        first, so the older one is usually never parsed; only if the newer fails is the other one tried."""
        for region in sorted(self.regions, key=lambda region: -region.claimed):
            if region.claimed >= 0 and region.whole():
                return region
        return None

    def torn_both(self) -> bool:
        """True if both regions hold something and neither is whole (two saves overwrote them while read)."""
        return bool(self.regions) and all(not region.empty for region in self.regions) and self.newest() is None

    def why_damaged(self) -> str:
        found = [region.problem for region in self.regions if not region.empty and region.problem]
        return self.problem or (found[0] if found else "it holds no whole copy of the document")


def _read_all(fd: int) -> bytes:
    """Everything in the open file `fd`, from its start."""
    size = os.fstat(fd).st_size
    chunks = []
    offset = 0
    while True:
        chunk = os.pread(fd, max(size - offset, 65536), offset)
        chunks.append(chunk)
        offset += len(chunk)
        if not chunk or offset >= size:
            return b"".join(chunks)


_datasync = getattr(os, "fdatasync", os.fsync)


def overwrite_region(path: str, index: int, capacity: int, content: bytes) -> None:
    """Write `content` over region `index` of the existing file at `path` in place, flushed to disk.

    Only ever called on the region that does not hold the newest version, so a crash part-way leaves that
    version whole; the torn region fails its checksum and is rewritten by the next save."""
    padded = content + b" " * (capacity - len(content))
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        written = 0
        offset = index * capacity
        while written < len(padded):
            written += os.pwrite(fd, memoryview(padded)[written:], offset + written)
        # The file keeps its size, so only the data needs flushing: no journal commit, no flush of the folder.
        _datasync(fd)
    finally:
        os.close(fd)
