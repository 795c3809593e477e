"""Bulk inserts and updates: every value arrives as its column's type, on both engines."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from monitor import models
from monitor.bulk import insert_rows, recordset, update_rows
from tests.factories import replay_channel_row

POSTS, EVENTS = models.Post.__table__, models.Event.__table__
# Values that break naive quoting: quotes, backslashes, newlines, Arabic, emoji, JSON-looking text.
AWKWARD = ['plain', 'it\'s "quoted"', 'back\\slash\\', 'new\nline\ttab', 'الشارع مكسّر 😡', '{"a": [1, 2]}', '',
           'NULL', "a,b}{c"]


def post_rows(channel_id, start, count):
    posted = datetime(2026, 11, 25, 9, 0, 0, 123456, tzinfo=UTC)
    return [{"channel_id": channel_id, "external_id": str(start + n), "conversation_id": str(start + n),
             "text": AWKWARD[n % len(AWKWARD)], "posted_at": posted + timedelta(minutes=n),
             "ingested_at": posted, "stage": "new", "mentions_account": n % 2 == 0, "author_handle": None}
            for n in range(count)]


def test_inserted_rows_come_back_as_they_went_in(session, tmp_path):
    channel = replay_channel_row(session, tmp_path / "posts.jsonl")
    rows = post_rows(channel.id, 100, 12)
    returned = insert_rows(session, POSTS, rows, returning=("id", "external_id"))
    assert sorted(row.external_id for row in returned) == sorted(row["external_id"] for row in rows)
    stored = {post.external_id: post for post in session.scalars(select(models.Post))}
    for row in rows:
        post = stored[row["external_id"]]
        assert (post.text, post.posted_at, post.mentions_account, post.author_handle) == (
            row["text"], row["posted_at"], row["mentions_account"], None)


def test_json_columns_keep_their_documents(session, tmp_path):
    channel = replay_channel_row(session, tmp_path / "posts.jsonl")
    [post] = insert_rows(session, POSTS, post_rows(channel.id, 1, 1), returning=("id",))
    documents = [{"text": text, "nested": [1, None, {"k": text}], "n": 0.1} for text in AWKWARD] + [{}]
    now = datetime.now(UTC)
    insert_rows(session, EVENTS, [{"post_id": post.id, "action": "post_edited", "after": document, "created_at": now}
                                  for document in documents])
    stored = session.scalars(select(models.Event).order_by(models.Event.id)).all()
    assert [row.after for row in stored] == documents
    assert {row.created_at for row in stored} == {now}


def test_rows_already_stored_are_skipped_and_not_returned(session, tmp_path):
    channel = replay_channel_row(session, tmp_path / "posts.jsonl")
    insert_rows(session, POSTS, post_rows(channel.id, 1, 3))
    again = [{**row, "text": "changed"} for row in post_rows(channel.id, 1, 5)]  # 1-3 stored, 4-5 new
    returned = insert_rows(session, POSTS, again, returning=("external_id",),
                           skip_conflicts_on=("channel_id", "external_id"))
    assert sorted(row.external_id for row in returned) == ["4", "5"]
    texts = dict(session.execute(select(models.Post.external_id, models.Post.text)).all())
    assert texts == {"1": AWKWARD[0], "2": AWKWARD[1], "3": AWKWARD[2], "4": "changed", "5": "changed"}


def test_updates_change_only_the_rows_and_columns_given(session, tmp_path):
    channel = replay_channel_row(session, tmp_path / "posts.jsonl")
    ids = sorted(row.id for row in insert_rows(session, POSTS, post_rows(channel.id, 1, 6), returning=("id",)))
    changed = ids[::2]
    update_rows(session, POSTS, [{"id": post_id, "stage": "classified", "category": None if n else "praise",
                                  "confidence": 0.25 * n, "search_text": AWKWARD[n]}
                                 for n, post_id in enumerate(changed)])
    session.expire_all()
    stored = {post.id: post for post in session.scalars(select(models.Post))}
    for n, post_id in enumerate(changed):
        post = stored[post_id]
        assert (post.stage, post.category, post.confidence, post.search_text) == (
            "classified", None if n else "praise", 0.25 * n, AWKWARD[n])
        assert post.text == AWKWARD[ids.index(post_id) % len(AWKWARD)]  # a column not given stays
    assert {stored[post_id].stage for post_id in ids if post_id not in changed} == {"new"}


def test_values_shared_by_the_whole_batch_reach_every_row(session, tmp_path):
    channel = replay_channel_row(session, tmp_path / "posts.jsonl")
    [post] = insert_rows(session, POSTS, post_rows(channel.id, 1, 1), returning=("id",))
    now, document = datetime.now(UTC), {"text": AWKWARD[4], "n": [1, None]}
    alike = [{"post_id": post.id, "action": "post_edited", "after": document, "created_at": now}] * 4
    insert_rows(session, EVENTS, alike)  # rows all alike: still one row each
    assert [(event.after, event.created_at) for event in session.scalars(select(models.Event))] == [(document, now)] * 4
    ids = [row.id for row in insert_rows(session, POSTS, post_rows(channel.id, 10, 3), returning=("id",))]
    update_rows(session, POSTS, [{"id": post_id, "stage": "routed", "priority": None} for post_id in ids])
    session.expire_all()
    assert {(post.stage, post.priority) for post in session.scalars(select(models.Post).where(
        models.Post.id.in_(ids)))} == {("routed", None)}


def test_a_batch_is_one_statement_and_nothing_is_sent_for_none(session, tmp_path):
    channel = replay_channel_row(session, tmp_path / "posts.jsonl")
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(session.connection(), "before_cursor_execute", listener)
    try:
        insert_rows(session, POSTS, post_rows(channel.id, 1, 300), returning=("id",))
        insert_rows(session, POSTS, [])
        update_rows(session, POSTS, [])
    finally:
        event.remove(session.connection(), "before_cursor_execute", listener)
    assert len(statements) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its form; SQLite's queries use IN lists
def test_a_recordset_joins_like_a_table(session, tmp_path):
    channel = replay_channel_row(session, tmp_path / "posts.jsonl")
    insert_rows(session, POSTS, post_rows(channel.id, 1, 5))
    keys = recordset(session, POSTS, [{"channel_id": channel.id, "external_id": external_id}
                                      for external_id in ("2", "4", "9")])
    found = session.scalars(select(models.Post.external_id).join(
        keys, (models.Post.channel_id == keys.c.channel_id) & (models.Post.external_id == keys.c.external_id)))
    assert sorted(found) == ["2", "4"]
