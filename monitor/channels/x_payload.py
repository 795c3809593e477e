"""The X API v2 page → post mapping, shared by the X and replay channels.

A pure function of the stored page: re-ingesting a page gives the same posts,
so a mapping bug is fixed by re-ingesting, not re-polling. A post that lacks
what we need is reported with its position and skipped; the rest land.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class PostRecord:
    external_id: str
    conversation_id: str
    text: str
    posted_at: datetime
    author_id: str | None
    author_handle: str | None
    author_name: str | None
    platform_lang: str | None
    in_reply_to_id: str | None
    mentions_account: bool
    # the post this one is an edit of (the earliest id of its edit history), if any
    edit_of: str | None = None


@dataclass
class PageContents:
    posts: list[PostRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def posts_from_page(payload: str, *, account_handle: str | None = None) -> PageContents:
    """Map one raw X API v2 page (mentions or search shape) to post records."""
    contents = PageContents()
    try:
        body = json.loads(payload)
    except ValueError as exc:
        contents.errors.append(f"page is not JSON: {exc}")
        return contents
    if not isinstance(body, dict):
        contents.errors.append("page is not a JSON object")
        return contents
    for problem in body.get("errors") or []:
        contents.errors.append(f"platform error: {_describe(problem)}")
    includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
    users = _by_id(includes.get("users"))
    quoted = _by_id(includes.get("tweets"))
    for position, item in enumerate(body.get("data") or []):
        try:
            record = _post_record(item, users, quoted, account_handle)
        except (KeyError, TypeError, ValueError) as exc:
            contents.errors.append(f"item {position}: skipped, {_reason(exc)}")
            continue
        if record is None:
            contents.skipped.append(f"item {position}: retweet {item.get('id')}")
        else:
            contents.posts.append(record)
    return contents


def _by_id(items: Any) -> dict[Any, Any]:
    return {item.get("id"): item for item in items or [] if isinstance(item, dict)}


def _post_record(
    item: Any, users: dict[Any, Any], quoted: dict[Any, Any], account_handle: str | None
) -> PostRecord | None:
    if not isinstance(item, dict):
        raise TypeError("not a post object")
    post_id = _platform_id(item["id"])
    text = item["text"]
    if not isinstance(text, str):
        raise TypeError("'text' is not a string")
    references = {ref.get("type"): ref.get("id") for ref in item.get("referenced_tweets") or []}
    if "retweeted" in references:
        return None
    text = storable(text)
    author = users.get(item.get("author_id")) or {}
    handles = {m.get("username", "").lower() for m in (item.get("entities") or {}).get("mentions") or []}
    return PostRecord(
        external_id=post_id,
        conversation_id=_platform_id(item.get("conversation_id") or post_id),
        text=text,
        posted_at=_timestamp(item["created_at"]),
        author_id=item.get("author_id"),
        author_handle=_optional_text(author.get("username")),
        author_name=_optional_text(author.get("name")),
        platform_lang=item.get("lang"),
        in_reply_to_id=references.get("replied_to"),
        mentions_account=_summons(account_handle, handles, quoted.get(references.get("quoted")), users),
        edit_of=_edit_of(post_id, item.get("edit_history_tweet_ids")),
    )


def _summons(account: str | None, handles: set[str], quote: Any, users: dict[Any, Any]) -> bool:
    """Whether the post mentions the account or quotes one of its posts."""
    if not account:
        return False
    quoted_author = (users.get(quote.get("author_id")) or {}).get("username") if isinstance(quote, dict) else None
    return account.lower() in handles or str(quoted_author or "").lower() == account.lower()


def _edit_of(post_id: str, history: Any) -> str | None:
    ids = [str(value) for value in history or [] if str(value).isdigit()]
    earliest = min(ids, key=int) if ids else post_id
    return earliest if earliest != post_id else None


def storable(text: str) -> str:
    """Text any database can store: no NUL, lone surrogates replaced by U+FFFD."""
    return text.replace("\x00", "").encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _optional_text(value: Any) -> str | None:
    return storable(str(value))[:200] if value is not None else None


def _platform_id(value: Any) -> str:
    text = str(value)
    if not text.isdigit() or len(text) > 30:
        raise ValueError(f"bad post id {text[:40]!r}")
    return text


def _timestamp(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"created_at without time zone: {value!r}")
    return moment.astimezone(UTC)


def _reason(exc: Exception) -> str:
    return f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)


def _describe(problem: Any) -> str:
    if isinstance(problem, dict):
        return str(problem.get("detail") or problem.get("title") or problem)[:300]
    return str(problem)[:300]
