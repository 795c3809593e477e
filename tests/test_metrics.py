from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from monitor import models
from monitor.channels.replay import ReplayChannel
from monitor.metrics import compute_metrics, first_response_times, summarise_minutes, volumes
from monitor.pipeline import process_inbound
from monitor.pipeline.poll import poll_channel
from monitor.pipeline.reply import approve_reply, draft_reply, send_replies
from monitor.sinks.console import ConsoleSink
from tests.factories import BASE_TIME, replay_channel_row, write_replay, x_line


def frame(rows, columns):
    result = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column.endswith("_at"):
            result[column] = pd.to_datetime(result[column], utc=True)
    return result


def test_first_response_time_runs_to_the_first_sent_reply():
    cases = frame([(1, "complaint", "roads", "x", "2026-11-01T08:00Z"),
                   (2, "inquiry", "roads", "x", "2026-11-01T09:00Z"),
                   (3, "complaint", "sewerage", "x", "2026-11-01T10:00Z")],
                  ["case_id", "category", "unit", "channel", "first_post_at"])
    replies = frame([(1, "2026-11-01T08:30Z"), (1, "2026-11-01T08:10Z"), (2, "2026-11-01T11:00Z")],
                    ["case_id", "sent_at"])
    times = first_response_times(cases, replies)
    assert times.set_index("case_id")["minutes"].to_dict() == {1: 10.0, 2: 120.0}
    summary = summarise_minutes(times).iloc[0]
    assert (summary["cases"], summary["median"]) == (2, 65.0)
    assert summary["p90"] == pytest.approx(109.0)  # linear interpolation between 10 and 120


def test_volumes_count_cases_per_value_and_per_week():
    cases = frame([(1, "complaint", "2026-11-01T08:00Z"), (2, "complaint", "2026-11-08T08:00Z"),
                   (3, "praise", "2026-11-09T08:00Z")], ["case_id", "category", "first_post_at"])
    assert volumes(cases, "category").values.tolist() == [["complaint", 2], ["praise", 1]]
    # weeks start on Sunday, as the ministry's working week does
    assert volumes(cases, "week")["cases"].tolist() == [2, 1]


def test_metrics_from_the_database_count_only_published_replies(session, tmp_path, tiny_tagger, catalogue, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(1, "@WorksMinistry pothole on our street"),
                                                   x_line(2, "@WorksMinistry thank you for the new park")])
    poll_channel(session, replay_channel_row(session, path), ReplayChannel(path), now=now)
    process_inbound(session, tiny_tagger, catalogue, review_threshold=0.5, now=now)
    first, second = session.scalars(select(models.Case).order_by(models.Case.first_post_at)).all()
    sent_at = BASE_TIME + timedelta(minutes=46)
    reply = draft_reply(session, first, "on it", author=None, now=sent_at)
    approve_reply(session, reply, approver=None, now=sent_at)
    draft_reply(session, second, "thanks", author=None, now=sent_at)  # never approved, never sent
    session.commit()
    send_replies(session, ConsoleSink(tmp_path / "out.jsonl"), now=sent_at)
    result = compute_metrics(session)
    overall = result["first_response"].iloc[0]
    assert (overall["cases"], overall["median"]) == (1, 45.0)
    assert result["volume_by_channel"].values.tolist() == [["replay-test", 2]]
