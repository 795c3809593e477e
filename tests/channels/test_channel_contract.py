"""Every registered channel kind keeps the same contract: pages after a cursor, mapped by its own pure mapping."""

from __future__ import annotations

import pytest

from monitor.channels import CHANNEL_KINDS, Page, build_channel
from tests.channels.conftest import x_config
from tests.factories import write_replay, x_line


@pytest.fixture
def channel_with_three_posts(request, tmp_path, fake_x, x_settings):
    """A channel of the given kind holding three posts that mention the ministry, and their ids."""
    if request.param == "replay":
        lines = [x_line(n, f"@WorksMinistry pothole {n}") for n in (1, 2, 3)]
        path = write_replay(tmp_path / "posts.jsonl", lines)
        return build_channel("replay", {"path": str(path)}), [line["data"]["id"] for line in lines]
    if request.param == "x":
        ids = [fake_x.add_post(f"@WorksMinistry pothole {n}") for n in (1, 2, 3)]
        return build_channel("x", x_config(), settings=x_settings, data_dir=tmp_path), ids
    pytest.fail(f"channel kind {request.param!r} has no contract fixture: add one here")


@pytest.mark.parametrize("channel_with_three_posts", sorted(CHANNEL_KINDS), indirect=True)
def test_a_channel_serves_posts_after_its_cursor_and_maps_them_with_its_own_mapping(channel_with_three_posts):
    channel, ids = channel_with_three_posts
    page = channel.fetch_page(None, None)
    assert isinstance(page, Page) and page.newest_id == max(ids, key=int) and page.result_count == 3
    contents = type(channel).posts_from_page(page.payload, account_handle="WorksMinistry")
    assert sorted(post.external_id for post in contents.posts) == sorted(ids)
    assert all(post.mentions_account for post in contents.posts) and contents.errors == []
    assert channel.fetch_page(page.newest_id, None).result_count == 0
