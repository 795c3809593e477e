import json

from sqlalchemy import select

from monitor import models
from monitor.channels.replay import ReplayChannel
from monitor.pipeline import process_inbound
from monitor.pipeline.classify import classify_posts
from monitor.pipeline.poll import poll_channel
from tests.factories import replay_channel_row, write_replay, x_line


def run_inbound(session, tmp_path, lines, tagger, catalogue, now, threshold=0.0, sla_rules=None):
    path = write_replay(tmp_path / "posts.jsonl", lines)
    row = replay_channel_row(session, path)
    poll_channel(session, row, ReplayChannel(path), now=now)
    process_inbound(session, tagger, catalogue, review_threshold=threshold, now=now, sla_rules=sla_rules)
    return session.scalars(select(models.Case).order_by(models.Case.id)).all()


def test_posts_are_tagged_routed_and_queued_as_cases(session, tmp_path, tiny_tagger, catalogue, now, sla_rules):
    lines = [x_line(1, "@WorksMinistry huge pothole on our street, my car is damaged, please fix it"),
             x_line(2, "@WorksMinistry المجاري طافحة من أسبوع في شارعنا")]
    cases = run_inbound(session, tmp_path, lines, tiny_tagger, catalogue, now, sla_rules=sla_rules)
    assert [(case.category, case.unit.slug) for case in cases] == [("complaint", "roads"),
                                                                   ("complaint", "sewerage")]
    posts = session.scalars(select(models.Post).order_by(models.Post.posted_at)).all()
    assert [post.language for post in posts] == ["en", "ar"]
    assert all(post.stage == "queued" and post.model_version == tiny_tagger.version for post in posts)
    # due as the SLA sweep computes it: the unit's, tag's and priority's policy on the business calendar
    assert [case.sla_due_at for case in cases] == [
        sla_rules.due_at_opening(case.first_post_at, tag=case.category, priority=case.priority, unit=case.unit.slug)
        for case in cases]
    assert all(case.sla_due_at > case.first_post_at for case in cases)
    events = session.scalars(select(models.Event.action).order_by(models.Event.id)).all()
    assert events == ["case_opened", "case_opened"]


def test_a_follow_up_in_the_same_conversation_joins_the_open_case(session, tmp_path, tiny_tagger, catalogue, now):
    lines = [x_line(1, "@WorksMinistry pothole on our street"),
             x_line(2, "@WorksMinistry any update? still not fixed", conversation=1)]
    [case] = run_inbound(session, tmp_path, lines, tiny_tagger, catalogue, now)
    assert len(case.posts) == 2
    assert case.last_post_at > case.first_post_at


def test_low_confidence_cases_are_marked_for_review(session, tmp_path, tiny_tagger, catalogue, now):
    lines = [x_line(1, "hmm")]
    [case] = run_inbound(session, tmp_path, lines, tiny_tagger, catalogue, now, threshold=0.99)
    assert case.needs_review and case.confidence < 0.99


def test_classifying_a_batch_with_hostile_texts_tags_every_post(session, tmp_path, tiny_tagger, catalogue, now):
    hostile = ["", "😡😡😡", "x" * 100_000, "nul\x00byte", "lone \ud800 surrogate", "<script>alert(1)</script> شارع"]
    # ASCII-escaped JSON, as a platform would send a lone surrogate
    lines = [json.dumps(x_line(n, text)) for n, text in enumerate(hostile, start=1)]
    path = write_replay(tmp_path / "posts.jsonl", lines)
    row = replay_channel_row(session, path)
    poll_channel(session, row, ReplayChannel(path), now=now)
    from monitor.pipeline.ingest import ingest_pages
    ingest_pages(session, now=now)
    assert classify_posts(session, tiny_tagger) is False
    posts = session.scalars(select(models.Post)).all()
    assert len(posts) == len(hostile)
    assert all(post.category in tiny_tagger.labels and 0 <= post.confidence <= 1 for post in posts)


def test_a_citizens_new_post_ends_the_wait_on_the_citizen(session, tmp_path, tiny_tagger, catalogue, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(1, "@WorksMinistry pothole on our street")])
    row = replay_channel_row(session, path)
    poll_channel(session, row, ReplayChannel(path), now=now)
    process_inbound(session, tiny_tagger, catalogue, review_threshold=0.0, now=now)
    case = session.scalars(select(models.Case)).one()
    case.waiting_on = "citizen"
    session.commit()
    write_replay(path, [x_line(1, "@WorksMinistry pothole on our street"),
                        x_line(2, "@WorksMinistry it is next to the mosque", conversation=1)])
    poll_channel(session, row, ReplayChannel(path), now=now)
    process_inbound(session, tiny_tagger, catalogue, review_threshold=0.0, now=now)
    assert case.waiting_on is None and len(case.posts) == 2
    last = session.scalars(select(models.Event).order_by(models.Event.id.desc())).first()
    assert (last.action, last.after) == ("waiting_changed", {"waiting_on": ""})
