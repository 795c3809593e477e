"""The outbound seam: a sink sends one approved item and returns a receipt, or raises SinkError."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from monitor.errors import MonitorError


class SinkError(MonitorError):
    """Sending failed. Permanent: a person must look; transient: retry later."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class ManualReplyRequired(SinkError):
    """The platform will not take this reply from us: a person must reply on the platform by hand."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class OutboundReply:
    idempotency_key: str
    text: str
    in_reply_to_external_id: str
    channel_kind: str
    # whether the post answered mentioned or quoted the ministry's account
    summoned: bool = True


@dataclass(frozen=True)
class Receipt:
    platform_id: str


class Sink(Protocol):
    kind: str

    def send(self, reply: OutboundReply) -> Receipt: ...
