"""The queue, classify and route stages work a batch at a time: what a batch must still get right."""

from sqlalchemy import func, select

from monitor import models
from monitor.channels.replay import ReplayChannel
from monitor.pipeline import process_inbound
from monitor.pipeline.classify import classify_posts
from monitor.pipeline.ingest import ingest_page, ingest_pages
from monitor.pipeline.poll import poll_channel
from monitor.pipeline.route import route_posts, route_texts
from tests.factories import BASE_ID, replay_channel_row, write_replay, x_line

URGENT = "@WorksMinistry the sewage flood is dangerous, children are at risk"


def poll_and_process(session, path, row, tagger, catalogue, now):
    poll_channel(session, row, ReplayChannel(path), now=now)
    process_inbound(session, tagger, catalogue, review_threshold=0.0, now=now)


def events(session):
    return session.execute(select(models.Event.action, models.Event.case_id, models.Event.after)
                           .order_by(models.Event.id)).all()


def test_posts_of_one_new_conversation_in_one_batch_make_one_case(session, tmp_path, tiny_tagger, catalogue, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(1, "@WorksMinistry pothole on our street"),
                                                   x_line(2, URGENT, conversation=1)])
    row = replay_channel_row(session, path)
    poll_and_process(session, path, row, tiny_tagger, catalogue, now)
    case = session.scalars(select(models.Case)).one()
    assert len(case.posts) == 2 and case.last_post_at > case.first_post_at
    [opened, added] = events(session)
    assert (opened.action, added.action) == ("case_opened", "post_added")
    assert opened.case_id == added.case_id == case.id
    assert added.after == {"post": str(BASE_ID + 2)}
    second = session.scalars(select(models.Post).where(models.Post.external_id == str(BASE_ID + 2))).one()
    if second.priority == "urgent":  # the tiny tagger called it a complaint: the case escalates
        assert case.priority == "urgent" and opened.after["priority"] != "urgent"


def test_a_batch_joins_open_cases_and_opens_new_ones_after_closed_cases(session, tmp_path, tiny_tagger, catalogue,
                                                                        now):
    first = [x_line(1, "@WorksMinistry pothole on our street"), x_line(2, "@WorksMinistry street lights are off")]
    path = write_replay(tmp_path / "posts.jsonl", first)
    row = replay_channel_row(session, path)
    poll_and_process(session, path, row, tiny_tagger, catalogue, now)
    still_open, closed = session.scalars(select(models.Case).order_by(models.Case.id)).all()
    closed.status = "resolved"
    session.commit()
    write_replay(path, [*first, x_line(3, "@WorksMinistry still there", conversation=1),
                        x_line(4, "@WorksMinistry off again tonight", conversation=2),
                        x_line(5, "@WorksMinistry and a new pothole", conversation=1)])
    poll_and_process(session, path, row, tiny_tagger, catalogue, now)
    cases = session.scalars(select(models.Case).order_by(models.Case.id)).all()
    assert [case.id for case in cases][:2] == [still_open.id, closed.id] and len(cases) == 3
    assert [len(case.posts) for case in cases] == [3, 1, 1]
    assert cases[2].conversation_id == closed.conversation_id and cases[2].status == "new"
    later = [(event.action, event.case_id) for event in events(session)][2:]
    assert later == [("post_added", still_open.id), ("case_opened", cases[2].id), ("post_added", still_open.id)]
    assert session.scalar(select(models.Post.stage).where(models.Post.stage != "queued")) is None


def test_an_edit_before_routing_is_routed_by_its_new_text(session, tmp_path, tiny_tagger, catalogue, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(1, "@WorksMinistry hello")])
    row = replay_channel_row(session, path)
    poll_channel(session, row, ReplayChannel(path), now=now)
    ingest_pages(session, now=now)
    classify_posts(session, tiny_tagger)
    edit = x_line(2, "@WorksMinistry the sewage is overflowing in our street",
                  edit_history_tweet_ids=[str(BASE_ID + 1), str(BASE_ID + 2)])
    write_replay(path, [edit])
    poll_channel(session, row, ReplayChannel(path), now=now)
    ingest_pages(session, now=now)
    route_posts(session, catalogue)
    post = session.scalars(select(models.Post)).one()
    assert post.search_text == "USER the sewage is overflowing in our street"
    [expected] = route_texts([post.text], [post.category], catalogue)
    assert post.route_rule == expected.rule and expected.rule.startswith("keywords:")


def test_ingesting_a_page_again_counts_no_new_posts(session, tmp_path, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(n, f"@WorksMinistry post {n}") for n in (1, 2, 3)])
    row = replay_channel_row(session, path)
    poll_channel(session, row, ReplayChannel(path), now=now)
    page = session.scalars(select(models.RawPage)).one()
    assert ingest_page(session, page, now=now) == 3
    assert ingest_page(session, page, now=now) == 0


def test_routing_already_normalised_texts_gives_the_same_routes(catalogue):
    from classifiers import normalize_text
    texts = ["Huge POTHOLE on our street!!!", "المجاري طافحة في شارعنا", "#StreetLights are off", "hello"]
    categories = ["complaint", "complaint", "inquiry", "other"]
    assert route_texts(texts, categories, catalogue, normalized=[normalize_text(text) for text in texts]) == \
        route_texts(texts, categories, catalogue)


def test_cases_opened_in_bulk_start_at_version_one(session, tmp_path, tiny_tagger, catalogue, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(1, "@WorksMinistry pothole on our street")])
    poll_and_process(session, path, replay_channel_row(session, path), tiny_tagger, catalogue, now)
    assert session.scalars(select(models.Case.version)).one() == 1


def test_an_edit_and_its_original_on_different_pages_of_a_batch_make_one_post(session, tmp_path, now):
    """Pages come newest first, so the edit's page is read before its original's."""
    original = x_line(1, "@WorksMinistry pothole on our stret")
    edit = x_line(2, "@WorksMinistry pothole on our street", edit_history_tweet_ids=[str(BASE_ID + 1), str(BASE_ID + 2)])
    path = write_replay(tmp_path / "posts.jsonl", [original, edit])
    row = replay_channel_row(session, path, page_size=1)
    poll_channel(session, row, ReplayChannel.from_config(row.config), now=now)
    assert session.scalar(select(func.count()).select_from(models.RawPage)) == 2
    ingest_pages(session, now=now)
    [post] = session.scalars(select(models.Post)).all()
    assert (post.external_id, post.text, post.edit_id) == (str(BASE_ID + 1), edit["data"]["text"], str(BASE_ID + 2))


def test_the_inbound_run_says_how_long_each_stage_took(session, tmp_path, tiny_tagger, catalogue, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(n, f"@WorksMinistry pothole number {n}") for n in (1, 2)])
    poll_channel(session, replay_channel_row(session, path), ReplayChannel(path), now=now)
    seconds = process_inbound(session, tiny_tagger, catalogue, review_threshold=0.0, now=now)
    assert list(seconds) == ["ingest", "classify", "route", "queue"]  # in the order they ran
    assert all(spent > 0 for spent in seconds.values())
    assert session.scalar(select(func.count()).select_from(models.Case)) == 2
