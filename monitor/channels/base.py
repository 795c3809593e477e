"""The inbound seam: a channel fetches the next raw page after a cursor, nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from monitor.errors import MonitorError


class ChannelError(MonitorError):
    """A channel could not fetch. ``retry_at`` says when trying again makes sense."""

    def __init__(self, message: str, *, permanent: bool = False, retry_at: datetime | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_at = retry_at


@dataclass(frozen=True)
class Page:
    """One page as the platform returned it.

    ``payload`` is the verbatim body (X API v2 shape: data, includes, meta, errors);
    ``request`` describes what was asked, for provenance.
    """

    payload: str
    request: dict[str, Any]
    next_token: str | None
    newest_id: str | None
    adapter_version: str
    result_count: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    kind: str
    # the platform id of the account the ministry answers from, if any
    account_handle: str | None

    def fetch_page(self, since_id: str | None, pagination_token: str | None) -> Page:
        """Return the page of posts newer than ``since_id``, newest first, at ``pagination_token``."""
        ...
