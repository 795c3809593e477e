"""Replies on X through XReplySink and the reply stage, real tweepy against the fake X API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from monitor import models
from monitor.pipeline import process_inbound
from monitor.pipeline.poll import poll_channel
from monitor.pipeline.reply import approve_reply, draft_reply, send_replies
from monitor.sinks.x_reply import XReplySink
from tests.channels.conftest import x_channel, x_channel_row
from tests.stand_ins.fake_x import ACCOUNT


def utcnow() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def open_case(session, fake_x, x_settings, tiny_tagger, catalogue):
    """A case opened from the post the fake X holds, once polled and processed."""

    def build(text="@WorksMinistry the sewage is overflowing on our street", **post):
        post_id = fake_x.add_post(text, **post)
        row = x_channel_row(session, name="x-search", mode="search", query=text.split()[-1])
        poll_channel(session, row, x_channel(row, x_settings), now=utcnow())
        process_inbound(session, tiny_tagger, catalogue, review_threshold=0.5, now=utcnow())
        post_row = session.scalars(select(models.Post).where(models.Post.external_id == post_id)).one()
        return session.get_one(models.Case, post_row.case_id), post_id

    return build


def approved(session, case, text):
    reply = draft_reply(session, case, text, author=None, now=utcnow())
    approve_reply(session, reply, approver=None, now=utcnow())
    session.commit()
    return reply


def posted_replies(fake_x, post_id):
    return [p for p in fake_x.posts.values()
            if {"type": "replied_to", "id": post_id} in (p.get("referenced_tweets") or [])]


def test_an_approved_reply_is_posted_in_reply_to_the_post(session, fake_x, x_settings, open_case):
    case, post_id = open_case()
    reply = approved(session, case, "شكراً لتواصلكم، تم تحويل البلاغ إلى إدارة الصرف الصحي.")
    send_replies(session, XReplySink(x_settings), now=utcnow())
    [posted] = posted_replies(fake_x, post_id)
    assert (reply.state, reply.platform_id, reply.sink) == ("sent", posted["id"], "x")
    assert posted["text"] == reply.text and case.status == "replied"


def test_a_reply_whose_response_timed_out_after_x_posted_it_is_found_not_posted_again(
    session, fake_x, x_settings, open_case
):
    case, post_id = open_case()
    reply = approved(session, case, "Thank you, the sewerage unit is on its way.")
    sink = XReplySink(x_settings)
    fake_x.fail_next("post_then_slow", path="/2/tweets")
    send_replies(session, sink, now=utcnow())
    assert reply.state == "unknown" and "did not answer" in reply.error
    assert len(posted_replies(fake_x, post_id)) == 1  # X did post it
    send_replies(session, sink, now=utcnow())
    send_replies(session, sink, now=utcnow())
    [posted] = posted_replies(fake_x, post_id)
    assert (reply.state, reply.platform_id, reply.attempts) == ("sent", posted["id"], 1)
    assert len([r for r in fake_x.requests if r["method"] == "POST"]) == 1


def test_the_lookup_reads_every_post_since_the_one_answered_however_many_the_account_made(
    session, fake_x, x_settings, open_case
):
    case, post_id = open_case()
    reply = approved(session, case, "Thank you, the roads unit has the report.")
    sink = XReplySink(x_settings)
    fake_x.fail_next("post_then_slow", path="/2/tweets")
    send_replies(session, sink, now=utcnow())
    assert reply.state == "unknown"
    for n in range(250):  # a busy afternoon: the lost reply is now far below the newest 100 posts
        fake_x.add_post(f"Thank you for your report number {n}.", author=ACCOUNT["username"], mention=False,
                        refs=[("replied_to", "1")])
    send_replies(session, sink, now=utcnow())
    [posted] = posted_replies(fake_x, post_id)
    assert (reply.state, reply.platform_id) == ("sent", posted["id"])
    assert len([r for r in fake_x.requests if r["method"] == "POST"]) == 1
    lookups = [r for r in fake_x.requests if r["path"].endswith("/tweets") and r["method"] == "GET"]
    assert len(lookups) == 3 and all(r["params"].get("since_id") == post_id for r in lookups)


def test_a_reply_that_failed_before_x_posted_it_is_looked_up_then_sent_once(session, fake_x, x_settings, open_case):
    case, post_id = open_case()
    reply = approved(session, case, "Thank you, we are on it.")
    sink = XReplySink(x_settings)
    fake_x.fail_next("503", path="/2/tweets")
    send_replies(session, sink, now=utcnow())
    assert reply.state == "unknown" and posted_replies(fake_x, post_id) == []
    send_replies(session, sink, now=utcnow())  # not found among our posts: back to approved, sent
    assert reply.state == "sent" and len(posted_replies(fake_x, post_id)) == 1
    actions = session.scalars(select(models.Event.action).where(models.Event.reply_id == reply.id)
                              .order_by(models.Event.id)).all()
    assert actions[-3:] == ["reply_failed", "reply_not_posted", "reply_sent"]


def test_a_post_that_did_not_summon_the_ministry_is_marked_reply_by_hand_and_never_sent(
    session, fake_x, x_settings, open_case
):
    case, post_id = open_case("the sewage is overflowing near the souq", mention=False)
    reply = approved(session, case, "Thank you, reported.")
    sink = XReplySink(x_settings)
    send_replies(session, sink, now=utcnow())
    send_replies(session, sink, now=utcnow())
    assert reply.state == "manual" and reply.error.startswith("reply on X by hand")
    assert [r for r in fake_x.requests if r["method"] == "POST"] == []


def test_x_refusing_a_reply_with_403_is_a_permanent_reply_by_hand(session, fake_x, x_settings, open_case):
    case, post_id = open_case()
    reply = approved(session, case, "Thank you, reported.")
    del fake_x.posts[post_id]["entities"]  # X says the post did not mention us after all
    send_replies(session, XReplySink(x_settings), now=utcnow())
    send_replies(session, XReplySink(x_settings), now=utcnow())
    assert reply.state == "manual" and "403" in reply.error
    assert len([r for r in fake_x.requests if r["method"] == "POST"]) == 1


def test_a_reply_longer_than_x_allows_is_refused_before_sending(session, fake_x, x_settings, open_case):
    case, _ = open_case()
    reply = approved(session, case, "نعتذر عن التأخير في معالجة البلاغ. " * 9)
    send_replies(session, XReplySink(x_settings), now=utcnow())
    assert reply.state == "failed" and "X allows 280" in reply.error
    assert [r for r in fake_x.requests if r["method"] == "POST"] == []


def test_the_reply_request_uses_the_account_credentials_and_the_reply_shape(session, fake_x, x_settings, open_case):
    case, post_id = open_case()
    approved(session, case, "Thanks")
    send_replies(session, XReplySink(x_settings), now=utcnow())
    [request] = [r for r in fake_x.requests if r["method"] == "POST"]
    assert request["json"] == {"text": "Thanks", "reply": {"in_reply_to_tweet_id": post_id}}
    assert request["authorization"] == "OAuth "
    assert ACCOUNT["id"] in fake_x.posts[posted_replies(fake_x, post_id)[0]["id"]]["author_id"]
