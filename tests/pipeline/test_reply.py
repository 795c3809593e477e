from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor import models
from monitor.channels.replay import ReplayChannel
from monitor.pipeline import process_inbound
from monitor.pipeline.poll import poll_channel
from monitor.pipeline.reply import ReplyError, approve_reply, draft_reply, record_posted_by_hand, send_replies
from monitor.sinks import ManualReplyRequired, SinkError
from monitor.sinks.console import ConsoleSink
from tests.factories import BASE_ID, replay_channel_row, write_replay, x_line


@pytest.fixture
def case(session, tmp_path, tiny_tagger, catalogue, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(1, "@WorksMinistry pothole on our street")])
    poll_channel(session, replay_channel_row(session, path), ReplayChannel(path), now=now)
    process_inbound(session, tiny_tagger, catalogue, review_threshold=0.5, now=now)
    return session.scalars(select(models.Case)).one()


class FlakySink:
    kind = "flaky"

    def __init__(self, error):
        self.error = error

    def send(self, reply):
        raise self.error


def test_an_approved_reply_is_sent_once_and_logged(session, case, tmp_path, now):
    sink = ConsoleSink(tmp_path / "sent.jsonl")
    reply = draft_reply(session, case, "Thank you, reported to the roads unit.", author=None, now=now)
    assert send_replies(session, sink, now=now) is False
    assert reply.state == "draft"  # nothing goes out without a human decision
    approve_reply(session, reply, approver=None, now=now)
    session.commit()
    send_replies(session, sink, now=now)
    send_replies(session, sink, now=now)
    assert reply.state == "sent" and reply.platform_id == f"console-{reply.idempotency_key}"
    assert len((tmp_path / "sent.jsonl").read_text().splitlines()) == 1
    assert case.status == "replied"
    actions = session.scalars(select(models.Event.action).where(models.Event.reply_id == reply.id)
                              .order_by(models.Event.id)).all()
    assert actions == ["reply_drafted", "reply_approved", "reply_sent"]


def test_the_sink_receives_the_post_being_answered(session, case, tmp_path, now):
    reply = draft_reply(session, case, "شكراً لتواصلكم", author=None, now=now)
    approve_reply(session, reply, approver=None, now=now)
    session.commit()
    send_replies(session, ConsoleSink(tmp_path / "sent.jsonl"), now=now)
    assert str(BASE_ID + 1) in (tmp_path / "sent.jsonl").read_text(encoding="utf-8")


def test_a_transient_failure_leaves_the_reply_for_a_retry_and_a_permanent_one_for_a_person(session, case, now):
    reply = draft_reply(session, case, "reply", author=None, now=now)
    approve_reply(session, reply, approver=None, now=now)
    session.commit()
    send_replies(session, FlakySink(SinkError("503 from platform")), now=now)
    assert (reply.state, reply.attempts, reply.error) == ("approved", 1, "503 from platform")
    send_replies(session, FlakySink(SinkError("not allowed to reply", permanent=True)), now=now)
    assert (reply.state, reply.attempts) == ("failed", 2)


def test_a_reply_claimed_by_another_sender_is_not_sent_again(session, case, tmp_path, now):
    reply = draft_reply(session, case, "reply", author=None, now=now)
    approve_reply(session, reply, approver=None, now=now)
    reply.state, reply.claimed_at = "sending", now  # another sender claimed it and is posting now
    session.commit()
    send_replies(session, ConsoleSink(tmp_path / "sent.jsonl"), now=now)
    assert not (tmp_path / "sent.jsonl").exists()


def test_only_drafts_can_be_approved_and_empty_replies_are_refused(session, case, now):
    with pytest.raises(ReplyError):
        draft_reply(session, case, "   ", author=None, now=now)
    reply = draft_reply(session, case, "ok", author=None, now=now)
    approve_reply(session, reply, approver=None, now=now)
    with pytest.raises(ReplyError):
        approve_reply(session, reply, approver=None, now=now)


