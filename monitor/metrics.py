"""Metrics: pure DataFrame-to-DataFrame functions over rows read through SQLAlchemy.

No counters are kept anywhere else, so the figures cannot drift from the log.
First response time runs from the post's platform time to the first reply
actually published (state ``sent``). Medians and 90th percentiles always come
with the number of cases they were computed from.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import models
from monitor.calendar import BusinessCalendar
from monitor.sla import next_response_clocks

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


def volumes(cases: pd.DataFrame, by: str, tz: tzinfo | None = None) -> pd.DataFrame:
    """Number of cases per value of ``by`` (category, unit, channel, language, or week in ``tz``; default UTC)."""
    frame = cases.copy()
    if by == "week":
        frame["week"] = week_labels(frame["first_post_at"], tz)
    counts = frame.groupby(by, dropna=False).size().rename("cases").reset_index()
    return counts.sort_values("cases", ascending=False, kind="stable").reset_index(drop=True)


def week_labels(instants: pd.Series, tz: tzinfo | None = None) -> pd.Series:
    """Sunday-to-Saturday local weeks, as "2026-11-01/2026-11-07" (formatted once per week, not per row)."""
    local = instants.dt.tz_convert(tz).dt.tz_localize(None) if tz else instants.dt.tz_convert(None)
    codes, weeks = pd.factorize(local.dt.to_period("W-SAT"))
    return pd.Series(weeks.astype(str).to_numpy()[codes] if len(weeks) else [], index=instants.index, dtype=object)


def compute_metrics(session: Session) -> dict[str, pd.DataFrame]:
    cases, replies = read_cases(session), read_sent_replies(session)
    times = first_response_times(cases, replies)
    result = {f"volume_by_{by}": volumes(cases, by) for by in ("category", "unit", "channel", "language", "week")}
    result["first_response"] = summarise_minutes(times)
    result["first_response_by_unit"] = summarise_minutes(times, "unit")
    return result


# --- Figures for the dashboard and the public report (definitions in docs/metrics.md) ---

AGE_BANDS = [(0, "<1d"), (1, "1-3d"), (3, "3-7d"), (7, "7-30d"), (30, ">30d")]
SUMMARY_COLUMNS = ["cases", "median", "p90", "business_median", "business_p90"]


def durations(frame: pd.DataFrame, start: str, stop: str, calendar: BusinessCalendar) -> pd.DataFrame:
    """Add wall-clock ``minutes`` and ``business_minutes`` from ``start`` to ``stop``; rows without a stop go."""
    done = frame.dropna(subset=[start, stop]).copy()
    done["minutes"] = (done[stop] - done[start]).dt.total_seconds() / 60
    done["business_minutes"] = (calendar.series_seconds(done[stop]) - calendar.series_seconds(done[start])) / 60
    return done


def summarise_durations(times: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """n, median and P90 of wall-clock and business minutes, overall or per group."""
    keys = times[by].fillna("-") if by else pd.Series("all", index=times.index)
    grouped = times.groupby(keys.rename(by or "all"))
    summary = pd.DataFrame({
        "cases": grouped["minutes"].count(), "median": grouped["minutes"].median(),
        "p90": grouped["minutes"].quantile(0.9), "business_median": grouped["business_minutes"].median(),
        "business_p90": grouped["business_minutes"].quantile(0.9),
    })
    if by is None:  # the overall row is there even when nothing was measured
        summary = summary.reindex(pd.Index(["all"], name="all")).fillna({"cases": 0}).astype({"cases": "int64"})
    return summary.round(1).reset_index()


def human_first_responses(cases: pd.DataFrame, replies: pd.DataFrame, calendar: BusinessCalendar) -> pd.DataFrame:
    """Per case: first post to the first human reply published (automatic acknowledgements do not count)."""
    human = replies[replies["human"] & (replies["state"] == "sent")]
    first = human.groupby("case_id")["sent_at"].min()
    return durations(cases.join(first, on="case_id"), "first_post_at", "sent_at", calendar)


def later_reply_times(cases: pd.DataFrame, posts: pd.DataFrame, replies: pd.DataFrame,
                      calendar: BusinessCalendar) -> pd.DataFrame:
    """Per later citizen message (after a human reply): its post to the next human reply published."""
    human = replies.loc[replies["human"] & (replies["state"] == "sent"), ["case_id", "sent_at"]]
    clocks = next_response_clocks(posts[posts["case_id"].isin(cases["case_id"])], human)
    return durations(clocks.merge(cases.drop(columns="first_post_at"), on="case_id"), "start", "stop", calendar)


def approval_latencies(cases: pd.DataFrame, replies: pd.DataFrame, calendar: BusinessCalendar) -> pd.DataFrame:
    """Per approved reply: from its draft to its approval."""
    approved = replies[["case_id", "created_at", "approved_at"]]
    approved = approved.merge(cases.drop(columns="first_post_at"), on="case_id")
    return durations(approved, "created_at", "approved_at", calendar)


def resolution_times(cases: pd.DataFrame, events: pd.DataFrame, calendar: BusinessCalendar, which: str) -> pd.DataFrame:
    """Per resolved case: first post to its ``first`` or ``last`` resolution."""
    resolved = events[events["status"] == "resolved"].groupby("case_id")["created_at"]
    moment = (resolved.min() if which == "first" else resolved.max()).rename("resolved_at")
    return durations(cases.join(moment, on="case_id"), "first_post_at", "resolved_at", calendar)


def sla_hit_rates(cases: pd.DataFrame, states: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Share of cases whose SLA clocks all finished without a miss, of those with every clock settled or missed."""
    frame = cases.merge(states[["case_id", "state"]], on="case_id")
    keys = frame[by].fillna("-") if by else pd.Series("all", index=frame.index)
    counts = pd.crosstab(keys.rename(by or "all"), frame["state"])
    counts = counts.reindex(columns=["hit", "missed", "active"], fill_value=0)
    if by is None:
        counts = counts.reindex(pd.Index(["all"], name="all"), fill_value=0)
    counts["hit_rate"] = (counts["hit"] / (counts["hit"] + counts["missed"])).round(3)
    return counts.reset_index().rename_axis(columns=None)


def backlog_by_age(cases: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Open cases at ``now`` by days since their first post."""
    open_cases = cases[~cases["status"].isin(("resolved", "dismissed")) & (cases["first_post_at"] <= now)]
    days = (pd.Timestamp(now) - open_cases["first_post_at"]).dt.total_seconds() / 86400
    edges = [edge for edge, _ in AGE_BANDS] + [float("inf")]
    bands = pd.cut(days, edges, right=False, labels=[label for _, label in AGE_BANDS])
    counts = bands.value_counts(sort=False).reindex([label for _, label in AGE_BANDS], fill_value=0)
    return counts.rename_axis("age").rename("cases").reset_index()
