"""The X channel as an operator runs it: real `monitor` processes against the fake X API."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from sqlalchemy import select

from classifiers import card_path
from monitor import models
from monitor.db import make_engine, make_session_factory
from tests.channels.conftest import x_credentials
from tests.cli_run import monitor, monitor_env
from tests.conftest import REPO, fresh_database_url

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def operator(request, tmp_path, tiny_model_path, fake_x_server):
    """Runs `monitor ...` in a migrated home, on the backend under test, with X pointed at the fake."""
    fake, base_url = fake_x_server
    fake.reset()
    (tmp_path / "models").mkdir()
    shutil.copy(tiny_model_path, tmp_path / "models" / "tagger.skops")
    shutil.copy(card_path(tiny_model_path), card_path(tmp_path / "models" / "tagger.skops"))
    for url in fresh_database_url(request.param, tmp_path):
        settings = {k: str(v) for k, v in x_credentials(base_url).items()}
        settings.update(database_url=url, demo_channel="false", x_timeout_seconds="0.5")

        def run(*args, check=True):
            return monitor(tmp_path, *args, check=check, **settings)

        run("migrate")
        engine = make_engine(url)
        run.sessions = make_session_factory(engine)
        run.env = monitor_env(tmp_path, **settings)
        yield run
        engine.dispose()


def stored_texts(operator, name="ministry"):
    with operator.sessions() as session:
        channel = session.scalar(select(models.Channel).where(models.Channel.name == name))
        return sorted(session.execute(select(models.Post.external_id, models.Post.text)
                                      .where(models.Post.channel_id == channel.id)).all())


def test_channels_are_added_listed_polled_and_disabled(operator, fake_x):
    operator("channel", "add", "x", "ministry", "--monthly-budget", "5000")
    added = operator("channel", "add", "x", "floods", "--search", "flooding", "--search", "road closed").stdout
    assert "floods added: search 'flooding'" in added and "floods-2 added: search 'road closed'" in added
    mention = fake_x.add_post("@WorksMinistry flooding in our street")
    operator("poll", "--once", "--channel", "ministry")
    operator("poll", "--once", "--channel", "floods")
    listing = operator("channel", "list").stdout
    assert "ministry" in listing and "5000" in listing and "mentions" in listing
    assert [text for _, text in stored_texts(operator)] == ["@WorksMinistry flooding in our street"]
    assert [i for i, _ in stored_texts(operator, "floods")] == [mention]
    operator("channel", "disable", "floods-2")
    with operator.sessions() as session:
        assert not session.scalar(select(models.Channel.enabled).where(models.Channel.name == "floods-2"))
        config = session.scalar(select(models.Channel.config).where(models.Channel.name == "ministry"))
    assert "test-bearer" not in str(config) and config["user_id"] and config["account_handle"] == "WorksMinistry"


def test_monitor_x_forget_removes_the_text_and_author_everywhere(operator, fake_x):
    operator("channel", "add", "x", "ministry")
    gone = fake_x.add_post("@WorksMinistry my private complaint about my neighbour", author="leaver")
    kept = fake_x.add_post("@WorksMinistry broken pipe", author="stayer")
    operator("poll", "--once", "--channel", "ministry")
    result = operator("x", "forget", gone)
    assert "forgotten" in result.stdout
    with operator.sessions() as session:
        post = session.scalar(select(models.Post).where(models.Post.external_id == gone))
        assert (post.author_handle, post.author_id, post.author_name) == (None, None, None)
        assert "private complaint" not in post.text
        pages = " ".join(session.scalars(select(models.RawPage.payload)))
        assert "private complaint" not in pages and "leaver" not in pages and kept in pages and "stayer" in pages
        events = session.scalars(select(models.Event).where(models.Event.post_id == post.id)).all()
        assert "post_forgotten" in [e.action for e in events]
        assert "private complaint" not in str([(e.before, e.after) for e in events])
    unknown = operator("x", "forget", "123", check=False)
    assert unknown.returncode == 1 and unknown.stderr.strip() == "error: no stored post or page holds post 123"


def test_two_pollers_of_one_channel_at_once_store_every_post_once(operator, fake_x):
    operator("channel", "add", "x", "ministry")
    ids = [fake_x.add_post(f"@WorksMinistry street light {n} is out") for n in range(230)]
    command = [sys.executable, "-m", "monitor", "poll", "--once", "--channel", "ministry"]
    runs = [subprocess.Popen(command, cwd=REPO, env=operator.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    results = [(run.communicate(timeout=300)[1], run.returncode) for run in runs]
    assert [code for _, code in results] == [0, 0], results
    assert [i for i, _ in stored_texts(operator)] == sorted(ids)


def test_repeated_polls_while_posts_arrive_and_failures_strike_store_every_post_once(operator, fake_x):
    operator("channel", "add", "x", "ministry")
    fake_x.reset_in = 0  # rate limits reset at once, so the next poll may go
    failures = [("503", 2), ("500", 3), ("slow", 1), ("malformed", 1), ("partial", 1), ("rate_limit", 1),
                ("slow", 3), (None, 0)]
    ids = []
    for round_number, (failure, times) in enumerate(failures):
        ids += [fake_x.add_post(f"@WorksMinistry round {round_number} post {n}") for n in range(40)]
        if failure:
            fake_x.fail_next(failure, times, path="/2/users", after=round_number % 2)
        operator("poll", "--once", "--channel", "ministry")
    fake_x.failures.clear()
    operator("poll", "--once", "--channel", "ministry")
    assert [i for i, _ in stored_texts(operator)] == sorted(ids)
