"""SLA clocks computed by hand (working hours 07:00-14:00 Sunday-Thursday, Bahrain time).

The default complaint policy: first response 240, next response 240, resolution 2100 business minutes.
"""

from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from monitor.event_log import Logs
from monitor.settings import REPO_ROOT
from monitor.sla import case_states, evaluate_logs, load_rules

BAHRAIN = ZoneInfo("Asia/Bahrain")


@pytest.fixture(scope="module")
def rules():
    return load_rules(REPO_ROOT / "data", BAHRAIN)


def at(text):
    return pd.Timestamp(text, tz=BAHRAIN).tz_convert("UTC")


def logs(first_post, *, posts=(), replies=(), events=(), category="complaint", priority="normal", unit="roads"):
    """One case (id 1): later posts, replies as (sent_at, human, state), events as (at, status, waiting_on)."""
    cases = pd.DataFrame({"case_id": [1], "category": [category], "priority": [priority], "unit": [unit],
                          "channel": ["x"], "language": ["ar"], "status": ["new"], "first_post_at": [at(first_post)]})
    post_frame = pd.DataFrame({"case_id": 1, "posted_at": pd.to_datetime([at(first_post), *map(at, posts)], utc=True)})
    reply_frame = pd.DataFrame([(1, state, at(sent), at(sent), at(sent) if state == "sent" else pd.NaT, human)
                                for sent, human, state in replies],
                               columns=["case_id", "state", "created_at", "approved_at", "sent_at", "human"])
    for column in ("created_at", "approved_at", "sent_at"):
        reply_frame[column] = pd.to_datetime(reply_frame[column], utc=True)
    reply_frame["human"] = reply_frame["human"].astype(bool)
    event_frame = pd.DataFrame([(1, at(moment), status, waiting) for moment, status, waiting in events],
                               columns=["case_id", "created_at", "status", "waiting_on"]).astype(
        {"status": object, "waiting_on": object})
    event_frame["created_at"] = pd.to_datetime(event_frame["created_at"], utc=True)
    return Logs(cases, post_frame, reply_frame, event_frame)


def clocks(case_logs, rules, now):
    evaluated = evaluate_logs(case_logs, rules, at(now).to_pydatetime())
    return {(row.clock, index): row for index, row in enumerate(evaluated.itertuples())}, evaluated


def test_a_reply_50_minutes_after_a_thursday_post_hits_the_first_response_sla(rules):
    found, evaluated = clocks(logs("2026-11-26 13:00", replies=[("2026-11-26 13:50", True, "sent")]),
                              rules, "2026-11-26 14:30")
    first = evaluated[evaluated["clock"] == "first_response"].iloc[0]
    assert (first["state"], first["used"], first["minutes_left"]) == ("hit", 50, 190)


def test_an_unanswered_friday_post_is_due_on_sunday_at_11(rules):
    _, evaluated = clocks(logs("2026-11-27 10:00"), rules, "2026-11-29 08:00")
    first = evaluated[evaluated["clock"] == "first_response"].iloc[0]
    assert (first["state"], first["used"], first["minutes_left"]) == ("active", 60, 180)
    assert first["due_at"] == at("2026-11-29 11:00")


def test_an_automatic_acknowledgement_does_not_stop_the_clock_but_the_human_reply_does(rules):
    case_logs = logs("2026-11-29 08:00", replies=[("2026-11-29 08:01", False, "sent"),
                                                  ("2026-11-29 13:30", True, "sent")])
    _, evaluated = clocks(case_logs, rules, "2026-11-30 08:00")
    first = evaluated[evaluated["clock"] == "first_response"].iloc[0]
    assert (first["state"], first["used"]) == ("missed", 330)  # 08:00 to 13:30, over 240