def test_a_claim_left_by_a_stopped_sender_is_looked_up_not_sent_again(session, case, tmp_path, now):
    from datetime import timedelta

    sink = ConsoleSink(tmp_path / "sent.jsonl")
    posted = draft_reply(session, case, "posted before the crash", author=None, now=now)
    lost = draft_reply(session, case, "never posted", author=None, now=now)
    for reply in (posted, lost):
        approve_reply(session, reply, approver=None, now=now)
    session.commit()
    send_replies(session, sink, now=now)  # both sent and recorded
    # as if the sender died after posting `posted` and before posting `lost`, leaving both claimed
    (tmp_path / "sent.jsonl").write_text((tmp_path / "sent.jsonl").read_text().splitlines()[0] + "\n")
    for reply in (posted, lost):
        reply.state, reply.claimed_at, reply.platform_id = "sending", now, None
    session.commit()
    send_replies(session, sink, now=now + timedelta(seconds=30))
    assert (posted.state, lost.state) == ("sending", "sending")  # a live sender may still be at it
    send_replies(session, sink, now=now + timedelta(minutes=3))
    lines = (tmp_path / "sent.jsonl").read_text().splitlines()
    assert posted.state == lost.state == "sent"
    assert len(lines) == 2 and sum("never posted" in line for line in lines) == 1


def _manual_reply(session, case, now):
    """A reply that X refused from the account (self-serve rules), as send_replies leaves it."""
    reply = draft_reply(session, case, "We have passed this to the roads unit.", author=None, now=now)
    approve_reply(session, reply, approver=None, now=now)
    session.commit()
    send_replies(session, FlakySink(ManualReplyRequired("reply on X by hand: the post did not mention us")), now=now)
    assert reply.state == "manual" and case.status != "replied"
    return reply


@pytest.mark.parametrize("link, platform_id", [
    ("https://x.com/WorksMinistry/status/1862000000000000123", "1862000000000000123"),
    ("https://twitter.com/WorksMinistry/status/1862000000000000124?s=20", "1862000000000000124"),
    (" 1862000000000000125 ", "1862000000000000125"),
    ("", None),
])
def test_a_reply_posted_by_hand_counts_as_sent_with_its_link(session, case, now, link, platform_id):
    reply = _manual_reply(session, case, now)
    officer = models.User(username="officer-by-hand", password_hash="x", role="agent")
    session.add(officer)
    session.flush()
    later = now + timedelta(minutes=20)
    record_posted_by_hand(session, reply, actor=officer, link=link, now=later)
    assert (reply.state, reply.sink, reply.platform_id, reply.sent_at, reply.error) == (
        "sent", "by_hand", platform_id, later, None)
    assert case.status == "replied"
    sent = session.scalars(select(models.Event).where(models.Event.reply_id == reply.id,
                                                      models.Event.action == "reply_sent")).one()
    assert sent.actor_id == officer.id and sent.after["sink"] == "by_hand"


@pytest.mark.parametrize("link", ["https://example.com/phish", "see my post", "https://x.com/a/status/abc"])
def test_a_link_that_is_not_a_post_on_x_is_refused(session, case, now, link):
    reply = _manual_reply(session, case, now)
    officer = models.User(username="officer-bad-link", password_hash="x", role="agent")
    session.add(officer)
    session.flush()
    with pytest.raises(ReplyError, match="link to the post"):
        record_posted_by_hand(session, reply, actor=officer, link=link, now=now)
    assert reply.state == "manual"


def test_only_a_reply_to_post_by_hand_can_be_marked_posted(session, case, now):
    reply = draft_reply(session, case, "A draft", author=None, now=now)
    with pytest.raises(ReplyError, match="only a reply to post by hand"):
        record_posted_by_hand(session, reply, actor=None, link="", now=now)  # type: ignore[arg-type]
    assert reply.state == "draft"
