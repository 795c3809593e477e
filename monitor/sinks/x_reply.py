"""XReplySink: posts an approved reply on X with ``create_tweet(text, in_reply_to_tweet_id)``.

Before sending it refuses what X would refuse anyway: a reply to a post that
did not mention or quote the ministry's account (self-serve access accepts
only those; "reply on X by hand") and text over 280 weighted characters. The
POST is never retried here: after a timeout or 5xx the pipeline marks the reply
``unknown`` and calls ``find_sent``, which looks among every post the account
made since the post answered for a reply to it with that text.
"""

from __future__ import annotations

import html
import re
from typing import Any

from monitor.channels.x import XApi, XApiError, parse_body
from monitor.channels.x_limits import XFailure
from monitor.sinks.base import ManualReplyRequired, OutboundReply, Receipt, SinkError
from monitor.sinks.x_text import length_problem

BY_HAND = "reply on X by hand"
LEADING_MENTIONS = re.compile(r"^(?:@\w+\s+)+")
TIMELINE_PAGES = 32  # X's user timeline reaches back 3,200 posts, 100 a page


class XReplySink:
    kind = "x"

    def __init__(self, settings: Any, *, api: XApi | None = None):
        self.api = api or XApi(settings, tries=1)
        self._user_id: str | None = None

    def close(self) -> None:
        self.api.close()

    def send(self, reply: OutboundReply) -> Receipt:
        self._check(reply)
        try:
            response = self.api.call("create_tweet", retry=False, text=reply.text,
                                     in_reply_to_tweet_id=reply.in_reply_to_external_id, user_auth=True)
            data = parse_body(response).get("data") or {}
        except XApiError as exc:
            raise _sink_error(exc.failure) from None
        if not data.get("id"):
            raise SinkError("X accepted the reply but named no post id; looking it up")
        return Receipt(platform_id=str(data["id"]))

    def find_sent(self, reply: OutboundReply) -> Receipt | None:
        """The ministry's reply to that post with that text, if X shows one.

        A reply is newer than the post it answers, so the account's posts since that post
        (``since_id``) hold it if it went out: they are read to the end, page by page,
        however many the account posted meanwhile. X serves a timeline's newest 3,200 posts
        at most; reaching that bound without finding it is "cannot tell", never "not sent".
        """
        token: str | None = None
        for _page in range(TIMELINE_PAGES):
            try:
                response = self.api.call("get_users_tweets", id=self._account_id(), max_results=100,
                                         since_id=reply.in_reply_to_external_id, pagination_token=token,
                                         tweet_fields=["referenced_tweets", "created_at"])
                body = parse_body(response)
            except XApiError as exc:
                raise SinkError(f"cannot look up the account's posts: {exc}") from None
            for post in body.get("data") or []:
                if _answers(post, reply):
                    return Receipt(platform_id=str(post["id"]))
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return None
        raise SinkError(f"the account posted more than X shows ({TIMELINE_PAGES * 100} posts) since the post "
                        "answered; check on X by hand whether the reply went out")

    def _check(self, reply: OutboundReply) -> None:
        if not reply.summoned:
            raise ManualReplyRequired(f"{BY_HAND}: the post did not mention or quote the ministry's account, "
                                      "and X accepts API replies only to such posts")
        problem = length_problem(reply.text)
        if problem:
            raise SinkError(problem, permanent=True)

    def _account_id(self) -> str:
        if self._user_id is None:
            try:
                data = parse_body(self.api.call("get_me", user_auth=True)).get("data") or {}
            except XApiError as exc:
                raise SinkError(f"cannot identify the X account: {exc}") from None
            self._user_id = str(data.get("id") or "")
        return self._user_id


def _answers(post: Any, reply: OutboundReply) -> bool:
    if not isinstance(post, dict):
        return False
    replied_to = {ref.get("id") for ref in post.get("referenced_tweets") or [] if ref.get("type") == "replied_to"}
    return reply.in_reply_to_external_id in replied_to and _plain(post.get("text")) == _plain(reply.text)


def _plain(text: Any) -> str:
    """Text as X may echo it: HTML entities escaped, reply mentions prefixed."""
    return LEADING_MENTIONS.sub("", html.unescape(str(text or ""))).strip()


def _sink_error(failure: XFailure) -> SinkError:
    if failure.kind == "forbidden" and "not allowed" in failure.message.lower():
        return ManualReplyRequired(f"{BY_HAND}: X refused the reply (403): the post did not mention or quote "
                                   "the ministry's account")
    permanent = failure.kind in ("auth", "forbidden", "client")
    return SinkError(failure.message, permanent=permanent)
