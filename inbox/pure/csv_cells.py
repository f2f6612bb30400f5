"""CSV for spreadsheets: cells that cannot run as formulas, and reading uploaded files.

An upload is read as UTF-8 (with or without a BOM; UTF-16 with a BOM too). A line that is
not valid UTF-8 in a file that otherwise is stays in it, read as Windows-1252, and is
named (``Decoded.bad_lines``) so that its row can be reported rather than imported as a
guess; a file without one valid UTF-8 line beyond ASCII is read as Windows-1252 whole
(``Decoded.encoding`` says so). Nothing is ever read differently without a word.
"""

import csv
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# An E.164 number as we store it: a plus and digits, which no spreadsheet runs as code.
E164 = re.compile(r"^\+\d{1,15}$")
UTF8, CP1252, UTF16 = "UTF-8", "Windows-1252", "UTF-16"
# The csv module's own limit on a cell (``csv.field_size_limit()``).
CELL_MAX_CHARS = csv.field_size_limit()
# File types people upload by mistake, by their first bytes.
BINARY_STARTS = {
    b"PK\x03\x04": "an Excel workbook or another zip file",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"%PDF": "a PDF",
    b"\x89PNG": "an image",
    b"\xff\xd8\xff": "an image",
    b"GIF8": "an image",
}
CONTROL_BYTES = frozenset(range(0x09)) | frozenset(range(0x0E, 0x20))


class UnreadableFile(ValueError):
    """An upload that cannot be read as CSV; the message says why, for people."""


def csv_safe(value: object) -> str:
    """``value`` as a cell a spreadsheet shows as text: a leading ``=``, ``+``, ``-``, ``@``
    (or tab/CR) would make it a formula, so such a cell gets a leading apostrophe. Stored
    E.164 numbers stay as they are, so an export imports again unchanged."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not E164.match(text):
        return "'" + text
    return text


def csv_unsafe(text: str) -> str:
    """A cell as ``csv_safe`` wrote it, without the apostrophe it added: an export
    imports again with the names and values it held."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


@dataclass
class Decoded:
    text: str
    encoding: str = UTF8
    # Line numbers (from 1) that were not valid UTF-8 (read as Windows-1252), and those
    # that held a NUL character (removed: PostgreSQL text cannot hold one).
    bad_lines: set[int] = field(default_factory=set)
    nul_lines: set[int] = field(default_factory=set)


def _binary_kind(data: bytes) -> str:
    for start, kind in BINARY_STARTS.items():
        if data.startswith(start):
            return kind
    head = data[:8192]
    control = sum(byte in CONTROL_BYTES for byte in head)
    return "a binary file" if control >= max(4, len(head) // 100) else ""


def decode_upload(data: bytes) -> Decoded:
    """The text of an uploaded CSV file; ``UnreadableFile`` when it is not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _without_nul(Decoded(data.decode("utf-16"), UTF16))
        except UnicodeDecodeError:
            raise UnreadableFile("The file says it is UTF-16 but is not: save it as CSV.") from None
    kind = _binary_kind(data)
    if kind:
        raise UnreadableFile(
            f"This is not a CSV file (it looks like {kind}): save it as “CSV UTF-8” "
            "from your spreadsheet and upload that."
        )
    try:
        return _without_nul(Decoded(data.decode("utf-8-sig")))
    except UnicodeDecodeError:
        pass
    has_bom = data.startswith(b"\xef\xbb\xbf")
    lines = data.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True)
    text: list[str] = []
    bad: set[int] = set()
    utf8_beyond_ascii = 0
    for number, line in enumerate(lines, start=1):
        try:
            text.append(line.decode("utf-8"))
            utf8_beyond_ascii += not line.isascii()
        except UnicodeDecodeError:
            text.append(line.decode("cp1252", errors="replace"))
            bad.add(number)
    if not has_bom and not utf8_beyond_ascii:
        # Not one line reads as UTF-8 beyond ASCII: a Windows-1252 file, read as such.
        return _without_nul(Decoded("".join(text), CP1252))
    return _without_nul(Decoded("".join(text), UTF8, bad_lines=bad))


def _without_nul(decoded: Decoded) -> Decoded:
    if "\x00" not in decoded.text:
        return decoded
    lines = io.StringIO(decoded.text, newline="").readlines()
    decoded.nul_lines = {n for n, line in enumerate(lines, start=1) if "\x00" in line}
    decoded.text = decoded.text.replace("\x00", "")
    return decoded


def _delimiter(text: str) -> str:
    first_line = io.StringIO(text, newline="").readline()
    return max(",;\t", key=first_line.count)


def numbered_rows(text: str) -> Iterator[tuple[range, list[str]]]:
    """Each row of ``text`` with the lines it spans (a quoted cell may hold line breaks),
    comma, semicolon or tab separated as the header suggests. Lines end at CR, LF or CRLF;
    ``UnreadableFile`` names the row the csv module cannot read (a cell over its limit)."""
    # newline="": a bare CR ends a line as LF does, and a quoted cell keeps its own.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    last_line = 0
    row_number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = str(exc)
            if "field larger" in reason:
                reason = f"a cell is longer than {CELL_MAX_CHARS:,} characters (a quote left open?)"
            raise UnreadableFile(
                f"Row {row_number} cannot be read: {reason}. Correct the file and upload it again."
            ) from None
        yield range(last_line + 1, reader.line_num + 1), cells
        last_line = reader.line_num
        row_number += 1


def read_rows(text: str, *, limit: int | None = None) -> list[list[str]]:
    """The rows of ``text`` (all, or the first ``limit``)."""
    return [cells for _, cells in itertools.islice(numbered_rows(text), limit)]
