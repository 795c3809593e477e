"""Back up, restore into an empty database, and find every case (on each engine)."""

import pytest
from sqlalchemy import func, select

from monitor import models
from monitor.db import make_engine, make_session_factory
from tests.cli_run import monitor
from tests.conftest import fresh_database_url


def cases_in(url):
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        refs = sorted(case.reference for case in session.scalars(select(models.Case)))
        posts = session.scalar(select(func.count()).select_from(models.Post))
    engine.dispose()
    return refs, posts


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_backup_restored_into_an_empty_database_has_every_case(backend, tmp_path, tiny_model_path):
    import shutil

    from classifiers import card_path

    (tmp_path / "models").mkdir()
    shutil.copy(tiny_model_path, tmp_path / "models" / "tagger.skops")
    shutil.copy(card_path(tiny_model_path), card_path(tmp_path / "models" / "tagger.skops"))
    source_dir, target_dir = tmp_path / "source", tmp_path / "target"
    source_dir.mkdir()
    target_dir.mkdir()
    for source in fresh_database_url(backend, source_dir):
        monitor(tmp_path, "migrate", database_url=source)
        monitor(tmp_path, "poll", "--once", database_url=source)
        before = cases_in(source)
        assert len(before[0]) > 0
        monitor(tmp_path, "backup", "--out", str(tmp_path / "backup.bin"), database_url=source)
        for target in fresh_database_url(backend, target_dir):
            monitor(tmp_path, "restore", str(tmp_path / "backup.bin"), database_url=target)
            assert cases_in(target) == before
            assert "database is current" in monitor(tmp_path, "migrate", database_url=target).stdout


def test_restoring_a_missing_backup_is_one_clear_line(tmp_path):
    result = monitor(tmp_path, "restore", str(tmp_path / "nope.bin"), check=False)
    assert result.returncode == 1 and "no such backup" in result.stderr and "Traceback" not in result.stderr
