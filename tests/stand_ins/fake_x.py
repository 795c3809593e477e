"""A fake X API v2 on loopback: the endpoints the monitor uses, an in-memory store, failure switches.

Envelopes, headers (``x-rate-limit-*``, ``api-version``) and problem bodies follow
the recorded responses in ../shared/fixtures/x-api-v2-cassettes and the OpenAPI
schema beside them. Real tweepy talks to it over HTTP; tests add posts, queue
failures with ``fail_next`` and read ``requests`` to see what arrived.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.stand_ins.loopback import serve_asgi

TWITTER_EPOCH_MS = 1288834974657
ACCOUNT = {"id": "1512345678901234567", "username": "WorksMinistry", "name": "Ministry of Works"}
REPLY_NOT_ALLOWED = ("Reply to this conversation is not allowed because you have not been mentioned or otherwise "
                     "engaged by the author of the post you are replying to.")
PROBLEMS = {
    401: {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
    403: {"title": "Forbidden", "type": "about:blank", "status": 403,
          "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
                    "from a Twitter developer App that is attached to a Project."},
    429: {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
    500: {"title": "Internal Server Error", "detail": "Internal Server Error", "type": "about:blank", "status": 500},
    503: {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503},
}
USAGE_CAPPED = {"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap", "status": 429,
                "type": "https://api.twitter.com/2/problems/usage-capped", "period": "Monthly", "scope": "Product"}


def snowflake(moment: datetime, sequence: int) -> str:
    return str(((int(moment.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22) | (sequence & 0x3FFFFF))


class FakeX:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.users: dict[str, dict[str, Any]] = {ACCOUNT["id"]: dict(ACCOUNT)}
        self.posts: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.failures: list[list[Any]] = []
        self.sequence = 0
        self.slow_seconds = 1.5
        self.reset_in = 60

    # the store -----------------------------------------------------------------------------
    def add_post(self, text: str, *, author: str = "citizen", mention: bool = True, at: datetime | None = None,
                 refs: list[tuple[str, str]] = (), edit_of: str | None = None) -> str:
        """Publish a post; ``refs`` are (type, id) pairs: retweeted, quoted, replied_to."""
        with self.lock:
            self.sequence += 1
            post_id = snowflake(at or datetime.now(UTC), self.sequence)
            author_id = self._user(author)
            history = [*self.posts[edit_of]["edit_history_tweet_ids"], post_id] if edit_of else [post_id]
            post: dict[str, Any] = {
                "id": post_id, "text": text, "author_id": author_id, "lang": "en", "edit_history_tweet_ids": history,
                "created_at": (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "conversation_id": post_id,
            }
            if mention:
                post["entities"] = {"mentions": [{"start": 0, "end": 14, "username": ACCOUNT["username"],
                                                  "id": ACCOUNT["id"]}]}
            if refs:
                post["referenced_tweets"] = [{"type": kind, "id": ref} for kind, ref in refs]
            for history_id in history[:-1]:
                self.posts[history_id]["edit_history_tweet_ids"] = history
            self.posts[post_id] = post
            return post_id

    def _user(self, handle: str) -> str:
        for user in self.users.values():
            if user["username"] == handle:
                return user["id"]
        user_id = str(1700000000000000000 + len(self.users))
        self.users[user_id] = {"id": user_id, "username": handle, "name": handle.title()}
        return user_id

    def fail_next(self, mode: str, times: int = 1, *, path: str | None = None, after: int = 0) -> None:
        """Queue failures: rate_limit, usage_cap, 401, 403, 500, 503, slow, malformed, partial, post_then_slow.

        ``after`` lets that many matching calls through first."""
        with self.lock:
            self.failures.extend([["pass", path]] * after + [[mode, path]] * times)

    def _failure(self, path: str) -> str | None:
        with self.lock:
            for index, (mode, prefix) in enumerate(self.failures):
                if prefix is None or path.startswith(prefix):
                    del self.failures[index]
                    return None if mode == "pass" else mode
        return None

    # the pages -----------------------------------------------------------------------------
    def page(self, posts: list[dict[str, Any]], params: Any) -> dict[str, Any]:
        since = int(params.get("since_id") or 0)
        token = params.get("pagination_token") or params.get("next_token")
        until = int(token[2:], 16) if token else None
        size = int(params.get("max_results") or 10)
        chosen = sorted((p for p in posts if int(p["id"]) > since and (until is None or int(p["id"]) < until)),
                        key=lambda p: int(p["id"]), reverse=True)
        data, more = chosen[:size], len(chosen) > size
        if not data:
            return {"meta": {"result_count": 0}}
        meta = {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"], "result_count": len(data)}
        if more:
            meta["next_token"] = "pt" + format(int(data[-1]["id"]), "x")
        return {"data": data, "includes": self.includes(data), "meta": meta}

    def includes(self, data: list[dict[str, Any]]) -> dict[str, Any]:
        referenced = [self.posts[ref["id"]] for post in data for ref in post.get("referenced_tweets") or []
                      if ref["id"] in self.posts]
        authors = {post["author_id"] for post in [*data, *referenced]}
        includes: dict[str, Any] = {"users": [self.users[a] for a in sorted(authors)]}
        if referenced:
            includes["tweets"] = referenced
        return includes

    def mentions(self) -> list[dict[str, Any]]:
        handle = ACCOUNT["username"].lower()
        return [p for p in self.posts.values()
                if any(m["username"].lower() == handle for m in (p.get("entities") or {}).get("mentions", []))]

    def search(self, query: str) -> list[dict[str, Any]]:
        words = [w.lower() for w in query.split() if ":" not in w and not w.startswith("-")]
        return [p for p in self.posts.values() if all(w in p["text"].lower() for w in words)]

    def summoned(self, post_id: str) -> bool:
        post = self.posts.get(post_id) or {}
        mentions = {m["username"].lower() for m in (post.get("entities") or {}).get("mentions", [])}
        quoted = [r["id"] for r in post.get("referenced_tweets") or [] if r["type"] == "quoted"]
        ours = any(self.posts.get(q, {}).get("author_id") == ACCOUNT["id"] for q in quoted)
        return ACCOUNT["username"].lower() in mentions or ours


def _answer(body: Any, status: int = 200, *, extra: dict[str, str] | None = None) -> Response:
    reset = str(int(time.time()) + 900)
    headers = {"api-version": "2.159", "x-access-level": "read-write", "x-rate-limit-limit": "450",
               "x-rate-limit-remaining": "449", "x-rate-limit-reset": reset, **(extra or {})}
    content = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return Response(content.encode("utf-8"), status, headers, media_type="application/json; charset=utf-8")


def create_app(fake: FakeX) -> Starlette:
    async def handle(request: Request) -> Response:
        body = await request.body()
        fake.requests.append({"method": request.method, "path": request.url.path,
                              "params": dict(request.query_params), "json": json.loads(body) if body else None,
                              "authorization": request.headers.get("authorization", "")[:6]})
        mode = fake._failure(request.url.path)
        failed = _failed(fake, mode)
        if failed is not None:
            return failed
        if mode == "slow":
            await asyncio.sleep(fake.slow_seconds)
        answer = _route(fake, request, json.loads(body) if body else None)
        if mode == "post_then_slow":
            await asyncio.sleep(fake.slow_seconds)
        if mode == "partial" and answer.status_code == 200:
            return _with_errors(answer)
        return answer

    routes = [Route("/2/{rest:path}", handle, methods=["GET", "POST"])]
    return Starlette(routes=routes)


def _failed(fake: FakeX, mode: str | None) -> Response | None:
    if mode == "rate_limit":
        reset = str(int(time.time()) + fake.reset_in)
        return _answer(PROBLEMS[429], 429, extra={"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset})
    if mode == "usage_cap":
        return _answer(USAGE_CAPPED, 429)
    if mode in ("401", "403", "500", "503"):
        return _answer(PROBLEMS[int(mode)], int(mode))
    if mode == "malformed":
        return _answer('{"data": [{"id": "1861', 200)
    return None


def _with_errors(answer: Response) -> Response:
    body = json.loads(answer.body)
    body["errors"] = [{"value": "1460323737035677698", "detail": "Could not find tweet with referenced_tweets.id: "
                       "[1460323737035677698].", "title": "Not Found Error", "resource_type": "tweet",
                       "parameter": "referenced_tweets.id", "resource_id": "1460323737035677698",
                       "type": "https://api.twitter.com/2/problems/resource-not-found"}]
    return _answer(body)


def _route(fake: FakeX, request: Request, payload: Any) -> Response:
    path, params = request.url.path, request.query_params
    parts = path.strip("/").split("/")
    if path == "/2/users/me":
        return _answer({"data": ACCOUNT})
    if path == "/2/tweets/search/recent":
        return _answer(fake.page(fake.search(params.get("query", "")), params))
    if len(parts) == 4 and parts[1] == "users" and parts[3] == "mentions":
        return _answer(fake.page(fake.mentions(), params))
    if len(parts) == 4 and parts[1] == "users" and parts[3] == "tweets":
        return _answer(fake.page([p for p in fake.posts.values() if p["author_id"] == parts[2]], params))
    if path == "/2/tweets" and request.method == "GET":
        ids = params.get("ids", "").split(",")
        data = [fake.posts[i] for i in ids if i in fake.posts]
        return _answer({"data": data, "includes": fake.includes(data)})
    if path == "/2/tweets" and request.method == "POST":
        return _create(fake, payload or {})
    return _answer({"title": "Not Found Error", "type": "about:blank", "status": 404, "detail": path}, 404)


def _create(fake: FakeX, payload: dict[str, Any]) -> Response:
    target = (payload.get("reply") or {}).get("in_reply_to_tweet_id")
    if target and not fake.summoned(target):
        problem = {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": REPLY_NOT_ALLOWED}
        return _answer(problem, 403)
    post_id = fake.add_post(payload["text"], author=ACCOUNT["username"], mention=False,
                            refs=[("replied_to", target)] if target else ())
    return _answer({"data": {"id": post_id, "text": payload["text"], "edit_history_tweet_ids": [post_id]}}, 201)


@contextmanager
def serve(fake: FakeX) -> Iterator[str]:
    """Serve the fake on a free loopback port; yields its base URL."""
    with serve_asgi(create_app(fake)) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def fake_x_server() -> Iterator[tuple[FakeX, str]]:
    fake = FakeX()
    with serve(fake) as base_url:
        yield fake, base_url


@pytest.fixture
def fake_x(fake_x_server: tuple[FakeX, str]) -> FakeX:
    fake, _ = fake_x_server
    fake.reset()
    return fake
