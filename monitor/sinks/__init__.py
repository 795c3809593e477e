"""Outbound sinks: reply posting (and later forwarding to the national complaints system)."""

from monitor.sinks.base import OutboundReply, Receipt, Sink, SinkError

__all__ = ["OutboundReply", "Receipt", "Sink", "SinkError"]
