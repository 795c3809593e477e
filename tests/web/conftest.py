"""Web fixtures: a fresh database per test module and engine, fixed personas, an in-process client.

Personas: ``officer`` (agent), ``supervisor``, ``roads`` (unit member of roads),
``outsider`` (unit member of lighting) and ``viewer``; each password is the name
followed by ``-password``.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor import models
from monitor.accounts import add_user
from monitor.bootstrap import sync_units
from monitor.channels.replay import ReplayChannel
from monitor.migrations import upgrade_database
from monitor.pipeline import process_inbound
from monitor.pipeline.poll import poll_channel
from monitor.services import Services
from monitor.settings import Settings
from monitor.web.app import create_app
from tests.conftest import fresh_database_url
from tests.factories import replay_channel_row, write_replay, x_line

PERSONAS = {"officer": ("agent", None), "supervisor": ("supervisor", None), "roads": ("unit", "roads"),
            "outsider": ("unit", "lighting"), "viewer": ("viewer", None), "admin": ("admin", None)}
_numbers = itertools.count(1)


def prepared_services(settings: Settings, tagger) -> Services:  # type: ignore[no-untyped-def]
    """Services on a migrated database with the units and every persona; the real tagger given."""
    services = Services(settings)
    services.tagger = tagger  # the real pipeline, fitted on the tiny corpus
    upgrade_database(services.engine)
    with services.sessions() as session:
        sync_units(session, services.catalogue)
        units = {unit.slug: unit for unit in session.scalars(select(models.Unit))}
        for name, (role, unit) in PERSONAS.items():
            add_user(session, name, role, f"{name}-password", unit=units.get(unit))
        session.commit()
    return services


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def services(request, tmp_path_factory, tiny_tagger):
    tmp = tmp_path_factory.mktemp("web")
    for url in fresh_database_url(request.param, tmp):
        services = prepared_services(Settings(home=tmp, database_url=url, secret_key="test-key-" + "x" * 32),
                                     tiny_tagger)
        yield services
        services.engine.dispose()


def add_posts(services: Services, *texts: str, conversation: int | None = None) -> list[models.Case]:
    """Run posts through the real inbound pipeline; return the cases they landed in."""
    numbers = [next(_numbers) for _ in texts]
    lines = [x_line(n, text, conversation=conversation) for n, text in zip(numbers, texts, strict=True)]
    path = write_replay(services.settings.home / f"posts-{numbers[0]}.jsonl", lines)
    now = datetime.now(UTC)
    with services.sessions() as session:
        row = replay_channel_row(session, path, name=f"replay-{numbers[0]}")
        poll_channel(session, row, ReplayChannel(path), now=now)
        process_inbound(session, services.tagger, services.catalogue, review_threshold=0.5, now=now,
                        sla_rules=services.sla_rules)
        return session.scalars(select(models.Case).join(models.Post).where(models.Post.raw_page_id.is_not(None))
                               .where(models.Case.channel_id == row.id).order_by(models.Case.id)).unique().all()


@pytest.fixture
def client(services):
    with TestClient(create_app(services), base_url="http://127.0.0.1") as client:
        yield client


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, username="officer", password=None):
    token = csrf(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password or f"{username}-password",
                                       "csrf_token": token}, follow_redirects=False)


def post_form(client, path: str, **data):
    """Submit a form the way its page does: with the session's CSRF token from that page."""
    page = re.match(r"^/cases/\d+", path)
    token = csrf(client.get(page.group(0) if page else "/").text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)
