"""SQLAlchemy 2.0 typed models. The schema itself comes only from Alembic migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, TypeDecorator, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python, naive UTC in the database (SQLite keeps no offset)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# A case's status: open ones are the queue's work; closed ones are history, and reopening is an action.
OPEN_STATUSES = ("new", "triaged", "in_progress", "replied", "escalated", "forwarded")
CLOSED_STATUSES = ("resolved", "dismissed")
# The predicate of the open-case indexes. Queries that filter on it with the same values written out
# (monitor.web.queue.is_open) can use them: SQLite matches a partial index's predicate to constants only.
OPEN_CASE = text("status IN ({})".format(", ".join(f"'{status}'" for status in OPEN_STATUSES)))


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Unit(Base):
    """A ministry unit that owns cases (roads, sewerage, ...), synced from data/units.yaml."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_ar: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(2), default="ar", server_default="ar")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class Channel(Base):
    """A configured source of posts and its checkpoint."""

    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    poll_interval_seconds: Mapped[int] = mapped_column(default=60)
    checkpoint: Mapped[str | None] = mapped_column(String(100))
    last_polled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    paused_until: Mapped[datetime | None]
    notice: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelUsage(Base):
    """Posts read from a channel on one UTC day: the basis of pay-per-use billing."""

    __tablename__ = "channel_usage"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    day: Mapped[date]
    posts_read: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("channel_id", "day", name="uq_channel_usage_day"),)


class RawPage(Base):
    """A page exactly as a channel returned it, with provenance; ingest maps it to posts."""

    __tablename__ = "raw_pages"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    request: Mapped[dict[str, Any]]
    payload: Mapped[str] = mapped_column(Text)
    adapter_version: Mapped[str] = mapped_column(String(40))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    ingested_at: Mapped[datetime | None]
    ingest_errors: Mapped[list[Any] | None]

    __table_args__ = (Index("ix_raw_pages_pending", "ingested_at", "id"),)


class Case(Base):
    """A queue item: the posts of one conversation on one channel."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    conversation_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="new")
    category: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float]
    needs_review: Mapped[bool] = mapped_column(default=False)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    language: Mapped[str] = mapped_column(String(8))
    sla_due_at: Mapped[datetime | None]
    # "citizen" while the team waits on the citizen: the SLA clocks pause (see monitor/sla.py)
    waiting_on: Mapped[str | None] = mapped_column(String(20))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_post_at: Mapped[datetime]
    last_post_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    # bumped by every ORM update: a form built on an older version is stale
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    channel: Mapped[Channel] = relationship(lazy="joined")
    posts: Mapped[list[Post]] = relationship(back_populates="case", order_by="Post.posted_at")

    __table_args__ = (
        Index("ix_cases_conversation", "channel_id", "conversation_id"),
        Index("ix_cases_queue", "status", "opened_at"),
        Index("ix_cases_first_post", "first_post_at", "id"),
        Index("ix_cases_due", "sla_due_at", "id"),
        Index("ix_cases_status_category", "status", "category"),
        # The open queue in either order, without walking the closed history first: with most
        # cases closed, the newest-first and due-first scans otherwise pass every closed case
        # on the way to the open ones (27 ms at 100,000 cases, growing with the history).
        Index("ix_cases_open_first_post", "first_post_at", "id", postgresql_where=OPEN_CASE, sqlite_where=OPEN_CASE),
        Index("ix_cases_open_due", "sla_due_at", "id", postgresql_where=OPEN_CASE, sqlite_where=OPEN_CASE),
    )
    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        return f"C-{self.id:06d}"


class Post(Base):
    """One platform post, unique by channel and platform id."""

    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    external_id: Mapped[str] = mapped_column(String(100))
    conversation_id: Mapped[str] = mapped_column(String(100))
    in_reply_to_id: Mapped[str | None] = mapped_column(String(100))
    author_id: Mapped[str | None] = mapped_column(String(100))
    author_handle: Mapped[str | None] = mapped_column(String(100))
    author_name: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    # the platform id of the latest edit whose text this row holds
    edit_id: Mapped[str | None] = mapped_column(String(100))
    # the text normalised as the classifier sees it, so search matches spelling variants
    search_text: Mapped[str | None] = mapped_column(Text)
    platform_lang: Mapped[str | None] = mapped_column(String(8))
    language: Mapped[str | None] = mapped_column(String(8))
    mentions_account: Mapped[bool] = mapped_column(default=False)
    posted_at: Mapped[datetime]
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    raw_page_id: Mapped[int | None] = mapped_column(ForeignKey("raw_pages.id"))
    stage: Mapped[str] = mapped_column(String(12), default="new")
    category: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[float | None]
    category_source: Mapped[str | None] = mapped_column(String(10))
    model_version: Mapped[str | None] = mapped_column(String(80))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    priority: Mapped[str | None] = mapped_column(String(10))
    route_rule: Mapped[str | None] = mapped_column(String(120))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))

    case: Mapped[Case | None] = relationship(back_populates="posts")

    __table_args__ = (
        UniqueConstraint("channel_id", "external_id", name="uq_posts_channel_external"),
        Index("ix_posts_stage", "stage", "id"),
        Index("ix_posts_case", "case_id", "posted_at"),
    )


class Reply(Base):
    """An outbound reply: an outbox row written before the sink is called."""

    __tablename__ = "replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    in_reply_to_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="draft")
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sink: Mapped[str | None] = mapped_column(String(20))
    platform_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]
    # when a sender last claimed it (sending/checking): a claim much older than that was left by a crash
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_replies_state", "state", "id"),)


class Forward(Base):
    """A case forwarded to the national complaints system: an outbox row written before the call.

    state: pending -> sending -> sent (external id or token) / failed (permanent reason) /
    unknown (the call may have reached the server: look it up before any retry).
    """

    __tablename__ = "forwards"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    service_code: Mapped[str | None] = mapped_column(String(80))
    external_id: Mapped[str | None] = mapped_column(String(100))
    token: Mapped[str | None] = mapped_column(String(100))
    external_status: Mapped[str | None] = mapped_column(String(40))
    status_notes: Mapped[str | None] = mapped_column(Text)
    agency_responsible: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_forwards_state", "state", "next_attempt_at"),
        Index("ix_forwards_case", "case_id", "created_at"),
    )


class Event(Base):
    """The audit log: every change of a case or post, who, when, before and after."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_events_case", "case_id", "created_at"),
        Index("ix_events_action", "action", "created_at"),
    )


class LabeledExample(Base):
    """A reviewer's correction of a post's tag or unit: training data for the next model."""

    __tablename__ = "labeled_examples"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(20))
    unit_slug: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(40), default="correction")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_labeled_examples_created", "created_at"),)


class LoginFailure(Base):
    """A failed sign-in; recent ones throttle further attempts for that user name."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    remote: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_login_failures_user", "username", "created_at"),)


class ApiToken(Base):
    """A per-user token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SavedView(Base):
    """A user's named set of queue filters."""

    __tablename__ = "saved_views"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),)


class CaseView(Base):
    """Who had a case open, and when they last did: shown to others as presence."""

    __tablename__ = "case_views"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    seen_at: Mapped[datetime]


class WorkerLease(Base):
    """Which worker process is the leader (runs the jobs), and its last heartbeat."""

    __tablename__ = "worker_lease"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    acquired_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]


class JobRun(Base):
    """The last run and outcome of each scheduled job (our own table, not pickled job state)."""

    __tablename__ = "job_runs"
    job_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(String(10))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_duration_seconds: Mapped[float | None]
    runs: Mapped[int] = mapped_column(default=0, server_default="0")
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
