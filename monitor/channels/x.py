"""XChannel: mentions of the ministry's account and saved searches, through tweepy (API v2).

The only module that imports tweepy. tweepy hard-codes its host and sets no
timeout, so the client gets our own session: every call goes to
``MONITOR_X_API_BASE_URL`` with ``MONITOR_X_TIMEOUT_SECONDS``. tweepy hands
back the raw ``requests.Response``; the body is stored verbatim and mapped to
posts by the pure ``x_payload.posts_from_page``. Every failure leaves here as
a ``ChannelError`` (or ``XApiError`` for the reply sink) worded for an operator.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
import tweepy
from pydantic import SecretStr
from requests.adapters import HTTPAdapter

from monitor.channels.base import ChannelError, Page
from monitor.channels.x_limits import RECENT_SEARCH_REACH, XFailure, backoff_delays, classify_response, post_time
from monitor.channels.x_payload import PageContents, posts_from_page
from monitor.errors import MonitorError

log = logging.getLogger(__name__)
# tweepy logs request headers (the bearer token) at DEBUG, oauthlib the signed parameters:
# never let that through, whatever MONITOR_LOG_LEVEL says.
for _name in ("tweepy", "oauthlib", "requests_oauthlib"):
    logging.getLogger(_name).setLevel(logging.INFO)

ADAPTER_VERSION = "x/1"
TWEEPY_HOSTS = ("https://api.twitter.com", "https://api.x.com")  # what tweepy has, or may, hard-code
PAGE_SIZE = 100
TWEET_FIELDS = ["created_at", "lang", "conversation_id", "referenced_tweets", "in_reply_to_user_id", "entities",
                "edit_history_tweet_ids", "author_id"]
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]
USER_FIELDS = ["username", "name"]
FIELDS = {"expansions": EXPANSIONS, "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS}


def _utcnow() -> datetime:
    return datetime.now(UTC)


class XApiError(MonitorError):
    """A call to X failed; ``failure`` says how (rate limit, cap, auth, server, timeout ...)."""

    def __init__(self, failure: XFailure):
        super().__init__(failure.message)
        self.failure = failure


class _TimeoutAdapter(HTTPAdapter):
    def __init__(self, timeout: float):
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


class XSession(requests.Session):
    """tweepy's session, sent to our base URL (before OAuth signs it) with a timeout always."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        adapter = _TimeoutAdapter(timeout)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        for host in TWEEPY_HOSTS:
            if isinstance(url, str) and url.startswith(host + "/"):
                url = self.base_url + url[len(host):]
                break
        return super().request(method, url, *args, **kwargs)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


class XApi:
    """An authenticated tweepy client on our session; retries 5xx and timeouts, briefly."""

    def __init__(self, settings: Any, *, sleep: Callable[[float], None] = time.sleep, tries: int = 3,
                 clock: Callable[[], datetime] = _utcnow):
        self.has_bearer = settings.x_bearer_token is not None
        self.client = tweepy.Client(
            bearer_token=_secret(settings.x_bearer_token), consumer_key=_secret(settings.x_consumer_key),
            consumer_secret=_secret(settings.x_consumer_secret), access_token=_secret(settings.x_access_token),
            access_token_secret=_secret(settings.x_access_token_secret),
            return_type=requests.Response, wait_on_rate_limit=False,
        )
        self.client.session = XSession(settings.x_api_base_url, settings.x_timeout_seconds)
        self.timeout = settings.x_timeout_seconds
        self.sleep, self.tries, self.clock = sleep, tries, clock

    def close(self) -> None:
        self.client.session.close()

    def call(self, method: str, *, retry: bool = True, **params: Any) -> requests.Response:
        """Call ``tweepy.Client.<method>``; transient failures are retried only when ``retry``."""
        delays: list[float | None] = [*backoff_delays(self.tries), None] if retry else [None]
        for delay in delays:
            try:
                return getattr(self.client, method)(**params)
            except (tweepy.HTTPException, requests.RequestException) as exc:
                failure = self._classify(exc)
            if not failure.transient or delay is None:
                raise XApiError(failure)
            log.info("X %s: %s; retrying in %.2f s", method, failure.message, delay)
            self.sleep(delay)
        raise AssertionError("unreachable")

    def _classify(self, exc: Exception) -> XFailure:
        if isinstance(exc, tweepy.HTTPException):
            response = exc.response
            return classify_response(response.status_code, response.headers, body_text(response), now=self.clock())
        if isinstance(exc, requests.Timeout):
            return XFailure("timeout", f"X did not answer within {self.timeout:g} s")
        return XFailure("timeout", f"X unreachable: {type(exc).__name__}")


