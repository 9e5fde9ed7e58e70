"""The category table: the SQL the stores run and the Python classifier are
made from one table and agree on every outcome and ring count."""

import sqlite3

import pytest

from ringcue_core.codes import OUTCOME_NAMES
from ringcue.report.categories import CATEGORIES, IN_TIME, TABLE, category_sql, classify

OUTCOMES = (*OUTCOME_NAMES, None)  # what the log can say, and a NULL column


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_sql_and_python_agree(outcome):
    db = sqlite3.connect(":memory:")
    for rings in range(0, 12):
        (idx,) = db.execute(f"SELECT {category_sql()} FROM (SELECT ? AS outcome, ? AS rings)",
                            (outcome, rings)).fetchone()
        assert CATEGORIES[idx] == classify(outcome, rings), (outcome, rings)


@pytest.mark.parametrize("outcome,rings,expected", [
    ("answered", 1, "early"), ("answered", 2, "on_time"), ("answered", 3, "on_time"),
    ("answered", 4, "late"), ("abandoned", 1, "short_abandon"), ("abandoned", 2, "missed"),
    ("unknown", 3, "stopped_by_3"), ("unknown", 4, "stopped_late"),
])
def test_the_etiquette(outcome, rings, expected):
    assert classify(outcome, rings) == expected


def test_table_is_whole():
    assert len(set(CATEGORIES)) == len(TABLE) and set(IN_TIME) <= set(CATEGORIES)
    assert TABLE[-1][1] is None and TABLE[-1][2] is None  # the last row takes every call
