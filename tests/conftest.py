"""Shared test configuration: hypothesis profiles and the PostgreSQL guard.

Tests that need PostgreSQL request the ``postgres_url`` fixture (or a fixture built on it) and
are marked ``postgres`` automatically. Without ``COMMERCEKIT_TEST_POSTGRES_URL`` they skip with a
message saying how to enable them, reported as one line of the ``-ra`` summary for all of them
(``SKIPPED [80] tests/conftest.py:NN: PostgreSQL tests skipped: ...``), not one per test.
With ``COMMERCEKIT_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) a skipped PostgreSQL test, or a run
in which none ran, fails the session, and each skip is listed on its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator
from typing import NoReturn

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None)
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

POSTGRES_ENV = "COMMERCEKIT_TEST_POSTGRES_URL"
REQUIRE_ENV = "COMMERCEKIT_REQUIRE_POSTGRES"
_HOW_TO = (
    f"PostgreSQL tests skipped: {POSTGRES_ENV} is not set; set it to "
    "postgresql://postgres@127.0.0.1:5432/test (any database you may create schemas in) to run them"
)

_postgres_skipped: list[str] = []
_postgres_passed: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Fold the PostgreSQL skips into one line of the ``-ra`` summary.

    pytest folds skips by file, line and reason; a skip raised by the ``postgres_url`` fixture
    is reported at each test's own line, so every test gets a line. Reporting them all at this
    file makes them one line with their count. They are recognized by their reason, so a test
    that reaches the fixture through ``request.getfixturevalue`` (a backend parameter) is
    folded too. They stay skips: the count, ``-rs`` and
    :func:`pytest_sessionfinish` see them as before. With ``COMMERCEKIT_REQUIRE_POSTGRES=1``
    each skip is a failure and keeps its own line.
    """
    report = yield
    if (
        report.skipped
        and os.environ.get(REQUIRE_ENV) != "1"
        and isinstance(report.longrepr, tuple)
        and len(report.longrepr) == 3
        and str(report.longrepr[2]).endswith(_HOW_TO)
    ):
        line = _skip_without_postgres.__code__.co_firstlineno
        report.longrepr = (__file__, line, report.longrepr[2])
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "postgres" not in report.keywords:
        return
    if report.skipped:
        _postgres_skipped.append(report.nodeid)
    elif report.when == "call" and report.passed:
        _postgres_passed.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get(REQUIRE_ENV) != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    problem = None
    if _postgres_skipped:
        problem = f"{len(_postgres_skipped)} PostgreSQL test(s) were skipped: " + ", ".join(
            _postgres_skipped[:5]
        )
    elif not _postgres_passed and session.testscollected:
        problem = "no PostgreSQL test ran"
    if problem:
        if reporter is not None:
            reporter.write_line(f"{REQUIRE_ENV}=1: {problem}", red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of a real PostgreSQL server, or a skip saying how to provide one."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        _skip_without_postgres()
    return url


def _skip_without_postgres() -> NoReturn:
    """Skip the test: no PostgreSQL server was given (the one line of the summary)."""
    pytest.skip(_HOW_TO)


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A fresh, uniquely named schema for one test, dropped (with its tables) afterwards."""
    import psycopg

    name = f"ck_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
