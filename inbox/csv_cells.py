"""CSV for spreadsheets: cells that cannot run as formulas, and reading uploaded text."""

import csv
import io
import itertools
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# An E.164 number as we store it: a plus and digits, which no spreadsheet runs as code.
E164 = re.compile(r"^\+\d{1,15}$")


def csv_safe(value: object) -> str:
    """``value`` as a cell a spreadsheet shows as text: a leading ``=``, ``+``, ``-``, ``@``
    (or tab/CR) would make it a formula, so such a cell gets a leading apostrophe. Stored
    E.164 numbers stay as they are, so an export imports again unchanged."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not E164.match(text):
        return "'" + text
    return text


def read_rows(text: str, *, limit: int | None = None) -> list[list[str]]:
    """The rows of ``text`` (all, or the first ``limit``), comma, semicolon or tab
    separated as the header suggests."""
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    return list(itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter), limit))


def decode_upload(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252, which decodes any byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