def body_text(response: requests.Response) -> str:
    """The body as X sent it (UTF-8), whatever charset the headers claim or omit."""
    return response.content.decode("utf-8", errors="replace")


def parse_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = json.loads(body_text(response))
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise XApiError(XFailure("malformed", "X sent a body that is not a JSON object; trying again next poll"))
    return body


class XChannel:
    """One stream: the account's mentions (``mode=mentions``) or one saved search (``mode=search``)."""

    kind = "x"

    def __init__(self, api: XApi, *, mode: str = "mentions", query: str | None = None,
                 user_id: str | None = None, account_handle: str | None = None,
                 clock: Callable[[], datetime] = _utcnow):
        self.api, self.mode, self.query = api, mode, query
        self.user_id, self.account_handle, self.clock = user_id, account_handle, clock

    @classmethod
    def from_config(cls, config: dict[str, Any], *, settings: Any = None, sleep: Callable[[float], None] | None = None,
                    **_: Any) -> XChannel:
        if settings is None:
            raise ChannelError("the X channel needs the settings that hold its credentials", permanent=True)
        api = XApi(settings, sleep=sleep or time.sleep)
        return cls(api, mode=config.get("mode", "mentions"), query=config.get("query"),
                   user_id=config.get("user_id"), account_handle=config.get("account_handle"))

    @staticmethod
    def posts_from_page(payload: str, *, account_handle: str | None = None) -> PageContents:
        return posts_from_page(payload, account_handle=account_handle)

    def fetch_page(self, since_id: str | None, pagination_token: str | None) -> Page:
        if not self.api.has_bearer:
            raise ChannelError("X channel has no credentials: set MONITOR_X_BEARER_TOKEN", permanent=True)
        since_id, notice = self._within_reach(since_id) if pagination_token is None else (since_id, None)
        method, params = self._request(since_id, pagination_token)
        try:
            response = self.api.call(method, **params)
            meta = parse_body(response).get("meta") or {}
        except XApiError as exc:
            raise _channel_error(exc.failure) from None
        return Page(
            payload=body_text(response), request={"endpoint": method, **params},
            next_token=meta.get("next_token"), newest_id=meta.get("newest_id"), adapter_version=ADAPTER_VERSION,
            result_count=int(meta.get("result_count") or 0), extra={"notice": notice} if notice else {},
        )

    def _request(self, since_id: str | None, token: str | None) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"max_results": PAGE_SIZE, **FIELDS}
        if since_id is not None:
            params["since_id"] = since_id
        if self.mode == "search":
            if token is not None:
                params["next_token"] = token
            return "search_recent_tweets", {"query": self.query, **params}
        if self.user_id is None:
            raise ChannelError("X mentions channel has no account id: add it again with `monitor channel add x`",
                               permanent=True)
        if token is not None:
            params["pagination_token"] = token
        return "get_users_mentions", {"id": self.user_id, **params}

    def _within_reach(self, since_id: str | None) -> tuple[str | None, str | None]:
        """Recent search reaches back 7 days: an older checkpoint is dropped, and the gap named."""
        if self.mode != "search" or since_id is None:
            return since_id, None
        now = self.clock()
        reach = now - RECENT_SEARCH_REACH
        checkpoint_time = post_time(since_id)
        if checkpoint_time >= reach:
            return since_id, None
        notice = (f"posts between {checkpoint_time:%Y-%m-%d %H:%M} and {reach:%Y-%m-%d %H:%M} UTC may be missing "
                  "(recent search reaches back 7 days)")
        log.warning("X search %r: %s", self.query, notice)
        return None, notice


def _channel_error(failure: XFailure) -> ChannelError:
    permanent = failure.kind in ("auth", "forbidden")
    return ChannelError(failure.message, permanent=permanent, retry_at=failure.retry_at)


def identify_account(settings: Any) -> tuple[str, str]:
    """The (user id, handle) of the account whose access token is configured."""
    if settings.x_consumer_key is None or settings.x_access_token is None:
        raise ChannelError("set MONITOR_X_CONSUMER_KEY, MONITOR_X_CONSUMER_SECRET, MONITOR_X_ACCESS_TOKEN and "
                           "MONITOR_X_ACCESS_TOKEN_SECRET so the monitor can identify the ministry's account",
                           permanent=True)
    try:
        data = parse_body(XApi(settings).call("get_me", user_auth=True)).get("data") or {}
    except XApiError as exc:
        raise ChannelError(f"cannot identify the X account: {exc}", permanent=True) from None
    if not data.get("id") or not data.get("username"):
        raise ChannelError("X did not say which account the access token belongs to", permanent=True)
    return str(data["id"]), str(data["username"])
