"""Shared test helpers."""

from __future__ import annotations

import tracemalloc
from typing import Callable

import pytest

import browsing


def _peak_bytes(action: Callable[[], object]) -> int:
    """The most memory Python allocated while ``action()`` ran (tracemalloc's peak)."""
    tracemalloc.start()
    try:
        action()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


@pytest.fixture
def peak_bytes() -> Callable[[Callable[[], object]], int]:
    """``peak_bytes(action)``: the peak memory ``action()`` allocated, for tests that a
    hostile file is refused before any large allocation."""
    return _peak_bytes


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (selenium), one per test module; the test skips, saying what is missing, without one."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is missing: pip install -e '.[dev]'")
    found = browsing.find_browser()
    if isinstance(found, str):
        pytest.skip(found)
    binary, driver_path = found
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()
