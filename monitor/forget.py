"""Forgetting a post deleted on the platform: its text and author leave every place we keep them.

X's terms require honouring deletions within 24 hours. The post row keeps its
case, tag and timings (the metrics need them) but loses its text and author;
stored raw pages are rewritten without the post (and without its author when
no other post of theirs remains on the page); events and labelled examples
that quote the text lose it. Our own replies stay: they are ours.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor import models
from monitor.errors import MonitorError

REMOVED = "[removed: deleted on the platform]"


class ForgetError(MonitorError):
    """The post to forget is unknown."""


def forget_post(session: Session, external_id: str, *, now: datetime) -> int:
    """Forget every stored copy of platform post ``external_id``; return how many post rows changed."""
    posts = session.scalars(select(models.Post).where(
        (models.Post.external_id == external_id) | (models.Post.edit_id == external_id))).all()
    versions = {external_id} | {i for post in posts for i in (post.external_id, post.edit_id) if i}
    pages = {page for version in versions for page in _pages_quoting(session, version)}
    if not posts and not pages:
        raise ForgetError(f"no stored post or page holds post {external_id}")
    texts = {post.text for post in posts}
    authors = {post.author_id for post in posts if post.author_id}
    for page in pages:
        page.payload = _without_posts(page.payload, versions)
    _scrub_events(session, [post.id for post in posts], texts)
    if posts:
        session.execute(delete(models.LabeledExample).where(models.LabeledExample.post_id.in_([p.id for p in posts])))
    for post in posts:
        post.text, post.search_text = REMOVED, None
        post.author_id = post.author_handle = post.author_name = None
        session.add(models.Event(case_id=post.case_id, post_id=post.id, action="post_forgotten",
                                 after={"external_id": external_id, "authors_removed": len(authors)},
                                 created_at=now))
    session.commit()
    return len(posts)


def _pages_quoting(session: Session, external_id: str) -> list[models.RawPage]:
    return list(session.scalars(select(models.RawPage).where(models.RawPage.payload.contains(f'"{external_id}"'))))


def _without_posts(payload: str, versions: set[str]) -> str:
    """The page without those posts, and without their authors unless another post of theirs stays."""
    try:
        body = json.loads(payload)
    except ValueError:
        return json.dumps({"errors": [{"detail": "page dropped: it held a forgotten post"}]})
    if not isinstance(body, dict):
        return "{}"
    data = [item for item in _items(body.get("data")) if item.get("id") not in versions]
    includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
    tweets = [item for item in _items(includes.get("tweets")) if item.get("id") not in versions]
    gone = {item.get("author_id") for item in _items(body.get("data")) + _items(includes.get("tweets"))
            if item.get("id") in versions}
    kept = {item.get("author_id") for item in data + tweets}
    users = [user for user in _items(includes.get("users")) if user.get("id") not in gone - kept]
    body["data"] = data
    body["includes"] = {**includes, "users": users, "tweets": tweets}
    return json.dumps(body, ensure_ascii=False)


def _items(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        value = [value]
    return [item for item in value or [] if isinstance(item, dict)]


def _scrub_events(session: Session, post_ids: list[int], texts: set[str]) -> None:
    """Events about the post lose their text fields; any event quoting the text loses that value."""
    events = session.scalars(select(models.Event).where(
        models.Event.before.is_not(None) | models.Event.after.is_not(None))).all()
    for event in events:
        about_post = event.post_id in post_ids
        event.before = _scrubbed(event.before, texts, about_post)
        event.after = _scrubbed(event.after, texts, about_post)


def _scrubbed(values: dict[str, Any] | None, texts: set[str], about_post: bool) -> dict[str, Any] | None:
    if not values:
        return values
    return {key: REMOVED if (about_post and key == "text") or (isinstance(value, str) and value in texts)
            else value for key, value in values.items()}
