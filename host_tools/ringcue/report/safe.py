"""Reports go to managers' spreadsheets, and desk names come from whoever
has a board's USB port: a name like `=HYPERLINK(...)` must stay text.

CSV: a cell that a spreadsheet would read as a formula (it starts with
= + - @, a tab or a carriage return) gets a leading single quote, as OWASP's
CSV-injection guidance recommends. Only text cells are touched: numbers
(a negative number included) are written as they are. The XLSX writer turns
xlsxwriter's formula, URL and number guessing off instead (report/xlsx.py).
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe_rows(rows, text_columns):
    """csv_safe on the columns that can hold text from outside (desk names,
    board ids, profiles); the others are ringcue's own words and numbers.
    A row with nothing to neutralise passes through as it is (fast)."""
    for row in rows:
        for i in text_columns:
            v = row[i]
            if isinstance(v, str) and v.startswith(FORMULA_START):
                yield [csv_safe(v) if j in text_columns else v for j, v in enumerate(row)]
                break
        else:
            yield row
