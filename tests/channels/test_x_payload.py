import json
from datetime import UTC, datetime

from monitor.channels.x_payload import posts_from_page
from tests.factories import BASE_ID, x_line


def page(*lines, errors=None, raw_items=None):
    body = {"data": [line["data"] for line in lines] + list(raw_items or []),
            "includes": {"users": [user for line in lines for user in line["includes"]["users"]]},
            "meta": {"result_count": len(lines)}}
    if errors:
        body["errors"] = errors
    return json.dumps(body)


def test_maps_a_post_with_its_author_time_and_conversation():
    contents = posts_from_page(page(x_line(1, "@WorksMinistry pothole", author="ali", conversation=None)),
                               account_handle="worksministry")
    [post] = contents.posts
    assert post.external_id == str(BASE_ID + 1) and post.conversation_id == str(BASE_ID + 1)
    assert post.author_handle == "ali" and post.author_name == "Ali"
    assert post.posted_at == datetime(2026, 11, 20, 6, 1, tzinfo=UTC)
    assert post.mentions_account is True


def test_a_post_missing_fields_is_reported_with_its_position_and_the_rest_land():
    broken = {"id": str(BASE_ID + 9), "created_at": "2026-11-20T06:00:00.000Z"}  # no text
    contents = posts_from_page(page(x_line(1, "one"), raw_items=[broken, "junk", {"id": "abc", "text": "x"}]))
    assert [p.external_id for p in contents.posts] == [str(BASE_ID + 1)]
    assert contents.errors == [
        "item 1: skipped, missing field 'text'",
        "item 2: skipped, not a post object",
        "item 3: skipped, bad post id 'abc'",
    ]


def test_retweets_are_not_posts_and_replies_keep_their_thread():
    retweet = x_line(2, "RT @someone: hi", referenced_tweets=[{"type": "retweeted", "id": "1"}])
    reply = x_line(3, "any update?", conversation=1, referenced_tweets=[{"type": "replied_to", "id": str(BASE_ID + 1)}])
    contents = posts_from_page(page(retweet, reply))
    [post] = contents.posts
    assert post.conversation_id == str(BASE_ID + 1) and post.in_reply_to_id == str(BASE_ID + 1)
    assert contents.skipped == [f"item 0: retweet {BASE_ID + 2}"]


def test_partial_errors_in_a_good_page_are_kept_beside_the_posts():
    contents = posts_from_page(page(x_line(1, "one"), errors=[{"detail": "Could not find tweet 42", "title": "Not Found"}]))
    assert len(contents.posts) == 1
    assert contents.errors == ["platform error: Could not find tweet 42"]


def test_a_page_that_is_not_json_is_one_error_not_an_exception():
    assert posts_from_page("<html>502</html>").errors[0].startswith("page is not JSON")
