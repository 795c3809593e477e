"""One leader at a time: only the worker holding the lease runs jobs; the others wait.

Settled by the database, never by process memory:

- PostgreSQL: a session-level advisory lock held on a dedicated connection. If
  the leader dies (even by ``kill -9``) its connection closes and PostgreSQL
  releases the lock at once; a standby takes it on its next try.
- SQLite: a lease row with a heartbeat, taken with one conditional update. A
  standby may take it over once the heartbeat is older than the lease's time to
  live.

Both keep the ``worker_lease`` row current (holder and heartbeat) for
``monitor status``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from monitor import models

log = logging.getLogger(__name__)

LEASE = "scheduler"
ADVISORY_KEY = 0x6D6F6E69  # "moni"


class Leadership:
    """Acquire, renew and release the scheduler lease for ``holder``."""

    def __init__(self, engine: Engine, holder: str, *, ttl: timedelta):
        self.engine, self.holder, self.ttl = engine, holder, ttl
        self._lock_connection: Connection | None = None

    @property
    def uses_advisory_lock(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def try_acquire(self, now: datetime) -> bool:
        if self.uses_advisory_lock and not self._take_advisory_lock():
            return False
        with self.engine.begin() as connection:
            _ensure_row(connection)
            lease = models.WorkerLease
            stale = now - self.ttl
            condition = [lease.name == LEASE]
            if not self.uses_advisory_lock:  # the advisory lock already decided on PostgreSQL
                condition.append(or_(lease.holder.is_(None), lease.holder == self.holder, lease.heartbeat_at < stale))
            taken = connection.execute(
                update(lease).where(*condition).values(holder=self.holder, acquired_at=now, heartbeat_at=now)
            ).rowcount
        if taken == 1:
            log.info("worker %s is the leader", self.holder)
        return taken == 1

    def renew(self, now: datetime) -> bool:
        """Refresh the heartbeat; False means the lease is lost and jobs must stop."""
        if self.uses_advisory_lock and not self._lock_alive():
            return False
        lease = models.WorkerLease
        with self.engine.begin() as connection:
            renewed = connection.execute(
                update(lease).where(lease.name == LEASE, lease.holder == self.holder).values(heartbeat_at=now)
            ).rowcount
        return renewed == 1

    def release(self) -> None:
        lease = models.WorkerLease
        with self.engine.begin() as connection:
            connection.execute(update(lease).where(lease.name == LEASE, lease.holder == self.holder)
                               .values(holder=None, heartbeat_at=None))
        if self._lock_connection is not None:
            # a pooled connection outlives close(): unlock, then drop the database session itself
            self._lock_connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            self._lock_connection.invalidate()
            self._lock_connection.close()
            self._lock_connection = None

    def _take_advisory_lock(self) -> bool:
        if self._lock_connection is None:
            self._lock_connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = self._lock_connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
        return bool(got)

    def _lock_alive(self) -> bool:
        try:
            held = self._lock_connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND pid = pg_backend_pid()"
            ), {"key": ADVISORY_KEY}).scalar() if self._lock_connection else 0
        except DBAPIError:  # the connection is gone, and with it the lock
            log.exception("leader connection lost")
            return False
        return bool(held)


def _ensure_row(connection: Connection) -> None:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(models.WorkerLease).values(name=LEASE).on_conflict_do_nothing())


def current_leader(connection_or_session) -> models.WorkerLease | None:  # type: ignore[no-untyped-def]
    return connection_or_session.scalars(select(models.WorkerLease).where(models.WorkerLease.name == LEASE)).first()
