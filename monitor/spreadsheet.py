"""Cells safe to open in a spreadsheet: one rule for every XLSX and CSV file the project writes.

Text written by people outside the office (a case title copied from a post, a purpose, a name) must
stay text. A spreadsheet program treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK("http://…","Bấm vào đây")`` becomes a live link; ``=cmd|…`` runs commands in old Excel), and
a leading tab or carriage return hides such a character from a naive check. Following OWASP's
"CSV injection" advice, such a string is prefixed with an apostrophe, which spreadsheet programs show as
text and which a reader can still see. Characters XLSX cannot store at all (most control characters) are
removed, so a title typed with one does not fail the whole export.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet should store it: strings that could start a formula made plain text.

    Numbers, dates, booleans and None are returned unchanged (a negative number is a number, not a formula).
    """
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def safe_row(values: Iterable[object]) -> list[object]:
    """Every cell of a row through :func:`safe_cell` (for ``sheet.append`` and ``csv.writer.writerow``)."""
    return [safe_cell(value) for value in values]
