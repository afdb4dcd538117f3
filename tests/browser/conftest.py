"""Browser tests: a real headless Chromium, driven by Selenium through Debian's chromedriver.

The ``browser`` fixture starts Debian's ``chromium`` (``/usr/bin/chromium``) through its matching
``chromedriver`` (``/usr/bin/chromedriver``), headless, in a 1280x900 window. Without them (or
without selenium) the tests that use it skip, saying what to install. With
``COMMERCEKIT_REQUIRE_BROWSER=1`` (set by ``.ci/run``, like ``COMMERCEKIT_REQUIRE_POSTGRES`` in
``tests/conftest.py``) a missing browser fails the test instead, and a run in which a browser
test was skipped, or none ran, fails the session.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REQUIRE_ENV = "COMMERCEKIT_REQUIRE_BROWSER"
WINDOW = (1280, 900)
_HOW_TO = (
    "{missing}; install Debian's packages (apt-get install chromium chromium-driver) and "
    "selenium (pip install -e '.[dev]')"
)

_browser_skipped: list[str] = []
_browser_passed: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a headless Chromium (tests/browser)")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "browser" not in report.keywords:
        return
    if report.skipped:
        _browser_skipped.append(report.nodeid)
    elif report.when == "call" and report.passed:
        _browser_passed.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get(REQUIRE_ENV) != "1":
        return
    problem = None
    if _browser_skipped:
        problem = f"{len(_browser_skipped)} browser test(s) were skipped: " + ", ".join(
            _browser_skipped[:5]
        )
    elif not _browser_passed and session.testscollected:
        problem = "no browser test ran"
    if problem:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"{REQUIRE_ENV}=1: {problem}", red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def missing_browser() -> str | None:
    """What is missing to drive Chromium, or ``None`` when everything is there."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    return ", ".join(missing) + " not found" if missing else None


def _no_browser(missing: str) -> None:
    reason = _HOW_TO.format(missing=missing)
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but Chromium cannot be driven: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """A headless Chromium in a 1280x900 window (a skip, or under CI a failure, without one)."""
    missing = missing_browser()
    if missing:
        _no_browser(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root in a container, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--lang=de-DE",
        "--accept-lang=de-DE,de",
    ):
        options.add_argument(argument)
    # The pages are read in German: the shop formats money for the request's Accept-Language.
    options.add_experimental_option("prefs", {"intl.accept_languages": "de-DE,de"})
    # Debian's chromedriver matches Debian's chromium: Selenium Manager is never asked.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        driver.set_window_size(*WINDOW)
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()
