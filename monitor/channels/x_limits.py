"""Facts of the X platform as pure functions: failures, usage caps, post-id time, backoff.

Shared by the X channel and the X reply sink; nothing here touches the network.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

TWITTER_EPOCH_MS = 1288834974657
RECENT_SEARCH_REACH = timedelta(days=7)
USAGE_CAPPED = "https://api.twitter.com/2/problems/usage-capped"


@dataclass(frozen=True)
class XFailure:
    """One failed call, classified: ``kind`` is rate_limited, usage_capped, auth, forbidden,
    server, timeout, malformed or client."""

    kind: str
    message: str
    retry_at: datetime | None = None

    @property
    def transient(self) -> bool:
        return self.kind in ("server", "timeout")


def classify_response(status: int, headers: Any, body: str, *, now: datetime) -> XFailure:
    """Turn an HTTP error answer into an operator-worded failure."""
    problem = _problem(body)
    detail = str(problem.get("detail") or problem.get("title") or "")[:200]
    if status == 429 and _is_usage_cap(problem):
        resume = start_of_next_month(now)
        return XFailure("usage_capped", f"X monthly usage cap reached ({detail or 'usage capped'}); "
                        f"polling paused until {resume:%Y-%m-%d} 00:00 UTC", resume)
    if status == 429:
        reset = _reset_time(headers, now)
        return XFailure("rate_limited", f"X rate limit reached; retrying after {reset:%H:%M:%S} UTC", reset)
    if status == 401:
        return XFailure("auth", "X refused the credentials (401): check MONITOR_X_BEARER_TOKEN and the "
                        "MONITOR_X_CONSUMER_*/MONITOR_X_ACCESS_TOKEN* settings, then re-enable the channel")
    if status == 403:
        return XFailure("forbidden", f"X refused access (403): {detail or 'forbidden'}; check the app's "
                        "access level and project on the X developer portal, then re-enable the channel")
    if status >= 500:
        return XFailure("server", f"X server error {status}")
    return XFailure("client", f"X answered {status}: {detail or 'request refused'}")


def _problem(body: str) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _is_usage_cap(problem: dict[str, Any]) -> bool:
    text = " ".join(str(problem.get(key, "")) for key in ("type", "title", "detail")).lower()
    return problem.get("type") == USAGE_CAPPED or "usagecap" in text.replace(" ", "") or "usage cap" in text


def _reset_time(headers: Any, now: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(headers["x-rate-limit-reset"]), UTC)
    except (KeyError, TypeError, ValueError):
        return now + timedelta(minutes=15)  # X's rate-limit window


def start_of_next_month(now: datetime) -> datetime:
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


def post_time(post_id: str | int) -> datetime:
    """When an X post was created, read from its snowflake id."""
    return datetime.fromtimestamp(((int(post_id) >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


def backoff_delays(tries: int, *, base: float = 0.2, cap: float = 0.8) -> list[float]:
    """Capped exponential backoff with full jitter, one delay between each pair of tries."""
    return [random.uniform(0, min(cap, base * 2**attempt)) for attempt in range(tries - 1)]
