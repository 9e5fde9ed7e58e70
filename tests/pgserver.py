"""The PostgreSQL server the central-store tests use.

RINGCUE_TEST_PG is a superuser URL (it creates and drops one database per
test); `.ci/run` starts a throwaway server with `.ci/pg-start` and sets it.
By hand: export RINGCUE_TEST_PG="$(bash .ci/pg-start)". Without it the
PostgreSQL tests skip, saying why; with RINGCUE_REQUIRE_PG=1 (as in CI) a
missing server fails them instead.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

ENV = "RINGCUE_TEST_PG"


def admin_url() -> str:
    """The server's superuser URL, or skip (fail where it is required)."""
    url = os.environ.get(ENV)
    why = None
    if not url:
        why = f"no PostgreSQL server: set {ENV} (bash .ci/pg-start prints one)"
    else:
        try:
            import psycopg
        except ImportError:
            why = "psycopg is not installed (pip install 'ringcue[postgres]')"
        else:
            try:
                psycopg.connect(url, connect_timeout=5).close()
            except psycopg.Error as e:
                why = f"the PostgreSQL server at {ENV} does not answer: {e}"
    if why:
        if os.environ.get("RINGCUE_REQUIRE_PG"):
            pytest.fail(f"{why} (RINGCUE_REQUIRE_PG is set: the PostgreSQL tests must run)")
        pytest.skip(why)
    return url


def with_database(url: str, name: str, user: str | None = None,
                  password: str | None = None) -> str:
    """`url` naming another database (and, if given, another login)."""
    u = urlsplit(url)
    user = user or u.username
    password = password if password is not None else u.password
    host = f"[{u.hostname}]" if ":" in (u.hostname or "") else u.hostname
    netloc = f"{user}:{password}@{host}:{u.port}" if password else f"{user}@{host}:{u.port}"
    return urlunsplit((u.scheme, netloc, "/" + name, u.query, ""))


def create_database(admin: str) -> str:
    import psycopg

    name = f"ringcue_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return name


def drop_database(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_url():
    """A new, empty database on the test server; dropped afterwards."""
    admin = admin_url()
    name = create_database(admin)
    try:
        yield with_database(admin, name)
    finally:
        drop_database(admin, name)
