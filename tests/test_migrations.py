import pytest
from sqlalchemy import inspect

from monitor.db import make_engine
from monitor.migrations import current_revision, downgrade_database, head_revision, upgrade_database
from tests.conftest import fresh_database_url

TABLES = {"units", "users", "channels", "raw_pages", "cases", "posts", "replies", "events", "labeled_examples", "channel_usage", "login_failures",
          "api_tokens", "saved_views", "case_views", "forwards",
          "worker_lease", "job_runs"}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_apply_roll_back_and_apply_again(backend, tmp_path):
    for url in fresh_database_url(backend, tmp_path):
        engine = make_engine(url)
        upgrade_database(engine)
        assert current_revision(engine) == head_revision()
        assert TABLES <= set(inspect(engine).get_table_names())
        downgrade_database(engine)
        assert current_revision(engine) is None
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade_database(engine)
        assert current_revision(engine) == head_revision()
        engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_the_models_match_the_migrated_schema(engine):
    """Autogenerate finds nothing to do: models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from monitor.models import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, Base.metadata) == []
