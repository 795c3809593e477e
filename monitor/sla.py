"""SLA clocks: pure functions from the case, post, reply and event logs to clock states.

Three kinds of clock, each measured in business minutes (``monitor.calendar``):

- ``first_response``: from the case's first post to the first human reply published;
- ``next_response``: from a citizen's post that follows a human reply to the next human reply;
- ``resolution``: from the first post (or a reopening) to the case's resolution or dismissal.

Every clock pauses while the case waits on the citizen (``waiting_on = "citizen"``) or on the
national complaints system (status ``forwarded``), and closing a case stops every clock.
A clock is ``hit`` when it stopped within its target, ``missed`` once it is over, else ``active``.
Targets come from ``data/sla.yaml``; the most specific rule (unit, tag, priority) applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import yaml
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from monitor import models
from monitor.calendar import BusinessCalendar, load_calendar
from monitor.case_actions import record
from monitor.errors import ConfigError
from monitor.event_log import OPEN_CASES, Logs, read_logs

KINDS = ("first_response", "next_response", "resolution")
CLOSED = ("resolved", "dismissed")
CLOCK_COLUMNS = ["case_id", "clock", "start", "stop"]
TIME = "datetime64[us, UTC]"


@dataclass(frozen=True)
class Policy:
    """Targets in business minutes for the cases matching every key that is set."""

    targets: dict[str, float]
    tag: str | None = None
    priority: str | None = None
    unit: str | None = None

    @property
    def specificity(self) -> int:
        return sum(key is not None for key in (self.tag, self.priority, self.unit))


def load_policies(path: Path) -> list[Policy]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))["policies"]
        return [Policy(targets={kind: float(rule[kind]) for kind in KINDS if kind in rule},
                       tag=rule.get("tag"), priority=rule.get("priority"), unit=rule.get("unit")) for rule in raw]
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the SLA policies {path}: {exc}") from exc


def apply_policies(cases: pd.DataFrame, policies: list[Policy]) -> pd.DataFrame:
    """Target minutes per case and clock kind (NaN: no SLA), from the most specific matching rule."""
    targets = pd.DataFrame(np.nan, index=cases.index, columns=list(KINDS))
    chosen = pd.Series(False, index=cases.index)
    for policy in sorted(policies, key=lambda rule: -rule.specificity):
        match = ~chosen
        for key, column in (("tag", "category"), ("priority", "priority"), ("unit", "unit")):
            if getattr(policy, key) is not None:
                match &= cases[column] == getattr(policy, key)
        for kind, minutes in policy.targets.items():
            targets.loc[match, kind] = minutes
        chosen |= match
    return targets.assign(case_id=cases["case_id"])


def status_intervals(events: pd.DataFrame, flag: str) -> pd.DataFrame:
    """Intervals (case_id, start, end) during which ``flag`` ("paused" or "closed") held; end NaT = still."""
    timeline = _timeline(events)
    held = timeline[flag]
    before = held.groupby(timeline["case_id"]).shift(fill_value=False).astype(bool)
    changes = timeline.loc[held != before, ["case_id", "created_at"]].assign(on=held[held != before])
    changes["n"] = changes.groupby(["case_id", "on"]).cumcount()
    starts, ends = changes[changes["on"]], changes[~changes["on"]]
    merged = starts.merge(ends, on=["case_id", "n"], how="left", suffixes=("", "_end"))
    return merged.rename(columns={"created_at": "start", "created_at_end": "end"})[["case_id", "start", "end"]]


def build_clocks(cases: pd.DataFrame, posts: pd.DataFrame, replies: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Every clock of every case: case_id, clock kind, start and stop (NaT while running)."""
    human = replies.loc[replies["human"] & (replies["state"] == "sent"), ["case_id", "sent_at"]].dropna()
    closings = status_intervals(events, "closed")
    kinds = [_first_response(cases, human), next_response_clocks(posts, human), _resolution(cases, closings)]
    clocks = pd.concat(kinds, ignore_index=True)
    return _stop_at_closing(clocks, closings)