def test_a_reply_that_failed_to_publish_does_not_stop_the_clock(rules):
    case_logs = logs("2026-11-29 08:00", replies=[("2026-11-29 08:30", True, "failed")])
    _, evaluated = clocks(case_logs, rules, "2026-11-29 10:00")
    first = evaluated[evaluated["clock"] == "first_response"].iloc[0]
    assert (first["state"], first["used"]) == ("active", 120)


def test_reopening_starts_a_new_resolution_clock(rules):
    case_logs = logs("2026-11-22 08:00", events=[("2026-11-22 09:00", "resolved", None),
                                                 ("2026-11-23 08:00", "in_progress", None)])
    _, evaluated = clocks(case_logs, rules, "2026-11-23 10:00")
    resolution = evaluated[evaluated["clock"] == "resolution"]
    assert resolution[["state", "used"]].values.tolist() == [["hit", 60], ["active", 120]]
    # 2100 - 120 = 1980 minutes left: Monday 10:00-14:00 (240), Tue-Thu (3 x 420), Sun (420), Mon 07:00 + 60
    assert resolution.iloc[1]["due_at"] == at("2026-11-30 08:00")


def test_waiting_on_the_citizen_pauses_the_clocks(rules):
    case_logs = logs("2026-11-22 08:00", events=[("2026-11-22 09:00", None, "citizen"),
                                                 ("2026-11-23 09:00", None, "")])
    _, evaluated = clocks(case_logs, rules, "2026-11-23 10:00")
    first = evaluated[evaluated["clock"] == "first_response"].iloc[0]
    # Sunday 08:00-09:00 and Monday 09:00-10:00 count; the wait in between does not
    assert (first["state"], first["used"]) == ("active", 120)
    assert first["due_at"] == at("2026-11-23 12:00")


def test_a_case_held_by_the_national_system_has_no_due_time_while_it_waits(rules):
    case_logs = logs("2026-11-22 08:00", events=[("2026-11-22 09:00", "forwarded", None)])
    _, evaluated = clocks(case_logs, rules, "2026-11-25 10:00")
    resolution = evaluated[evaluated["clock"] == "resolution"].iloc[0]
    assert (resolution["state"], resolution["used"]) == ("active", 60)
    assert pd.isna(resolution["due_at"])


def test_a_later_citizen_message_starts_a_next_response_clock(rules):
    case_logs = logs("2026-11-22 08:00", posts=["2026-11-22 10:00", "2026-11-22 10:30"],
                     replies=[("2026-11-22 09:00", True, "sent"), ("2026-11-22 11:00", True, "sent")])
    _, evaluated = clocks(case_logs, rules, "2026-11-22 12:00")
    later = evaluated[evaluated["clock"] == "next_response"]
    assert later[["state", "used"]].values.tolist() == [["hit", 60]]


def test_resolving_stops_a_running_response_clock(rules):
    case_logs = logs("2026-11-22 08:00", events=[("2026-11-22 08:20", "resolved", None)])
    _, evaluated = clocks(case_logs, rules, "2026-11-25 12:00")
    assert set(evaluated["state"]) == {"hit"}
    assert case_states(evaluated)[["state"]].values.tolist() == [["hit"]]


def test_the_most_specific_policy_applies(rules):
    _, evaluated = clocks(logs("2026-11-22 08:00", priority="urgent"), rules, "2026-11-22 08:30")
    assert evaluated.set_index("clock").loc["first_response", "target"] == 60
    _, evaluated = clocks(logs("2026-11-22 08:00", unit="sewerage"), rules, "2026-11-22 08:30")
    assert evaluated.set_index("clock").loc["first_response", "target"] == 120


def test_a_case_state_is_its_worst_clock(rules):
    case_logs = logs("2026-11-22 08:00", replies=[("2026-11-23 08:00", True, "sent")])
    _, evaluated = clocks(case_logs, rules, "2026-11-23 09:00")
    state = case_states(evaluated).iloc[0]
    assert (state["state"], state["minutes_left"]) == ("missed", -180)  # 420 + 60 used of 240


