"""Shared pytest fixtures.

Sections:

* fixture data: :data:`DATA_DIR` and the ``data_dir`` fixture;
* local HTTP server: ``feed_server`` (one per session) and ``fresh_server``
  (the same server with recorded requests and ``set_file`` overrides reset).
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

import pytest
from feedserver import FeedServer

if TYPE_CHECKING:
    from collections.abc import Iterator

from pathlib import Path

#: Hand-written fixture feeds; ``expected.json`` there lists their facts.
DATA_DIR = Path(__file__).parent / "data"


# -- fixture data --------------------------------------------------------------


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The directory of fixture feeds (:data:`DATA_DIR`)."""
    return DATA_DIR


# -- local HTTP server ---------------------------------------------------------


@pytest.fixture(scope="session")
def feed_server() -> Iterator[FeedServer]:
    """A :class:`FeedServer` serving :data:`DATA_DIR` for the whole session."""
    server = FeedServer(DATA_DIR)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_server(feed_server: FeedServer) -> FeedServer:
    """The session server with no recorded requests and no file overrides."""
    feed_server.reset()
    return feed_server


# -- databases -----------------------------------------------------------------

#: The PostgreSQL the test machine runs; tests that need it skip without it, except
#: under CI (CI=true), where its absence is a failure.
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_unavailable(reason: str) -> None:
    message = f"PostgreSQL at 127.0.0.1:5432 (user postgres, database test) unreachable: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " — CI must run these tests", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL of a fresh, empty schema in the test PostgreSQL, dropped afterwards."""
    import sqlalchemy as sa

    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        _postgres_unavailable(str(exc.orig).strip().splitlines()[0])
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on a real SQLite file and on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aggregator.db'}"
    return str(request.getfixturevalue("postgres_url"))
