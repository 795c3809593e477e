import json
import logging

from monitor.channels import build_channel
from monitor.channels.replay import ReplayChannel
from tests.factories import BASE_ID, write_replay, x_line


def page_ids(page):
    return [item["id"] for item in json.loads(page.payload).get("data", [])]


def test_serves_posts_newest_first_in_pages_with_x_meta(tmp_path):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(n, f"post {n}") for n in range(1, 6)])
    channel = ReplayChannel(path, page_size=2)
    first = channel.fetch_page(None, None)
    assert page_ids(first) == [str(BASE_ID + 5), str(BASE_ID + 4)]
    assert first.newest_id == str(BASE_ID + 5)
    second = channel.fetch_page(None, first.next_token)
    third = channel.fetch_page(None, second.next_token)
    assert page_ids(second) == [str(BASE_ID + 3), str(BASE_ID + 2)]
    assert page_ids(third) == [str(BASE_ID + 1)] and third.next_token is None
    body = json.loads(first.payload)
    assert body["meta"] == {"result_count": 2, "newest_id": str(BASE_ID + 5), "oldest_id": str(BASE_ID + 4),
                            "next_token": "2"}
    assert body["includes"]["users"][0]["username"] == "citizen"


def test_serves_only_posts_after_the_checkpoint(tmp_path):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(n, f"post {n}") for n in range(1, 6)])
    page = ReplayChannel(path).fetch_page(str(BASE_ID + 3), None)
    assert page_ids(page) == [str(BASE_ID + 5), str(BASE_ID + 4)]


def test_releases_a_limited_number_of_posts_per_poll(tmp_path):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(n, f"post {n}") for n in range(1, 8)])
    channel = ReplayChannel(path, release_per_poll=3)
    assert page_ids(channel.fetch_page(None, None)) == [str(BASE_ID + n) for n in (3, 2, 1)]
    assert page_ids(channel.fetch_page(str(BASE_ID + 3), None)) == [str(BASE_ID + n) for n in (6, 5, 4)]


def test_malformed_lines_are_logged_with_their_line_number_and_skipped(tmp_path, caplog):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(1, "one"), "{not json", "[1, 2]", x_line(2, "two")])
    with caplog.at_level(logging.WARNING):
        page = ReplayChannel(path).fetch_page(None, None)
    assert page_ids(page) == [str(BASE_ID + 2), str(BASE_ID + 1)]
    assert "line 2" in caplog.text and "line 3" in caplog.text


def test_is_built_from_stored_config_relative_to_the_data_folder(tmp_path):
    write_replay(tmp_path / "posts.jsonl", [x_line(1, "one")])
    channel = build_channel("replay", {"path": "posts.jsonl", "page_size": 5}, data_dir=tmp_path)
    assert channel.path == tmp_path / "posts.jsonl" and channel.page_size == 5


def test_shipped_demo_posts_all_parse_as_posts():
    from tests.conftest import DATA

    channel = ReplayChannel(DATA / "demo" / "posts.jsonl")
    page = channel.fetch_page(None, None)
    contents = channel.posts_from_page(page.payload, account_handle="WorksMinistry")
    lines = (DATA / "demo" / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 300
    assert contents.errors == []
    assert len(contents.posts) + len(contents.skipped) == min(len(lines), 100)
