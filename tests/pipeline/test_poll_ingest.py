from datetime import timedelta

from sqlalchemy import func, select

from monitor import models
from monitor.channels import ChannelError
from monitor.channels.replay import ReplayChannel
from monitor.pipeline.ingest import ingest_pages
from monitor.pipeline.poll import poll_channel
from tests.factories import BASE_ID, replay_channel_row, write_replay, x_line


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_polling_twice_stores_each_post_once_and_moves_the_checkpoint(session, tmp_path, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(n, f"post {n}") for n in range(1, 6)])
    row = replay_channel_row(session, path)
    channel = ReplayChannel(path, page_size=2)
    outcome = poll_channel(session, row, channel, now=now)
    assert (outcome.pages, outcome.posts) == (3, 5)
    assert row.checkpoint == str(BASE_ID + 5)
    assert poll_channel(session, row, channel, now=now).posts == 0
    ingest_pages(session, now=now)
    assert count(session, models.Post) == 5
    assert count(session, models.RawPage) == 4  # three pages, then one empty page


def test_ingesting_the_same_posts_twice_creates_no_duplicates(session, tmp_path, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(n, f"post {n}") for n in range(1, 4)])
    row = replay_channel_row(session, path)
    channel = ReplayChannel(path)
    poll_channel(session, row, channel, now=now)
    row.checkpoint = None  # as after a crash before the checkpoint was saved
    session.commit()
    poll_channel(session, row, channel, now=now)
    while ingest_pages(session, now=now, limit=1):
        pass
    assert count(session, models.Post) == 3
    assert session.scalar(select(func.count()).where(models.RawPage.ingested_at.is_(None))) == 0


class FailsOnSecondPage:
    """A real replay channel that loses its connection after the first page."""

    kind = "replay"
    account_handle = None

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def fetch_page(self, since_id, token):
        self.calls += 1
        if self.calls == 2:
            raise ChannelError("connection reset")
        return self.inner.fetch_page(since_id, token)


def test_a_failure_between_pages_keeps_the_checkpoint_so_nothing_is_skipped(session, tmp_path, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(n, f"post {n}") for n in range(1, 6)])
    row = replay_channel_row(session, path)
    outcome = poll_channel(session, row, FailsOnSecondPage(ReplayChannel(path, page_size=2)), now=now)
    assert outcome.error == "connection reset" and row.checkpoint is None
    assert row.last_error == "connection reset"
    poll_channel(session, row, ReplayChannel(path, page_size=2), now=now)
    ingest_pages(session, now=now)
    stored = session.scalars(select(models.Post.external_id).order_by(models.Post.external_id)).all()
    assert stored == [str(BASE_ID + n) for n in range(1, 6)]
    assert row.checkpoint == str(BASE_ID + 5) and row.last_error is None


def test_a_channel_paused_until_later_is_not_polled(session, tmp_path, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(1, "one")])
    row = replay_channel_row(session, path)
    row.paused_until = now + timedelta(minutes=5)
    outcome = poll_channel(session, row, ReplayChannel(path), now=now)
    assert outcome.skipped and count(session, models.RawPage) == 0


def test_a_bad_post_is_recorded_on_its_page_and_the_rest_of_the_batch_lands(session, tmp_path, now):
    bad = x_line(2, "x")
    del bad["data"]["created_at"]
    path = write_replay(tmp_path / "posts.jsonl", [x_line(1, "one"), bad, x_line(3, "three")])
    row = replay_channel_row(session, path)
    poll_channel(session, row, ReplayChannel(path), now=now)
    ingest_pages(session, now=now)
    assert count(session, models.Post) == 2
    page = session.scalars(select(models.RawPage)).one()
    assert page.ingest_errors == ["item 1: skipped, missing field 'created_at'"]


def test_a_backlog_of_more_than_a_hundred_pages_is_read_to_the_end_in_one_poll(session, tmp_path, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(n, f"post {n}") for n in range(1, 306)])
    row = replay_channel_row(session, path)
    outcome = poll_channel(session, row, ReplayChannel(path, page_size=2), now=now)
    assert (outcome.pages, outcome.posts) == (153, 305)
    assert row.checkpoint == str(BASE_ID + 305)
