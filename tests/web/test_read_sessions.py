"""Pages read a snapshot: they never wait for the worker's write lock, and never write by accident."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from monitor import models
from monitor.accounts import create_token
from monitor.db import ReadOnlySessionError
from tests.web.conftest import add_posts, sign_in


def test_a_read_only_session_refuses_to_write(services):
    with services.read_sessions() as session:
        user = session.scalars(select(models.User).where(models.User.username == "officer")).one()
        user.language = "en"
        with pytest.raises(ReadOnlySessionError):
            session.flush()


def test_pages_answer_while_another_process_holds_the_write_lock(services, client):
    """A worker's batch holds the write lock; the queue must not queue behind it."""
    case = add_posts(services, "@WorksMinistry the streetlight on our road is out")[0]
    sign_in(client)
    headers = _bearer(services)
    assert client.get("/api/cases", headers=headers).status_code == 200  # its use is recorded now, not below
    with _worker_batch(services):
        answers: dict[str, int] = {}

        def read() -> None:
            answers["queue"] = client.get("/").status_code
            answers["api"] = client.get("/api/cases", headers=headers).status_code

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=10)  # SQLite's busy timeout is 30 s: a reader that waited would still be here
        assert not reader.is_alive(), "a page waited for the write lock"
        assert answers == {"queue": 200, "api": 200}
    assert client.get(f"/cases/{case.id}").status_code == 200  # the page's presence write still works


@contextmanager
def _worker_batch(services) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Another connection in the middle of a write: SQLite's write lock, or PostgreSQL's lock on cases."""
    if services.engine.dialect.name == "sqlite":
        writer = sqlite3.connect(services.engine.url.database, timeout=1, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # what every worker transaction takes first
        try:
            yield
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        return
    with services.engine.connect() as writer, writer.begin():
        writer.execute(text("LOCK TABLE cases IN EXCLUSIVE MODE"))  # blocks every writer of cases
        writer.execute(text("UPDATE cases SET priority = priority"))
        yield


def test_a_get_still_records_presence_and_token_use(services, client):
    case = add_posts(services, "@WorksMinistry sewage on the street again")[0]
    sign_in(client, "supervisor")
    assert client.get(f"/cases/{case.id}").status_code == 200
    headers = _bearer(services)
    with services.sessions() as session:
        session.execute(update(models.ApiToken).values(last_used_at=datetime.now(UTC) - timedelta(hours=1)))
        session.commit()
    assert client.get("/api/cases", headers=headers).status_code == 200
    with services.sessions() as session:
        supervisor = session.scalars(select(models.User).where(models.User.username == "supervisor")).one()
        assert session.get(models.CaseView, (case.id, supervisor.id)) is not None
        used = session.scalar(select(models.ApiToken.last_used_at).order_by(models.ApiToken.id.desc()).limit(1))
        assert used is not None and _aware(used) > datetime.now(UTC) - timedelta(minutes=1)


def _bearer(services) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with services.sessions() as session:
        user = session.scalars(select(models.User).where(models.User.username == "supervisor")).one()
        token = create_token(session, user, "read-sessions", now=datetime.now(UTC))
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)