def evaluate_clocks(
    clocks: pd.DataFrame, targets: pd.DataFrame, pauses: pd.DataFrame, calendar: BusinessCalendar, now: datetime
) -> pd.DataFrame:
    """Add target, used (business minutes net of pauses), state, minutes_left (negative: over), due_at."""
    long_targets = targets.melt("case_id", var_name="clock", value_name="target").dropna()
    frame = clocks.merge(long_targets, on=["case_id", "clock"])
    frame = frame.reset_index(drop=True)
    end = frame["stop"].fillna(pd.Timestamp(now))
    start_reading = calendar.series_seconds(frame["start"])
    paused, paused_now = _paused_seconds(frame, end, pauses, calendar)
    used = np.clip(calendar.series_seconds(end) - start_reading - paused, 0, None) / 60
    frame["used"] = used
    frame["minutes_left"] = frame["target"] - used
    frame["state"] = np.where(used > frame["target"], "missed", np.where(frame["stop"].notna(), "hit", "active"))
    due = calendar.clock_inverse(start_reading + paused + frame["target"].to_numpy() * 60) if len(frame) else []
    frame["due_at"] = pd.to_datetime(pd.Series(due, dtype=float), unit="s", utc=True).where(~paused_now)
    return frame


def case_states(evaluated: pd.DataFrame) -> pd.DataFrame:
    """One row per case with an SLA: missed if any clock missed, active if any runs, else hit."""
    rank = evaluated["state"].map({"hit": 0, "active": 1, "missed": 2})
    worst = rank == rank.groupby(evaluated["case_id"]).transform("max")
    per_case = evaluated[worst].groupby("case_id").agg(state=("state", "first"), minutes_left=("minutes_left", "min"))
    due = evaluated[evaluated["state"] == "active"].groupby("case_id")["due_at"].min()
    return per_case.join(due).reset_index()


def _timeline(events: pd.DataFrame) -> pd.DataFrame:
    timeline = events.sort_values(["case_id", "created_at"], kind="stable").reset_index(drop=True)
    by_case = timeline.groupby("case_id")
    status = by_case["status"].ffill().fillna("new")
    waiting = by_case["waiting_on"].ffill().fillna("")
    timeline["closed"] = status.isin(CLOSED).to_numpy()
    timeline["paused"] = ((status == "forwarded") | (waiting == "citizen")).to_numpy()
    return timeline


def _first_response(cases: pd.DataFrame, human: pd.DataFrame) -> pd.DataFrame:
    first = human.groupby("case_id")["sent_at"].min().rename("stop")
    frame = cases[["case_id", "first_post_at"]].rename(columns={"first_post_at": "start"})
    return frame.join(first, on="case_id").assign(clock="first_response")[CLOCK_COLUMNS]


def next_response_clocks(posts: pd.DataFrame, human: pd.DataFrame) -> pd.DataFrame:
    """Citizen posts after a human reply; those between the same two replies share one clock."""
    ordered = _utc(human, "sent_at").sort_values("sent_at")
    posts = _utc(posts[posts["case_id"].isin(human["case_id"])], "posted_at").sort_values("posted_at")
    later = pd.merge_asof(posts, ordered.rename(columns={"sent_at": "after"}),
                          left_on="posted_at", right_on="after", by="case_id", direction="backward",
                          allow_exact_matches=False).dropna(subset=["after"])
    later = pd.merge_asof(later, ordered.rename(columns={"sent_at": "stop"}), left_on="posted_at",
                          right_on="stop", by="case_id", direction="forward")
    clocks = later.groupby(["case_id", "after"], as_index=False).agg(start=("posted_at", "min"), stop=("stop", "min"))
    return clocks.assign(clock="next_response")[CLOCK_COLUMNS]


def _resolution(cases: pd.DataFrame, closings: pd.DataFrame) -> pd.DataFrame:
    """One clock per open stretch: from the first post or a reopening to the next closing."""
    first = cases[["case_id", "first_post_at"]].rename(columns={"first_post_at": "start"})
    reopened = closings.dropna(subset=["end"])[["case_id", "end"]].rename(columns={"end": "start"})
    stretches = pd.concat([first, reopened]).sort_values(["case_id", "start"], kind="stable")
    stretches["n"] = stretches.groupby("case_id").cumcount()
    stops = closings.assign(n=closings.groupby("case_id").cumcount())[["case_id", "n", "start"]]
    merged = stretches.merge(stops.rename(columns={"start": "stop"}), on=["case_id", "n"], how="left")
    return merged.assign(clock="resolution")[CLOCK_COLUMNS]


