"""Inbound channels. Kinds are registered in one explicit mapping, imported lazily."""

from __future__ import annotations

import importlib
from typing import Any

from monitor.channels.base import Channel, ChannelError, Page

# slug -> "module:Class"; a kind's module is imported only when that kind is used.
CHANNEL_KINDS: dict[str, str] = {
    "replay": "monitor.channels.replay:ReplayChannel",
    "x": "monitor.channels.x:XChannel",
}


def channel_class(kind: str) -> Any:
    """The class registered for ``kind``; it also carries the kind's page mapping."""
    try:
        dotted = CHANNEL_KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(CHANNEL_KINDS))
        raise ChannelError(f"unknown channel kind {kind!r} (known: {known})", permanent=True) from None
    module_name, class_name = dotted.split(":")
    return getattr(importlib.import_module(module_name), class_name)


def build_channel(kind: str, config: dict[str, Any], **collaborators: Any) -> Channel:
    """Instantiate the channel of ``kind`` from its stored config."""
    return channel_class(kind).from_config(config, **collaborators)


__all__ = ["CHANNEL_KINDS", "Channel", "ChannelError", "Page", "build_channel", "channel_class"]
