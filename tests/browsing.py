"""The headless browser the HTML players are tested in (Chromium through selenium): how to
find it, and what the tests ask of a page. The ``browser`` fixture is in conftest.py."""

from __future__ import annotations

import os
import shutil
import time


def find_browser() -> tuple[str, str] | str:
    """(chromium binary, chromedriver) or the reason there is none."""
    binary = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                   if shutil.which(name)), None)
    driver = shutil.which("chromedriver") or (
        "/usr/lib/chromium/chromedriver" if os.path.exists("/usr/lib/chromium/chromedriver") else None)
    missing = [what for what, found in (("Chromium (apt-get install chromium)", binary),
                                         ("chromedriver (apt-get install chromium-driver)", driver)) if not found]
    if missing:
        return "no headless browser to test the player in: missing " + " and ".join(missing)
    return binary, driver


def script_errors(driver) -> list[str]:
    """SEVERE console entries, leaving out resources a page could not fetch (an nbconvert
    export links require.js and MathJax on a CDN, unreachable offline): those are not script errors."""
    entries = driver.get_log("browser")
    return [e["message"] for e in entries if e["level"] == "SEVERE"
            and "Failed to load resource" not in e["message"] and "net::ERR_" not in e["message"]]


def wait_for(condition, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def open_exported_notebook(browser, notebook, folder, player_class: str):
    """Export ``notebook`` (executed) to HTML as nbconvert does, open it, and wait for the
    player of CSS class ``player_class`` to start: its id prefix, or None if it never did."""
    import nbconvert

    body, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    page = folder / "exported.html"
    page.write_text(body, encoding="utf-8")
    browser.get(page.as_uri())
    return wait_for(lambda: browser.execute_script(
        f"var p = document.querySelector('.{player_class}'); "
        "return p && p.getAttribute('data-ready') ? p.id : null;"))
