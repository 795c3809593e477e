"""Metrics: pure DataFrame-to-DataFrame functions over rows read through SQLAlchemy.

No counters are kept anywhere else, so the figures cannot drift from the log.
First response time runs from the post's platform time to the first reply
actually published (state ``sent``). Medians and 90th percentiles always come
with the number of cases they were computed from.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import models

CASE_COLUMNS = ["case_id", "category", "unit", "channel", "language", "status", "first_post_at"]


def read_cases(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(
            models.Case.id, models.Case.category, models.Unit.slug, models.Channel.name,
            models.Case.language, models.Case.status, models.Case.first_post_at,
        )
        .join(models.Unit, models.Unit.id == models.Case.unit_id, isouter=True)
        .join(models.Channel, models.Channel.id == models.Case.channel_id)
    ).all()
    frame = pd.DataFrame(rows, columns=CASE_COLUMNS)
    frame["first_post_at"] = pd.to_datetime(frame["first_post_at"], utc=True)
    return frame


def read_sent_replies(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(models.Reply.case_id, models.Reply.sent_at).where(models.Reply.state == "sent")
    ).all()
    frame = pd.DataFrame(rows, columns=["case_id", "sent_at"])
    frame["sent_at"] = pd.to_datetime(frame["sent_at"], utc=True)
    return frame


def first_response_times(cases: pd.DataFrame, replies: pd.DataFrame) -> pd.DataFrame:
    """One row per answered case: minutes from its first post to its first sent reply."""
    first_sent = replies.groupby("case_id", as_index=False)["sent_at"].min()
    answered = cases.merge(first_sent, on="case_id", how="inner")
    answered["minutes"] = (answered["sent_at"] - answered["first_post_at"]).dt.total_seconds() / 60
    return answered[["case_id", "category", "unit", "channel", "minutes"]]


def summarise_minutes(times: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Median and 90th percentile of ``minutes`` with the number of cases, overall or per group."""
    grouped = times.groupby(by)["minutes"] if by else times.assign(all="all").groupby("all")["minutes"]
    summary = grouped.agg(cases="count", median="median", p90=lambda s: s.quantile(0.9))
    return summary.reset_index()


def volumes(cases: pd.DataFrame, by: str) -> pd.DataFrame:
    """Number of cases per value of ``by`` (category, unit, channel, language, or week)."""
    frame = cases.copy()
    if by == "week":
        frame["week"] = frame["first_post_at"].dt.tz_convert(None).dt.to_period("W-SAT").astype(str)
    counts = frame.groupby(by, dropna=False).size().rename("cases").reset_index()
    return counts.sort_values("cases", ascending=False, kind="stable").reset_index(drop=True)


def compute_metrics(session: Session) -> dict[str, pd.DataFrame]:
    cases, replies = read_cases(session), read_sent_replies(session)
    times = first_response_times(cases, replies)
    result = {f"volume_by_{by}": volumes(cases, by) for by in ("category", "unit", "channel", "language", "week")}
    result["first_response"] = summarise_minutes(times)
    result["first_response_by_unit"] = summarise_minutes(times, "unit")
    return result