def test_the_citizen_writing_again_ends_the_wait(rules):
    case_logs = logs("2026-11-22 08:00", posts=["2026-11-23 08:00"],
                     events=[("2026-11-22 09:00", None, "citizen")])
    _, evaluated = clocks(case_logs, rules, "2026-11-23 10:00")
    first = evaluated[evaluated["clock"] == "first_response"].iloc[0]
    # Sunday 08:00-09:00, then from the citizen's post on Monday 08:00 to 10:00
    assert (first["state"], first["used"]) == ("active", 180)


@pytest.mark.parametrize("tag, priority, unit, due", [
    ("complaint", "normal", "roads", "2026-11-29 11:00"),   # 240 business minutes from Sunday 07:00
    ("complaint", "urgent", "roads", "2026-11-29 08:00"),   # the urgent rule: 60
    ("complaint", "normal", "sewerage", "2026-11-29 09:00"),  # the unit's rule: 120
    ("praise", "low", "roads", "2026-11-30 14:00"),          # 840 minutes: two working days of 7 hours
    ("other", "low", None, None),                            # no rule: no SLA
])
def test_a_new_case_is_due_when_the_sweep_will_say(rules, tag, priority, unit, due):
    """Posted on a Friday: every clock starts on Sunday at 07:00."""
    opened = at("2026-11-27 10:00").to_pydatetime()
    found = rules.due_at_opening(opened, tag=tag, priority=priority, unit=unit)
    assert found == (None if due is None else at(due).to_pydatetime())
    if due is not None:  # the same as the sweep's own computation
        _, evaluated = clocks(logs("2026-11-27 10:00", category=tag, priority=priority, unit=unit), rules,
                              "2026-11-27 10:30")
        assert found == min(evaluated["due_at"]).to_pydatetime()


def test_due_times_of_a_batch_are_what_the_sweep_will_say(rules):
    """The queue stage's batch form, held to the sweep case by case (rules without a target included)."""
    moments = ("2026-11-27 10:00", "2026-11-29 06:59", "2026-11-29 13:30", "2026-12-03 23:00")
    kinds = [("complaint", "normal", "roads"), ("complaint", "normal", "sewerage"), ("complaint", "urgent", "sewerage"),
             ("other", "low", None), ("praise", "low", "lighting"), ("inquiry", "normal", None)]
    openings = [(moment, *kind) for moment in moments for kind in kinds]
    found = rules.due_at_opening_each([(at(moment).to_pydatetime(), *kind) for moment, *kind in openings])
    swept = []
    for moment, tag, priority, unit in openings:
        _, evaluated = clocks(logs(moment, category=tag, priority=priority, unit=unit), rules, moment)
        due = evaluated["due_at"].dropna()
        swept.append(min(due).to_pydatetime() if len(due) else None)
    assert found == swept
    assert None in found and len(set(found)) >= 10  # not one answer for all
    assert rules.due_at_opening_each([]) == []


def test_the_services_read_the_sla_files_again_when_they_change(tmp_path):
    import os
    import shutil

    from monitor.services import Services
    from monitor.settings import Settings

    for name in ("sla.yaml", "calendar.yaml"):
        shutil.copy(REPO_ROOT / "data" / name, tmp_path / name)
    services = Services(Settings(home=tmp_path, data_dir=tmp_path))
    first = services.sla_rules
    assert services.sla_rules is first  # unchanged files: not read again
    policies = tmp_path / "sla.yaml"
    policies.write_text(policies.read_text(encoding="utf-8").replace(
        "{tag: praise, first_response: 840}", "{tag: praise, first_response: 60}"), encoding="utf-8")
    os.utime(policies, ns=(0, policies.stat().st_mtime_ns + 1_000_000_000))
    opened = at("2026-11-22 08:00").to_pydatetime()
    assert services.sla_rules.due_at_opening(opened, tag="praise", priority="low", unit=None) == at(
        "2026-11-22 09:00").to_pydatetime()
    services.engine.dispose()
