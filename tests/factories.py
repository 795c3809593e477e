"""Builders for X API v2 shaped posts and the rows tests need."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from monitor import models

BASE_ID = 1861000000000000000
BASE_TIME = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def x_line(n: int, text: str, *, author: str = "citizen", conversation: int | None = None,
           mention: bool = True, **extra: Any) -> dict[str, Any]:
    """Post number ``n`` as one replay line (X's single-post lookup shape)."""
    post_id = str(BASE_ID + n)
    author_id = str(1700000000000000000 + abs(hash(author)) % 10**9)
    data = {
        "id": post_id, "text": text, "author_id": author_id,
        "created_at": (BASE_TIME + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "lang": "en", "conversation_id": str(BASE_ID + conversation) if conversation else post_id,
        "edit_history_tweet_ids": [post_id],
        **extra,
    }
    if mention:
        data["entities"] = {"mentions": [{"start": 0, "end": 14, "username": "WorksMinistry"}]}
    return {"data": data, "includes": {"users": [{"id": author_id, "username": author, "name": author.title()}]}}


def write_replay(path: Path, lines: list[dict[str, Any] | str]) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


def replay_channel_row(session: Session, path: Path, *, name: str = "replay-test", **config: Any) -> models.Channel:
    row = models.Channel(name=name, kind="replay", config={"path": str(path), "account_handle": "WorksMinistry",
                                                             **config})
    session.add(row)
    session.commit()
    return row
