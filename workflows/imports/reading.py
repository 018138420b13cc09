"""Reading a case file: its encoding, its header, and its rows with the line each one starts on.

A file is read as a stream, never whole, so memory does not grow with its size. Rows are dicts
keyed by the header's names; a quoted field may span lines (a narrative with paragraphs), and a
row's line is the line it starts on, counting the header as line 1, as a spreadsheet shows it.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

UTF8_BOM = codecs.BOM_UTF8
# What Chinese Excel writes when it saves "CSV (comma delimited)": the system's ANSI code page,
# GBK, which GB18030 extends; "CSV UTF-8" gets a BOM.
FALLBACK_ENCODING = "gb18030"
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
CHUNK = 1 << 20
# A narrative can be long (the CFPB's longest seen was 21,928 characters; we keep 100,000).
csv.field_size_limit(1 << 24)


class FileProblem(Exception):
    """The file as a whole cannot be read (encoding, header); ``message`` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FileFacts:
    """What is known about a file before its rows are read."""

    path: Path
    encoding: str
    size: int
    sha256: str


def _decode_problem(path: Path, encoding: str) -> int | None:
    """The line of the first bytes that are not ``encoding`` text, or None when they all are."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk[: exc.start].count(b"\n")
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line
    return None


def inspect(path: Path, encoding: str | None = None) -> FileFacts:
    """The file's encoding (given, or UTF-8 with or without BOM, else GB18030), size and checksum."""
    if not path.is_file():
        raise FileProblem(_("%(path)s is not a file.") % {"path": path})
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        head = stream.read(len(UTF8_BOM))
        digest.update(head)
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    if encoding is None:
        if head.startswith(UTF8_BOM):
            encoding = "utf-8-sig"
        elif _decode_problem(path, "utf-8") is None:
            encoding = "utf-8"
        else:
            encoding = FALLBACK_ENCODING
    elif encoding.lower().replace("_", "-") not in ENCODINGS:
        raise FileProblem(_("Unknown encoding %(encoding)s; use one of: %(known)s.") % {"encoding": encoding, "known": ", ".join(ENCODINGS)})
    else:
        encoding = encoding.lower().replace("_", "-")
        if encoding == "utf-8" and head.startswith(UTF8_BOM):
            encoding = "utf-8-sig"
    return FileFacts(path=path, encoding=encoding, size=path.stat().st_size, sha256=digest.hexdigest())


class _CountingLines:
    """The file's text lines, counting them and the bytes read, for line numbers and progress."""

    def __init__(self, stream: IO[str], raw: IO[bytes]) -> None:
        self.stream = stream
        self.raw = raw
        self.lines = 0

    def __iter__(self) -> _CountingLines:
        return self

    def __next__(self) -> str:
        line = next(self.stream)
        self.lines += 1
        return line

    @property
    def bytes_read(self) -> int:
        return self.raw.tell()


@dataclass
class Row:
    line: int
    values: dict[str, str]


class RowReader:
    """Iterates a file's rows; ``header`` is the header row, ``bytes_read`` the progress."""

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self._raw = facts.path.open("rb")
        # newline="": line endings stay in the text, so that the csv module keeps those inside
        # quoted fields and lines split only at \n, \r\n or \r.
        self._text = io.TextIOWrapper(self._raw, encoding=facts.encoding, errors="strict", newline="")
        self._lines = _CountingLines(self._text, self._raw)
        self._csv = csv.reader(self._lines, strict=True)
        try:
            header = next(self._csv)
        except StopIteration:
            self.close()
            raise FileProblem(_("The file is empty: it has no header row.")) from None
        except UnicodeDecodeError:
            self.close()
            raise FileProblem(self._decode_message(1)) from None
        self.header = [name.strip().lstrip("\ufeff") for name in header]
        repeated = sorted({name for name in self.header if self.header.count(name) > 1 and name})
        if repeated:
            self.close()
            raise FileProblem(_("The header names these columns twice: %(columns)s.") % {"columns": ", ".join(repeated)})

    def _decode_message(self, line: int) -> str:
        # The text is decoded ahead of the rows, in chunks: find the line of the bad bytes themselves.
        line = _decode_problem(self.facts.path, self.facts.encoding) or line
        return _(
            "Line %(line)d is not %(encoding)s text; give the file's encoding with --encoding (utf-8 or gb18030)."
        ) % {"line": line, "encoding": self.facts.encoding}

    @property
    def bytes_read(self) -> int:
        return self._lines.bytes_read

    def __iter__(self) -> Iterator[Row]:
        width = len(self.header)
        while True:
            start = self._lines.lines + 1
            try:
                cells = next(self._csv)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise FileProblem(self._decode_message(start)) from None
            except csv.Error as exc:
                raise FileProblem(_("Line %(line)d cannot be read as CSV: %(error)s.") % {"line": start, "error": exc}) from None
            if not cells or all(not cell.strip() for cell in cells):
                continue  # a blank line, as spreadsheets leave at the end
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                yield Row(start, {"": ""})  # more cells than the header names: the caller reports it
                continue
            yield Row(start, {name: cells[index] if index < len(cells) else "" for index, name in enumerate(self.header)})

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
