"""The X channel, real tweepy against the fake X API on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from monitor import models
from monitor.forget import REMOVED, forget_post
from monitor.pipeline.ingest import ingest_pages
from monitor.pipeline.poll import poll_channel
from monitor.pipeline.usage import month_usage
from tests.channels.conftest import x_channel, x_channel_row
from tests.stand_ins.fake_x import snowflake


def utcnow() -> datetime:
    return datetime.now(UTC)


def poll_and_ingest(session, row, settings, now=None):
    outcome = poll_channel(session, row, x_channel(row, settings), now=now or utcnow())
    while ingest_pages(session, now=utcnow()):
        pass
    return outcome


def stored(session, row) -> list[str]:
    return sorted(session.scalars(select(models.Post.external_id).where(models.Post.channel_id == row.id)))


def mentions_calls(fake_x) -> list[dict]:
    return [r for r in fake_x.requests if r["path"].endswith("/mentions")]


def test_pages_are_followed_to_the_end_and_the_checkpoint_is_the_newest_post(session, fake_x, x_settings):
    ids = [fake_x.add_post(f"@WorksMinistry pothole number {n}") for n in range(250)]
    row = x_channel_row(session)
    outcome = poll_and_ingest(session, row, x_settings)
    assert (outcome.pages, outcome.posts, outcome.error) == (3, 250, None)
    assert stored(session, row) == sorted(ids)
    assert row.checkpoint == max(ids, key=int)
    calls = mentions_calls(fake_x)
    assert [c["params"].get("pagination_token") is not None for c in calls] == [False, True, True]
    assert all(c["params"]["max_results"] == "100" for c in calls)
    fake_x.add_post("@WorksMinistry one more")
    assert poll_and_ingest(session, row, x_settings).posts == 1
    assert mentions_calls(fake_x)[-1]["params"]["since_id"] == max(ids, key=int)


class CrashAfter:
    """The process dies after ``pages`` pages were stored (the channel is the real XChannel)."""

    def __init__(self, channel, pages):
        self.channel, self.left, self.kind, self.account_handle = channel, pages, "x", channel.account_handle

    def fetch_page(self, since_id, token):
        if self.left == 0:
            raise RuntimeError("process killed")
        self.left -= 1
        return self.channel.fetch_page(since_id, token)


def test_a_crash_between_pages_loses_nothing_and_duplicates_nothing(session, fake_x, x_settings):
    ids = [fake_x.add_post(f"@WorksMinistry flooding {n}") for n in range(230)]
    row = x_channel_row(session)
    with pytest.raises(RuntimeError):
        poll_channel(session, row, CrashAfter(x_channel(row, x_settings), 2), now=utcnow())
    session.rollback()
    assert row.checkpoint is None  # the checkpoint moves only with the last page
    assert poll_and_ingest(session, row, x_settings).error is None
    assert stored(session, row) == sorted(ids)
    assert row.checkpoint == max(ids, key=int)


def test_a_rate_limit_pauses_the_channel_until_the_reset_then_polling_resumes(session, fake_x, x_settings):
    fake_x.add_post("@WorksMinistry broken street light")
    fake_x.fail_next("rate_limit")
    row = x_channel_row(session)
    now = utcnow()
    outcome = poll_and_ingest(session, row, x_settings, now=now)
    assert "rate limit" in outcome.error and row.enabled
    assert now + timedelta(seconds=50) < row.paused_until <= now + timedelta(seconds=62)
    assert poll_and_ingest(session, row, x_settings, now=now + timedelta(seconds=10)).skipped
    assert len(mentions_calls(fake_x)) == 1  # nothing was sent while paused
    after_reset = poll_and_ingest(session, row, x_settings, now=row.paused_until + timedelta(seconds=1))
    assert (after_reset.error, after_reset.posts, row.paused_until) == (None, 1, None)


def test_a_monthly_usage_cap_pauses_the_channel_until_next_month(session, fake_x, x_settings):
    fake_x.fail_next("usage_cap")
    row = x_channel_row(session)
    outcome = poll_and_ingest(session, row, x_settings)
    next_month = (utcnow().replace(day=1) + timedelta(days=32)).replace(day=1).date()
    assert row.paused_until == datetime.combine(next_month, datetime.min.time(), UTC)
    assert "monthly usage cap" in outcome.error and f"{next_month:%Y-%m-%d}" in row.last_error
    assert row.enabled


def test_a_short_5xx_storm_is_retried_inside_one_poll(session, fake_x, x_settings):
    fake_x.add_post("@WorksMinistry sewage overflow")
    fake_x.fail_next("503", 2)
    row = x_channel_row(session)
    outcome = poll_and_ingest(session, row, x_settings)
    assert (outcome.error, outcome.posts, len(mentions_calls(fake_x))) == (None, 1, 3)


def test_a_long_5xx_storm_gives_up_until_the_next_poll_without_pausing(session, fake_x, x_settings):
    fake_x.add_post("@WorksMinistry sewage overflow")
    fake_x.fail_next("500", 3)
    row = x_channel_row(session)
    outcome = poll_and_ingest(session, row, x_settings)
    assert outcome.error == "X server error 500" and row.paused_until is None and row.enabled
    assert len(mentions_calls(fake_x)) == 3
    assert poll_and_ingest(session, row, x_settings).posts == 1


def test_calls_past_the_timeout_are_retried_then_reported(session, fake_x, x_settings):
    fake_x.add_post("@WorksMinistry road closed")
    fake_x.fail_next("slow", 1)
    row = x_channel_row(session)
    assert poll_and_ingest(session, row, x_settings).posts == 1
    fake_x.add_post("@WorksMinistry another road closed")
    fake_x.fail_next("slow", 3)
    outcome = poll_and_ingest(session, row, x_settings)
    assert outcome.error == "X did not answer within 0.5 s"
    assert len(stored(session, row)) == 1


def test_a_malformed_body_is_an_error_not_a_crash_and_stores_nothing(session, fake_x, x_settings):
    fake_x.add_post("@WorksMinistry pothole")
    fake_x.fail_next("malformed")
    row = x_channel_row(session)
    outcome = poll_and_ingest(session, row, x_settings)
    assert "not a JSON object" in outcome.error and row.checkpoint is None
    assert session.scalar(select(func.count()).select_from(models.RawPage)) == 0
    assert poll_and_ingest(session, row, x_settings).posts == 1


def test_partial_errors_keep_the_good_posts_and_record_the_errors(session, fake_x, x_settings):
    ids = [fake_x.add_post(f"@WorksMinistry item {n}") for n in range(3)]
    fake_x.fail_next("partial")
    row = x_channel_row(session)
    assert poll_and_ingest(session, row, x_settings).error is None
    assert stored(session, row) == sorted(ids)
    page = session.scalars(select(models.RawPage)).one()
    assert "Could not find tweet" in page.ingest_errors[0]


@pytest.mark.parametrize("status", ["401", "403"])
def test_refused_credentials_disable_the_channel_with_an_actionable_message(session, fake_x, x_settings, status):
    fake_x.fail_next(status)
    row = x_channel_row(session)
    outcome = poll_and_ingest(session, row, x_settings)
    assert not row.enabled and f"({status})" in outcome.error and "re-enable the channel" in outcome.error


def test_an_edit_updates_the_stored_post_instead_of_adding_one(session, fake_x, x_settings):
    original = fake_x.add_post("@WorksMinistry the bridge is clsoed")
    row = x_channel_row(session)
    poll_and_ingest(session, row, x_settings)
    edit = fake_x.add_post("@WorksMinistry the bridge is closed", edit_of=original)
    poll_and_ingest(session, row, x_settings)
    post = session.scalars(select(models.Post).where(models.Post.channel_id == row.id)).one()
    assert (post.external_id, post.text, post.edit_id) == (original, "@WorksMinistry the bridge is closed", edit)
    event = session.scalars(select(models.Event).where(models.Event.action == "post_edited")).one()
    assert event.before == {"text": "@WorksMinistry the bridge is clsoed"} and event.post_id == post.id


def test_retweets_are_not_stored_but_quotes_and_replies_are(session, fake_x, x_settings):
    source = fake_x.add_post("@WorksMinistry water cut in our area", author="neighbour")
    retweet = fake_x.add_post("RT @neighbour: @WorksMinistry water cut", refs=[("retweeted", source)])
    quote = fake_x.add_post("@WorksMinistry same here", refs=[("quoted", source)])
    reply = fake_x.add_post("@WorksMinistry still no water", refs=[("replied_to", source)])
    row = x_channel_row(session)
    poll_and_ingest(session, row, x_settings)
    assert retweet not in stored(session, row) and {source, quote, reply} <= set(stored(session, row))


def test_a_quote_of_the_ministry_counts_as_summoning_it(session, fake_x, x_settings):
    ours = fake_x.add_post("Road works on the highway tonight", author="WorksMinistry", mention=False)
    quote = fake_x.add_post("this again?", mention=False, refs=[("quoted", ours)])
    row = x_channel_row(session, name="x-search", mode="search", query="again")
    poll_and_ingest(session, row, x_settings)
    post = session.scalars(select(models.Post).where(models.Post.external_id == quote)).one()
    assert post.mentions_account


def test_a_search_checkpoint_older_than_7_days_is_named_as_a_possible_gap(session, fake_x, x_settings):
    fresh = fake_x.add_post("flooding on the corniche")
    row = x_channel_row(session, name="x-flooding", mode="search", query="flooding")
    row.checkpoint = snowflake(utcnow() - timedelta(days=10), 1)
    session.commit()
    poll_and_ingest(session, row, x_settings)
    assert "since_id" not in fake_x.requests[-1]["params"]
    assert stored(session, row) == [fresh]
    assert "may be missing (recent search reaches back 7 days)" in row.notice


def test_posts_read_are_counted_and_a_spent_monthly_budget_pauses_polling(session, fake_x, x_settings):
    for n in range(120):
        fake_x.add_post(f"@WorksMinistry complaint {n}")
    row = x_channel_row(session, monthly_budget=100)
    now = utcnow()
    poll_and_ingest(session, row, x_settings, now=now)
    assert month_usage(session, row.id, now) == 120
    calls = len(fake_x.requests)
    assert poll_and_ingest(session, row, x_settings, now=now).skipped
    assert len(fake_x.requests) == calls and "monthly budget of 100 posts" in row.notice
    assert row.paused_until.day == 1 and row.paused_until > now


def test_the_stored_page_is_the_body_as_received(session, fake_x, x_settings):
    fake_x.add_post("@WorksMinistry الشارع مغلق من الصبح")
    row = x_channel_row(session)
    poll_and_ingest(session, row, x_settings)
    page = session.scalars(select(models.RawPage)).one()
    assert "الشارع مغلق" in page.payload and json.loads(page.payload)["meta"]["result_count"] == 1
    assert page.adapter_version == "x/1" and page.request["endpoint"] == "get_users_mentions"
    assert "test-bearer" not in json.dumps(page.request)


def test_forgetting_an_edited_post_scrubs_both_versions_and_the_edit_event(session, fake_x, x_settings):
    original = fake_x.add_post("@WorksMinistry my neighbour Ahmed at house 12 dumps rubbish", author="leaver")
    row = x_channel_row(session)
    poll_and_ingest(session, row, x_settings)
    edit = fake_x.add_post("@WorksMinistry someone dumps rubbish at house 12", edit_of=original)
    poll_and_ingest(session, row, x_settings)
    forget_post(session, edit, now=utcnow())
    post = session.scalars(select(models.Post).where(models.Post.channel_id == row.id)).one()
    assert (post.text, post.author_handle, post.author_id) == (REMOVED, None, None)
    quoted = json.dumps([[e.before, e.after] for e in session.scalars(select(models.Event))], ensure_ascii=False)
    assert "rubbish" not in quoted and "post_forgotten" in session.scalars(select(models.Event.action)).all()
    pages = " ".join(session.scalars(select(models.RawPage.payload)))
    assert "rubbish" not in pages and "leaver" not in pages


def test_credentials_never_reach_the_logs_even_at_debug(session, fake_x, x_settings, caplog):
    caplog.set_level("DEBUG")
    fake_x.add_post("@WorksMinistry pothole")
    fake_x.fail_next("500", 3)
    poll_and_ingest(session, x_channel_row(session), x_settings)
    poll_and_ingest(session, session.scalars(select(models.Channel)).one(), x_settings)
    assert fake_x.requests and "test-bearer" not in caplog.text and "test-token" not in caplog.text


def test_an_original_and_its_edit_first_seen_on_one_page_make_one_post(session, fake_x, x_settings):
    original = fake_x.add_post("@WorksMinistry leak at the roundabot")
    edit = fake_x.add_post("@WorksMinistry leak at the roundabout", edit_of=original)
    row = x_channel_row(session)
    poll_and_ingest(session, row, x_settings)
    post = session.scalars(select(models.Post).where(models.Post.channel_id == row.id)).one()
    assert (post.external_id, post.text, post.edit_id) == (original, "@WorksMinistry leak at the roundabout", edit)
