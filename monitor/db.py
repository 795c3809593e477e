"""Engine and session factory, nothing else."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import ConfigError


def make_engine(url: str, **kwargs: object) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys, a busy timeout and real transactions."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"bad database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and defers BEGIN;
    # take it over as SQLAlchemy's documentation recommends.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # IMMEDIATE: a transaction takes the write lock when it starts, waiting out the busy
    # timeout. A deferred one that read first and writes later fails at once ("database is
    # locked") when another process wrote in between, e.g. two pollers of one channel.
    # Read-only sessions (see `make_session_factory`) begin deferred: under WAL they read a
    # snapshot and neither wait for nor block the writers.
    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


READ_ONLY = "monitor_read_only"


def refresh_statistics(engine: Engine) -> None:
    """Give SQLite's query planner current table statistics (``ANALYZE``).

    Without them it picks the status index for the queue and sorts every open case (73 ms
    with 100,000 cases) instead of reading the newest ones in order (0.2 ms). PostgreSQL's
    autovacuum keeps its own statistics, so there it does nothing.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions for `engine`; ``read_only`` ones read a snapshot on SQLite and must not write.

    A deferred SQLite transaction that writes after another connection committed fails at
    once with "database is locked", so whether such a write works would depend on timing:
    a read-only session refuses every flush with `ReadOnlySessionError` instead.
    """
    if not read_only:
        return sessionmaker(bind=engine, expire_on_commit=False)
    factory = sessionmaker(bind=engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)

    @event.listens_for(factory, "before_flush")
    def _refuse_writes(session, _context, _instances):  # type: ignore[no-untyped-def]
        if session.new or session.dirty or session.deleted:
            raise ReadOnlySessionError("this session only reads; write through a read-write session")

    return factory


class ReadOnlySessionError(RuntimeError):
    """A read-only session was asked to write."""
