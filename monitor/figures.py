"""The figures of one period: the tables behind the dashboard and the public report.

Both call ``compute_figures`` with the same logs, rules, period and ``now``, so they
show the same numbers. The period's cases are those whose first post falls in
``[start, end)``; SLA clocks are read at ``now``, the backlog at ``min(end, now)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd

from monitor import metrics
from monitor.event_log import Logs
from monitor.sla import SlaRules, case_states, evaluate_logs

VOLUMES = ("week", "category", "unit", "channel", "language")
LABELS = ("category", "priority", "unit", "channel", "language", "status")
TIME_MEASURES = ("first_response", "later_replies", "approval", "resolution_first", "resolution_last")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    @classmethod
    def month(cls, text: str) -> Period:
        """``2026-11`` -> November 2026."""
        first = date.fromisoformat(f"{text}-01")
        return cls(first, (first + timedelta(days=32)).replace(day=1))

    def bounds(self, tz) -> tuple[pd.Timestamp, pd.Timestamp]:
        return (pd.Timestamp(datetime.combine(self.start, time(), tz)).tz_convert("UTC"),
                pd.Timestamp(datetime.combine(self.end, time(), tz)).tz_convert("UTC"))


def select_logs(logs: Logs, period: Period, tz, unit: str | None = None) -> Logs:
    """The logs of the cases first posted in the period (and of one unit, when given)."""
    low, high = period.bounds(tz)
    chosen = (logs.cases["first_post_at"] >= low) & (logs.cases["first_post_at"] < high)
    if unit:
        chosen &= logs.cases["unit"] == unit
    cases = logs.cases[chosen].astype({column: "category" for column in LABELS})  # factorised once, grouped often
    ids = cases["case_id"]
    return Logs(cases, logs.posts[logs.posts["case_id"].isin(ids)], logs.replies[logs.replies["case_id"].isin(ids)],
                logs.events[logs.events["case_id"].isin(ids)])


def compute_figures(
    logs: Logs, rules: SlaRules, period: Period, now: datetime, unit: str | None = None
) -> dict[str, pd.DataFrame]:
    chosen = select_logs(logs, period, rules.calendar.tz, unit)
    cases = chosen.cases
    tz = rules.calendar.tz
    figures = {f"volume_by_{by}": metrics.volumes(cases, by, tz) for by in VOLUMES}
    figures["volume_by_week_and_tag"] = _week_by_tag(cases, tz)
    times = _times(chosen, rules)
    figures["response_times"] = pd.concat(
        [metrics.summarise_durations(frame).drop(columns="all").assign(measure=name) for name, frame in times.items()],
        ignore_index=True)[["measure", *metrics.SUMMARY_COLUMNS]]
    figures["first_response_by_unit"] = metrics.summarise_durations(times["first_response"], "unit")
    no_states = pd.DataFrame(columns=["case_id", "state"])
    states = case_states(evaluate_logs(chosen, rules, now)) if len(cases) else no_states
    figures["sla_hit_rate"] = metrics.sla_hit_rates(cases, states)
    figures["sla_hit_rate_by_unit"] = metrics.sla_hit_rates(cases, states, "unit")
    high = min(period.bounds(rules.calendar.tz)[1], pd.Timestamp(now))
    figures["backlog_by_age"] = metrics.backlog_by_age(cases, high)
    return figures


def _times(logs: Logs, rules: SlaRules) -> dict[str, pd.DataFrame]:
    calendar, cases = rules.calendar, logs.cases
    return {
        "first_response": metrics.human_first_responses(cases, logs.replies, calendar),
        "later_replies": metrics.later_reply_times(cases, logs.posts, logs.replies, calendar),
        "approval": metrics.approval_latencies(cases, logs.replies, calendar),
        "resolution_first": metrics.resolution_times(cases, logs.events, calendar, "first"),
        "resolution_last": metrics.resolution_times(cases, logs.events, calendar, "last"),
    }


def _week_by_tag(cases: pd.DataFrame, tz) -> pd.DataFrame:
    weeks = metrics.week_labels(cases["first_post_at"], tz)
    table = pd.crosstab(weeks.rename("week"), cases["category"].rename("tag"))
    return table.reset_index().rename_axis(columns=None)
