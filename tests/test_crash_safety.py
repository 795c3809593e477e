"""Crash safety: the real worker, killed with SIGKILL ten times while posts arrive and replies are
approved, loses nothing and duplicates nothing (on each engine). `bench/crash.py` runs 100 kills."""

import pytest

from tests.channels.conftest import x_credentials
from tests.cli_run import monitor_env
from tests.conftest import fresh_database_url
from tests.stand_ins.crash import prepare, run_trial

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_ten_kills_lose_nothing_and_post_every_approved_reply_once(backend, tmp_path, tiny_model_path,
                                                                    fake_x, fake_x_server):
    for url in fresh_database_url(backend, tmp_path):
        prepare(url, tmp_path, tiny_model_path)
        credentials = {key: str(value) for key, value in x_credentials(fake_x_server[1]).items()}
        credentials["x_timeout_seconds"] = "2"
        env = monitor_env(tmp_path, database_url=url, demo_channel="false", leader_ttl_seconds="6",
                          reply_stalled_seconds="5", **credentials)
        outcome = run_trial(url, tmp_path, env, fake_x, kills=10, posts=60)
        assert outcome.citizen_posts == 60
        assert (outcome.stored_posts, outcome.duplicate_posts, outcome.missing_posts) == (60, 0, 0), outcome
        assert outcome.replies > 0 and outcome.replies_sent == outcome.replies, outcome
        assert (outcome.replies_posted_twice, outcome.replies_not_posted) == (0, 0), outcome
