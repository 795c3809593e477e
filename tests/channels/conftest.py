"""Settings pointing at the fake X API (its fixtures: tests/stand_ins/fake_x.py), and X channel rows."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from monitor import models
from monitor.channels.x import XChannel
from monitor.settings import Settings
from tests.stand_ins.fake_x import ACCOUNT, FakeX

X_TIMEOUT = 0.5


def x_credentials(base_url: str) -> dict[str, Any]:
    return {"x_api_base_url": base_url, "x_timeout_seconds": X_TIMEOUT, "x_bearer_token": "test-bearer",
            "x_consumer_key": "test-key", "x_consumer_secret": "test-key-secret",
            "x_access_token": "test-token", "x_access_token_secret": "test-token-secret"}


@pytest.fixture
def x_settings(fake_x_server: tuple[FakeX, str], tmp_path) -> Settings:
    return Settings(home=tmp_path, **x_credentials(fake_x_server[1]))


def x_config(mode: str = "mentions", **extra: Any) -> dict[str, Any]:
    return {"mode": mode, "account_handle": ACCOUNT["username"], "user_id": ACCOUNT["id"], **extra}


def x_channel_row(session: Session, *, name: str = "x-mentions", **config: Any) -> models.Channel:
    row = models.Channel(name=name, kind="x", config=x_config(**config))
    session.add(row)
    session.commit()
    return row


def x_channel(row: models.Channel, settings: Settings, **kwargs: Any) -> XChannel:
    """The channel as the CLI and worker build it, with a sleep that does not wait."""
    return XChannel.from_config(row.config, settings=settings, sleep=lambda _seconds: None, **kwargs)
