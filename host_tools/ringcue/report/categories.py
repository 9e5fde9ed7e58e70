"""What a call counts as in every report: the one table of categories.

The etiquette: pick up after the 2nd ring, never later than the 3rd. A call
falls in the first row whose outcome and ring limit it meets; the SQL the
stores run and the Python that classifies single rows are both made from
this table, so they cannot disagree.
"""

from __future__ import annotations

ANSWER_BY_RING = 3  # the rule the reports measure: answered by ring 3

# name, outcome (None: any other, i.e. no hook sense), rings at most (None: any), label
TABLE = (
    ("early", "answered", 1, "ring 1 (early)"),
    ("on_time", "answered", ANSWER_BY_RING, "rings 2-3 (on time)"),
    ("late", "answered", None, "ring 4+ (late)"),
    ("short_abandon", "abandoned", 1, "gave up on ring 1"),
    ("missed", "abandoned", None, "missed (gave up on ring 2+)"),
    ("stopped_by_3", None, ANSWER_BY_RING, "no hook sense: stopped by ring 3"),
    ("stopped_late", None, None, "no hook sense: rang 4+"),
)
CATEGORIES = tuple(row[0] for row in TABLE)
# the calls that meet the rule (without hook sense: stopped ringing by ring 3)
IN_TIME = ("early", "on_time", "stopped_by_3")
CATEGORY_LABELS = {row[0]: row[3] for row in TABLE}
_OUTCOMES = {row[1] for row in TABLE if row[1]}


def classify(outcome: str | None, rings: int) -> str:
    """The category of one call."""
    for name, out, most, _ in TABLE:
        if (out == outcome or (out is None and outcome not in _OUTCOMES)) and (
                most is None or rings <= most):
            return name
    raise AssertionError("the last row takes every call")  # pragma: no cover


def category_sql(outcome: str = "outcome", rings: str = "rings") -> str:
    """An SQL expression giving a call's category as its index in CATEGORIES
    (standard SQL: SQLite and PostgreSQL alike). A NULL outcome is no outcome,
    as classify() takes None."""
    outcome = f"COALESCE({outcome}, '')"
    whens = []
    for i, (_, out, most, _) in enumerate(TABLE[:-1]):
        test = [f"{outcome}='{out}'"] if out else [
            f"{outcome} NOT IN ({', '.join(repr(o) for o in sorted(_OUTCOMES))})"]
        if most is not None:
            test.append(f"{rings}<={most}")
        whens.append(f"  WHEN {' AND '.join(test)} THEN {i}")
    return "CASE\n" + "\n".join(whens) + f"\n  ELSE {len(TABLE) - 1} END"
