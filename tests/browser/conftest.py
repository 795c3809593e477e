"""Browser tests: Playwright driving Debian's Chromium against a real uvicorn server on loopback.

Chromium cannot be downloaded here, so Playwright launches /usr/bin/chromium
(`.ci/run` installs it). Without it these tests skip with the reason, and fail
when CI is set.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.settings import Settings
from monitor.web.app import create_app
from tests.conftest import IN_CI, REPO
from tests.stand_ins.loopback import serve_asgi

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if IN_CI:
        pytest.fail(reason + " (required because CI is set)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def live_server(services):
    """The app on real uvicorn on loopback; yields its base URL."""
    with serve_asgi(create_app(services), lifespan="auto") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def services(tmp_path_factory, tiny_tagger):
    """A fresh SQLite database with the personas (the suite covers PostgreSQL through the other web tests)."""
    from tests.web.conftest import prepared_services

    tmp = tmp_path_factory.mktemp("browser")
    settings = Settings(home=tmp, database_url=f"sqlite:///{tmp / 'monitor.db'}", secret_key="b" * 40)
    services = prepared_services(settings, tiny_tagger)
    yield services
    services.engine.dispose()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"{username}-password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
