"""The X mapping's edit and quote facts, as pure functions of a page."""

import json

from monitor.channels.x_payload import posts_from_page

POST = {"id": "30", "text": "@WorksMinistry fixed text", "created_at": "2026-11-20T06:00:00.000Z", "author_id": "7"}


def page(**fields):
    return json.dumps({"data": [{**POST, **fields}],
                       "includes": {"users": [{"id": "7", "username": "citizen", "name": "C"},
                                              {"id": "9", "username": "WorksMinistry", "name": "M"}],
                                    "tweets": [{"id": "5", "text": "Road works tonight", "author_id": "9"}]}})


def test_an_edit_names_the_original_post_as_the_earliest_of_its_history():
    [post] = posts_from_page(page(edit_history_tweet_ids=["20", "10", "30"])).posts
    assert post.edit_of == "10"


def test_an_original_post_is_no_edit():
    [post] = posts_from_page(page(edit_history_tweet_ids=["30"])).posts
    assert post.edit_of is None


def test_a_quote_of_the_ministry_summons_it_without_a_mention():
    body = page(text="this again?", referenced_tweets=[{"type": "quoted", "id": "5"}])
    [post] = posts_from_page(body, account_handle="WorksMinistry").posts
    assert post.mentions_account
    [other] = posts_from_page(page(text="this again?"), account_handle="WorksMinistry").posts
    assert not other.mentions_account
