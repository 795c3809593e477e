"""Bulk writes of post rows, shared by the stages that move posts along.

A stage changes the same columns of every post in its batch, so it writes them with one
UPDATE by primary key run over the batch (an executemany). Core is used rather than the
ORM's bulk UPDATE: the ORM's per-row bookkeeping cost about as much as the database
(28 against 13 µs a row on SQLite, measured for bench/ingest.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from monitor import models

POSTS = models.Post.__table__


def update_posts(session: Session, changes: Sequence[dict]) -> None:
    """Apply ``changes``: dicts of one post's ``post_id`` and its new column values (same keys in each)."""
    if changes:
        session.execute(update(POSTS).where(POSTS.c.id == bindparam("post_id")), list(changes))