def _stop_at_closing(clocks: pd.DataFrame, closings: pd.DataFrame) -> pd.DataFrame:
    """A response clock still running when its case closes stops at the closing."""
    closed = _utc(closings[["case_id", "start"]].rename(columns={"start": "closed"}), "closed")
    touched = clocks[clocks["case_id"].isin(closed["case_id"])]  # only cases that ever closed
    nearest = pd.merge_asof(_utc(touched.reset_index(), "start").sort_values("start"), closed.sort_values("closed"),
                            left_on="start", right_on="closed", by="case_id", direction="forward")
    closing = nearest.set_index("index")["closed"].reindex(clocks.index)
    clocks = clocks.copy()
    clocks["stop"] = clocks["stop"].where(clocks["stop"].notna() & ~(clocks["stop"] > closing), closing)
    return clocks


def _utc(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """One key type for merge_asof (pandas keeps each input's time unit; empty frames hold objects)."""
    return frame.assign(**{column: pd.to_datetime(frame[column], utc=True).astype(TIME)},
                        case_id=frame["case_id"].astype("int64"))


def _paused_seconds(
    frame: pd.DataFrame, end: pd.Series, pauses: pd.DataFrame, calendar: BusinessCalendar
) -> tuple[np.ndarray, np.ndarray]:
    """Business seconds each clock spent paused before its end, and whether it is paused at its end."""
    if pauses.empty or frame.empty:
        return np.zeros(len(frame)), np.zeros(len(frame), dtype=bool)
    pairs = frame[["case_id", "start"]].assign(end=end, row=np.arange(len(frame))).merge(
        pauses.rename(columns={"start": "p_start", "end": "p_end"}), on="case_id")
    p_end = pairs["p_end"].fillna(pairs["end"])
    low = np.maximum(calendar.series_seconds(pairs["p_start"]), calendar.series_seconds(pairs["start"]))
    high = np.minimum(calendar.series_seconds(p_end), calendar.series_seconds(pairs["end"]))
    overlap = pd.Series(np.clip(high - low, 0, None)).groupby(pairs["row"].to_numpy()).sum()
    ongoing = pairs["p_end"].isna() & (pairs["p_start"] <= pairs["end"]) & frame["stop"].isna().to_numpy()[pairs["row"]]
    paused_now = np.zeros(len(frame), dtype=bool)
    paused_now[pairs.loc[ongoing.to_numpy(), "row"].to_numpy()] = True
    return overlap.reindex(range(len(frame)), fill_value=0).to_numpy(), paused_now


@dataclass(frozen=True)
class SlaRules:
    """The business calendar and the policies, loaded together from the data folder."""

    calendar: BusinessCalendar
    policies: list[Policy]
    # Targets by (tag, priority, unit), filled as cases open; the rules are replaced, not edited.
    _minutes: dict[tuple[str, str, str | None], float | None] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def due_at_opening(self, start: datetime, *, tag: str, priority: str, unit: str | None) -> datetime | None:
        """A new case's earliest due time, as the sweep will compute it: its first-response and
        resolution clocks both start at its first post, and the earlier one is due first.

        Plain Python and numpy, not the sweep's pandas (4 ms a call); a test holds the two to
        the same answer.
        """
        return self.due_at_opening_each([Opening(start, tag, priority, unit)])[0]

    def due_at_opening_each(self, openings: Sequence[Opening]) -> list[datetime | None]:
        """`due_at_opening` of each new case, in one pass over the calendar (the queue stage's
        batch: 3 µs a case, against 20 µs one at a time)."""
        minutes = [self._opening_minutes(tag, priority, unit) for _, tag, priority, unit in openings]
        timed = [i for i, wanted in enumerate(minutes) if wanted is not None]
        due: list[datetime | None] = [None] * len(openings)
        instants = self.calendar.add_business_minutes_each([openings[i][0] for i in timed],
                                                           [minutes[i] for i in timed])
        for i, instant in zip(timed, instants, strict=True):
            due[i] = instant
        return due

    def _opening_minutes(self, tag: str, priority: str, unit: str | None) -> float | None:
        """The earlier of the first-response and resolution targets of the policy `apply_policies` picks."""
        key = (tag, priority, unit)
        if key not in self._minutes:
            self._minutes[key] = _opening_minutes(self.policies, tag, priority, unit)
        return self._minutes[key]


class Opening(NamedTuple):
    """What a new case's due time depends on (a plain tuple of these will do)."""

    start: datetime
    tag: str
    priority: str
    unit: str | None


def _opening_minutes(policies: list[Policy], tag: str, priority: str, unit: str | None) -> float | None:
    case = {"tag": tag, "priority": priority, "unit": unit}
    for policy in sorted(policies, key=lambda rule: -rule.specificity):  # stable: the first of equals wins
        if all(getattr(policy, key) in (None, value) for key, value in case.items()):
            minutes = [policy.targets[kind] for kind in ("first_response", "resolution") if kind in policy.targets]
            return min(minutes) if minutes else None
    return None


def load_rules(data_dir: Path, tz: ZoneInfo) -> SlaRules:
    return SlaRules(load_calendar(data_dir / "calendar.yaml", tz), load_policies(data_dir / "sla.yaml"))


def evaluate_logs(logs: Logs, rules: SlaRules, now: datetime) -> pd.DataFrame:
    """Every SLA clock of the logged cases, evaluated at ``now``."""
    clocks = build_clocks(logs.cases, logs.posts, logs.replies, logs.events)
    targets = apply_policies(logs.cases, rules.policies)
    pauses = status_intervals(with_citizen_answers(logs.events, logs.posts), "paused")
    return evaluate_clocks(clocks, targets, pauses, rules.calendar, now)


def with_citizen_answers(events: pd.DataFrame, posts: pd.DataFrame) -> pd.DataFrame:
    """A citizen's post ends a wait on the citizen: add it as a change of ``waiting_on`` to ""."""
    waited = events.loc[events["waiting_on"] == "citizen", "case_id"].unique()
    answers = posts[posts["case_id"].isin(waited)].rename(columns={"posted_at": "created_at"})
    if answers.empty:
        return events
    answers = answers.assign(status=None, waiting_on="").astype({"status": object, "waiting_on": object})
    return pd.concat([events, answers[events.columns]], ignore_index=True)


def sweep_slas(session: Session, rules: SlaRules, *, warning_minutes: int, now: datetime) -> int:
    """Warn before and flag after each open case's due times (once per clock); refresh ``sla_due_at``."""
    evaluated = evaluate_logs(read_logs(session, OPEN_CASES), rules, now)
    alerts = _due_alerts(evaluated, warning_minutes)
    known = _known_alerts(session)
    fresh = [alert for alert in alerts
             if (alert["case_id"], alert["action"], alert["clock"], alert["start"]) not in known]
    for alert in fresh:
        session.add(models.Event(case_id=alert["case_id"], action=alert["action"], created_at=now,
                                 after={"clock": alert["clock"], "start": alert["start"], "due_at": alert["due_at"]}))
    _store_due(session, case_states(evaluated))
    session.commit()
    return len(fresh)


def _due_alerts(evaluated: pd.DataFrame, warning_minutes: int) -> list[dict]:
    warn = (evaluated["state"] == "active") & (evaluated["minutes_left"] <= warning_minutes)
    breached = evaluated["state"] == "missed"
    chosen = evaluated[warn | breached]
    chosen = chosen.assign(action=np.where(breached[warn | breached], "sla_breached", "sla_warning"))
    return [
        {"case_id": int(row.case_id), "action": row.action, "clock": row.clock, "start": row.start.isoformat(),
         "due_at": None if pd.isna(row.due_at) else row.due_at.isoformat()}
        for row in chosen.itertuples()
    ]


def _known_alerts(session: Session) -> set[tuple[int, str, str, str]]:
    rows = session.execute(select(models.Event.case_id, models.Event.action, models.Event.after).where(
        models.Event.action.in_(("sla_warning", "sla_breached")), models.Event.case_id.in_(OPEN_CASES)))
    return {(case_id, action, after["clock"], after["start"]) for case_id, action, after in rows}


def _store_due(session: Session, states: pd.DataFrame) -> None:
    """The earliest running due time, denormalised for the queue's sort (no version bump)."""
    current = dict(session.execute(
        select(models.Case.id, models.Case.sla_due_at).where(models.Case.id.in_(OPEN_CASES))).all())
    due = {int(row.case_id): None if pd.isna(row.due_at) else row.due_at.to_pydatetime() for row in states.itertuples()}
    changes = [{"case": case_id, "due": due.get(case_id)}
               for case_id, old in current.items() if due.get(case_id) != old]
    if changes:
        table = models.Case.__table__
        statement = update(table).where(table.c.id == bindparam("case")).values(sla_due_at=bindparam("due"))
        session.execute(statement, changes)


def set_waiting(session: Session, case: models.Case, waiting_on: str | None, *, by: models.User | None,
                now: datetime) -> None:
    """Mark the case as waiting on the citizen (clocks pause) or not waiting any more."""
    before = {"waiting_on": case.waiting_on}
    case.waiting_on = waiting_on
    record(session, case, "waiting_changed", by, now, before=before, after={"waiting_on": waiting_on or ""})
    session.commit()
