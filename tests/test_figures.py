"""The figures of a period and the public report, from hand-built logs (Bahrain business hours)."""

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from monitor.event_log import Logs
from monitor.figures import Period, compute_figures
from monitor.report import make_report, report_csv, report_json, suppress
from monitor.settings import REPO_ROOT
from monitor.sla import load_rules

BAHRAIN = ZoneInfo("Asia/Bahrain")
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
NOVEMBER = Period.month("2026-11")


@pytest.fixture(scope="module")
def rules():
    return load_rules(REPO_ROOT / "data", BAHRAIN)


def at(text):
    return pd.Timestamp(text, tz=BAHRAIN).tz_convert("UTC")


def times(values):
    return pd.to_datetime(pd.Series([at(v) if v else None for v in values], dtype=object), utc=True)


def logs(cases, replies=(), events=()):
    """cases: (id, first post, unit); replies: (case, created, approved, sent, state, human); events: (case, at, status)."""
    case_frame = pd.DataFrame([(i, "complaint", "normal", unit, "x", "ar", "in_progress") for i, _, unit in cases],
                              columns=["case_id", "category", "priority", "unit", "channel", "language", "status"])
    case_frame["first_post_at"] = times([first for _, first, _ in cases])
    posts = pd.DataFrame({"case_id": case_frame["case_id"], "posted_at": case_frame["first_post_at"]})
    reply_frame = pd.DataFrame([(c, state, human) for c, _, _, _, state, human in replies],
                               columns=["case_id", "state", "human"]).astype({"human": bool})
    for index, column in ((1, "created_at"), (2, "approved_at"), (3, "sent_at")):
        reply_frame[column] = times([reply[index] for reply in replies])
    event_frame = pd.DataFrame([(c, s, None) for c, _, s in events], columns=["case_id", "status", "waiting_on"],
                               dtype=object).astype({"case_id": "int64"})
    event_frame["created_at"] = times([moment for _, moment, _ in events])
    return Logs(case_frame, posts, reply_frame, event_frame)


def row(frame, measure):
    return frame.set_index("measure").loc[measure]


def test_an_automatic_acknowledgement_is_not_a_first_response_but_the_human_reply_is(rules):
    case_logs = logs([(1, "2026-11-26 13:00", "roads")],
                     replies=[(1, "2026-11-26 13:01", None, "2026-11-26 13:01", "sent", False),
                              (1, "2026-11-26 13:30", "2026-11-26 13:40", "2026-11-26 13:50", "sent", True)])
    figures = compute_figures(case_logs, rules, NOVEMBER, NOW)
    first = row(figures["response_times"], "first_response")
    assert (first["cases"], first["median"], first["business_median"]) == (1, 50.0, 50.0)
    approval = row(figures["response_times"], "approval")
    assert (approval["cases"], approval["median"]) == (1, 10.0)


def test_a_reply_that_failed_to_publish_leaves_the_case_unanswered(rules):
    case_logs = logs([(1, "2026-11-26 13:00", "roads")],
                     replies=[(1, "2026-11-26 13:30", "2026-11-26 13:40", None, "failed", True)])
    figures = compute_figures(case_logs, rules, NOVEMBER, NOW)
    assert row(figures["response_times"], "first_response")["cases"] == 0


def test_a_friday_post_answered_on_sunday_counts_wall_clock_and_business_time(rules):
    case_logs = logs([(1, "2026-11-27 10:00", "roads")],
                     replies=[(1, "2026-11-29 08:00", "2026-11-29 08:00", "2026-11-29 08:00", "sent", True)])
    first = row(compute_figures(case_logs, rules, NOVEMBER, NOW)["response_times"], "first_response")
    assert (first["median"], first["business_median"]) == (46 * 60, 60)


def test_first_and_last_resolution_of_a_reopened_case(rules):
    case_logs = logs([(1, "2026-11-22 08:00", "roads")],
                     events=[(1, "2026-11-22 09:00", "resolved"), (1, "2026-11-23 08:00", "in_progress"),
                             (1, "2026-11-23 10:00", "resolved")])
    figures = compute_figures(case_logs, rules, NOVEMBER, NOW)
    assert row(figures["response_times"], "resolution_first")["business_median"] == 60
    # from the first post, Sunday 08:00-14:00 and Monday 07:00-10:00
    assert row(figures["response_times"], "resolution_last")["business_median"] == 360 + 180


def test_medians_and_p90_come_with_their_number_of_cases(rules):
    cases = [(i, f"2026-11-{i + 1:02d} 08:00", "roads") for i in range(1, 11)]  # 2 to 11 November
    replies = [(i, first, first, str(at(first).tz_convert(BAHRAIN) + pd.Timedelta(minutes=10 * i))[:16], "sent", True)
               for i, first, _ in cases]
    first = row(compute_figures(logs(cases, replies), rules, NOVEMBER, NOW)["response_times"], "first_response")
    assert (first["cases"], first["median"], first["p90"]) == (10, 55.0, 91.0)


def test_an_empty_period_has_every_table_and_no_numbers(rules):
    figures = compute_figures(logs([(1, "2026-10-05 08:00", "roads")]), rules, NOVEMBER, NOW)
    assert row(figures["response_times"], "first_response")["cases"] == 0
    assert figures["volume_by_unit"].empty and figures["backlog_by_age"]["cases"].sum() == 0
    document = json.loads(report_json(make_report(figures, NOVEMBER, NOW)))
    assert document["schema_version"] == "1.0"
    assert document["tables"]["sla_hit_rate"] == [{"all": "all", "hit": 0, "missed": 0, "active": 0, "hit_rate": None}]


def test_a_period_with_one_case_publishes_under_five_and_no_statistics(rules):
    case_logs = logs([(1, "2026-11-26 13:00", "roads")],
                     replies=[(1, "2026-11-26 13:30", "2026-11-26 13:40", "2026-11-26 13:50", "sent", True)])
    report = make_report(compute_figures(case_logs, rules, NOVEMBER, NOW), NOVEMBER, NOW)
    first = row(report.tables["response_times"], "first_response")
    assert (first["cases"], first["median"], first["p90"]) == ("<5", None, None)
    assert report.tables["volume_by_unit"].values.tolist() == [["roads", "<5"]]
    assert "<5" in report_csv(report) and ",50" not in report_csv(report)


def test_suppression_keeps_zero_and_five():
    frame = pd.DataFrame({"unit": ["a", "b", "c"], "cases": [0, 4, 5], "median": [1.0, 2.0, 3.0]})
    assert suppress(frame).values.tolist() == [["a", 0, None], ["b", "<5", None], ["c", 5, 3.0]]


def test_weeks_start_on_sunday_in_bahrain(rules):
    # Sunday 1 November 00:30 in Bahrain is still Saturday 31 October in UTC
    figures = compute_figures(logs([(1, "2026-11-01 00:30", "roads")]), rules, NOVEMBER, NOW)
    assert figures["volume_by_week"]["week"].tolist() == ["2026-11-01/2026-11-07"]
