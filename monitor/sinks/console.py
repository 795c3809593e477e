"""ConsoleSink: the development default. Records what would be posted instead of posting it."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from monitor.sinks.base import OutboundReply, Receipt

log = logging.getLogger(__name__)


class ConsoleSink:
    """Logs each reply and appends it to a JSONL file, so a demo shows what would have gone out."""

    kind = "console"

    def __init__(self, record_path: Path):
        self.record_path = record_path

    def send(self, reply: OutboundReply) -> Receipt:
        receipt = Receipt(platform_id=f"console-{reply.idempotency_key}")
        entry = {**asdict(reply), "platform_id": receipt.platform_id, "sent_at": datetime.now(UTC).isoformat()}
        self.record_path.parent.mkdir(parents=True, exist_ok=True)
        with self.record_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        log.info("console sink: reply %s to post %s recorded, not posted", reply.idempotency_key,
                 reply.in_reply_to_external_id)
        return receipt

    def find_sent(self, reply: OutboundReply) -> Receipt | None:
        """Whether this reply was already recorded (a sender may have died right after writing it)."""
        if not self.record_path.exists():
            return None
        with self.record_path.open(encoding="utf-8") as handle:
            for line in handle:
                entry = json.loads(line)
                if entry.get("idempotency_key") == reply.idempotency_key:
                    return Receipt(platform_id=entry["platform_id"])
        return None
