"""Outbound sinks: reply posting and forwarding to the national complaints system."""

from monitor.sinks.base import ManualReplyRequired, OutboundReply, Receipt, Sink, SinkError

__all__ = ["ManualReplyRequired", "OutboundReply", "Receipt", "Sink", "SinkError"]
