"""Fixtures for the complaints sink: the Open311 stand-in on loopback, a sink pointed at it, a roads case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from monitor import models
from monitor.channels.replay import ReplayChannel
from monitor.pipeline import process_inbound
from monitor.pipeline.poll import poll_channel
from monitor.reply_templates import ReplyTemplate, load_templates
from monitor.settings import Settings
from monitor.sinks.complaints import ComplaintsSink, load_service_codes
from tests.conftest import DATA
from tests.factories import replay_channel_row, write_replay, x_line
from tests.stand_ins.open311 import API_KEY, Open311

TIMEOUT = 0.5
GEO = {"coordinates": {"type": "Point", "coordinates": [50.5861, 26.2285]}}


def complaints_settings(base_url: str, tmp_path, **overrides) -> Settings:
    values = {"complaints_url": base_url, "complaints_api_key": API_KEY, "complaints_allow_private": True,
              "complaints_timeout_seconds": TIMEOUT, **overrides}
    return Settings(home=tmp_path, **values)


@pytest.fixture
def sink(open311: Open311, open311_server, tmp_path) -> Iterator[ComplaintsSink]:
    sink = ComplaintsSink(complaints_settings(open311_server[1], tmp_path), load_service_codes(DATA / "units.yaml"))
    yield sink
    sink.close()


@pytest.fixture(scope="session")
def templates() -> tuple[ReplyTemplate, ...]:
    return load_templates(DATA / "reply_templates.yaml")


@pytest.fixture
def case(session, tmp_path, tiny_tagger, catalogue, now) -> models.Case:
    """A roads complaint whose post carries exact coordinates."""
    line = x_line(1, "@WorksMinistry huge pothole on our street, please fix", geo=GEO)
    path = write_replay(tmp_path / "posts.jsonl", [line])
    poll_channel(session, replay_channel_row(session, path), ReplayChannel(path), now=now)
    process_inbound(session, tiny_tagger, catalogue, review_threshold=0.5, now=now)
    found = session.scalars(select(models.Case)).one()
    assert (found.category, found.unit.slug) == ("complaint", "roads")
    return found
