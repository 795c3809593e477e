"""Browser tests: Playwright driving Debian's Chromium against a real uvicorn server on loopback.

Chromium cannot be downloaded here, so Playwright launches /usr/bin/chromium
(`.ci/run` installs it). Without it these tests skip with the reason, and fail
when CI is set.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from monitor.services import Services
from monitor.settings import Settings
from monitor.web.app import create_app
from tests.conftest import IN_CI, REPO

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(services):
    """The app on real uvicorn in a thread; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def services(tmp_path_factory, tiny_tagger):
    """A fresh SQLite database with the personas (the suite covers PostgreSQL through the other web tests)."""
    from tests.web.conftest import PERSONAS
    from monitor.accounts import add_user
    from monitor.bootstrap import sync_units
    from monitor.migrations import upgrade_database
    from sqlalchemy import select
    from monitor import models

    tmp = tmp_path_factory.mktemp("browser")
    services = Services(Settings(home=tmp, database_url=f"sqlite:///{tmp / 'monitor.db'}", secret_key="b" * 40))
    services.tagger = tiny_tagger
    upgrade_database(services.engine)
    with services.sessions() as session:
        sync_units(session, services.catalogue)
        units = {unit.slug: unit for unit in session.scalars(select(models.Unit))}
        for name, (role, unit) in PERSONAS.items():
            add_user(session, name, role, f"{name}-password", unit=units.get(unit))
        session.commit()
    yield services
    services.engine.dispose()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"{username}-password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
