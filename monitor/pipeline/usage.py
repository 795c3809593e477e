"""Usage: posts read per channel per day, and the optional monthly budget that pauses polling.

Platforms such as X bill reads per post; the poll stage counts what each page
carried, and a channel whose config holds ``monthly_budget`` stops polling
until the next month (UTC) once that many posts were read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor import models


def record_usage(session: Session, channel_id: int, day: date, posts_read: int) -> None:
    """Add ``posts_read`` to the channel's count for ``day`` (safe under concurrent pollers)."""
    if posts_read <= 0:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = models.ChannelUsage.__table__
    statement = dialect.insert(table).values(channel_id=channel_id, day=day, posts_read=posts_read)
    session.execute(statement.on_conflict_do_update(
        index_elements=["channel_id", "day"], set_={"posts_read": table.c.posts_read + posts_read}))


def posts_read(session: Session, channel_id: int, since: date, until: date) -> int:
    """Posts read from the channel from ``since`` to ``until``, both included."""
    total = session.scalar(select(func.coalesce(func.sum(models.ChannelUsage.posts_read), 0)).where(
        models.ChannelUsage.channel_id == channel_id, models.ChannelUsage.day >= since,
        models.ChannelUsage.day <= until))
    return int(total or 0)


def month_usage(session: Session, channel_id: int, now: datetime) -> int:
    today = now.astimezone(UTC).date()
    return posts_read(session, channel_id, today.replace(day=1), today)


def start_of_next_month(now: datetime) -> datetime:
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


def pause_for_budget(session: Session, row: models.Channel, now: datetime) -> bool:
    """Pause the channel until next month if its monthly budget is spent; return whether it was."""
    budget = row.config.get("monthly_budget")
    if budget is None or month_usage(session, row.id, now) < int(budget):
        return False
    row.paused_until = start_of_next_month(now)
    row.notice = (f"monthly budget of {int(budget)} posts read is spent; "
                  f"polling resumes on {row.paused_until:%Y-%m-%d} (UTC)")
    session.commit()
    return True
