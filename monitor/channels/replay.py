"""ReplayChannel: serves recorded posts from a JSONL file as X API v2 pages.

Each line is one post in the shape of X's single-post lookup
(``{"data": {...}, "includes": {"users": [...]}}``). The channel assembles
pages exactly like the mentions and search endpoints (newest first, ``meta``
with ``newest_id``, ``oldest_id``, ``result_count`` and ``next_token``), so the
one X ingest mapping serves both. With ``release_per_poll`` it hands out only
that many posts beyond the checkpoint on each poll, so a demo queue fills live.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.channels.base import ChannelError, Page
from monitor.channels.x_payload import PageContents, posts_from_page

log = logging.getLogger(__name__)

ADAPTER_VERSION = "replay/1"


@dataclass(frozen=True)
class _Line:
    number: int
    post_id: int | None
    body: dict[str, Any]


class ReplayChannel:
    kind = "replay"

    def __init__(
        self,
        path: Path,
        *,
        page_size: int = 100,
        release_per_poll: int | None = None,
        account_handle: str | None = None,
    ):
        self.path = Path(path)
        self.page_size = page_size
        self.release_per_poll = release_per_poll
        self.account_handle = account_handle
        self._cache: tuple[tuple[int, int], list[_Line]] | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], *, data_dir: Path | None = None, **_: Any) -> ReplayChannel:
        path = Path(config["path"])
        if not path.is_absolute() and data_dir is not None:
            path = data_dir / path
        return cls(
            path,
            page_size=int(config.get("page_size", 100)),
            release_per_poll=config.get("release_per_poll"),
            account_handle=config.get("account_handle"),
        )

    @staticmethod
    def posts_from_page(payload: str, *, account_handle: str | None = None) -> PageContents:
        return posts_from_page(payload, account_handle=account_handle)

    def fetch_page(self, since_id: str | None, pagination_token: str | None) -> Page:
        window = self._released(self._read_lines(), since_id)
        window.reverse()  # newest first, as X serves them
        offset = int(pagination_token or 0)
        chunk = window[offset : offset + self.page_size]
        more = offset + self.page_size < len(window)
        payload = _page_body(chunk, next_token=str(offset + self.page_size) if more else None)
        return Page(
            payload=_dump(payload),
            request={"path": str(self.path), "since_id": since_id, "pagination_token": pagination_token,
                     "lines": [line.number for line in chunk]},
            next_token=payload["meta"].get("next_token"),
            newest_id=payload["meta"].get("newest_id"),
            adapter_version=ADAPTER_VERSION,
            result_count=len(chunk),
        )

    def _read_lines(self) -> list[_Line]:
        """The file's lines, parsed once per version of the file (a poll reads many pages)."""
        try:
            stat = self.path.stat()
            version = (stat.st_mtime_ns, stat.st_size)
            if self._cache is not None and self._cache[0] == version:
                return self._cache[1]
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ChannelError(f"replay file unreadable: {exc}", permanent=True) from exc
        lines = self._parse(text)
        self._cache = (version, lines)
        return lines

    def _parse(self, text: str) -> list[_Line]:
        lines = []
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                body = json.loads(raw)
                if not isinstance(body, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                log.warning("replay %s line %d skipped: %s", self.path.name, number, exc)
                continue
            lines.append(_Line(number, _post_id(body), body))
        return lines

    def _released(self, lines: list[_Line], since_id: str | None) -> list[_Line]:
        start = 0
        if since_id is not None:
            checkpoint = int(since_id)
            for index, line in enumerate(lines):
                if line.post_id is not None and line.post_id <= checkpoint:
                    start = index + 1
        window = lines[start:]
        return window[: self.release_per_poll] if self.release_per_poll else window


def _dump(payload: dict[str, Any]) -> str:
    """Readable JSON, unless it carries lone surrogates: then escaped, as the platform sends them."""
    text = json.dumps(payload, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload)
    return text


def _post_id(body: dict[str, Any]) -> int | None:
    data = body.get("data")
    try:
        return int(data["id"]) if isinstance(data, dict) else None
    except (KeyError, TypeError, ValueError):
        return None


def _page_body(chunk: list[_Line], *, next_token: str | None) -> dict[str, Any]:
    data, users, seen = [], [], set()
    for line in chunk:
        data.append(line.body.get("data"))
        for user in (line.body.get("includes") or {}).get("users") or []:
            if isinstance(user, dict) and user.get("id") not in seen:
                seen.add(user.get("id"))
                users.append(user)
    ids = [line.post_id for line in chunk if line.post_id is not None]
    meta: dict[str, Any] = {"result_count": len(chunk)}
    if ids:
        meta["newest_id"], meta["oldest_id"] = str(max(ids)), str(min(ids))
    if next_token:
        meta["next_token"] = next_token
    body: dict[str, Any] = {"meta": meta}
    if data:
        body["data"] = data
        body["includes"] = {"users": users}
    return body
