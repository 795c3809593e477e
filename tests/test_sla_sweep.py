"""The worker's SLA sweep over a real database: warnings and breaches once each, due times stored."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from monitor import models
from monitor.channels.replay import ReplayChannel
from monitor.pipeline import process_inbound
from monitor.pipeline.poll import poll_channel
from monitor.settings import REPO_ROOT
from monitor.sla import load_rules, set_waiting, sweep_slas
from tests.factories import replay_channel_row, write_replay, x_line

# The post is Friday 20 November 2026, 09:01 in Bahrain; the complaint's first response
# (240 business minutes) is due on Sunday 22 November at 11:00 Bahrain time, 08:00 UTC.
BAHRAIN = ZoneInfo("Asia/Bahrain")
DUE = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def one_complaint(session, tmp_path, tiny_tagger, catalogue, now):
    path = write_replay(tmp_path / "posts.jsonl", [x_line(1, "@WorksMinistry pothole on our street")])
    poll_channel(session, replay_channel_row(session, path), ReplayChannel(path), now=now)
    process_inbound(session, tiny_tagger, catalogue, review_threshold=0.5, now=now)
    case = session.scalars(select(models.Case)).one()
    case.category, case.priority, case.unit_id = "complaint", "normal", None
    session.commit()
    return case


def actions(session):
    return session.scalars(select(models.Event.action).where(models.Event.action.like("sla_%"))
                           .order_by(models.Event.id)).all()


def test_the_sweep_warns_once_then_flags_the_breach_once(session, tmp_path, tiny_tagger, catalogue, now):
    rules = load_rules(REPO_ROOT / "data", BAHRAIN)
    case = one_complaint(session, tmp_path, tiny_tagger, catalogue, now)
    sweep = lambda at: sweep_slas(session, rules, warning_minutes=60, now=at)  # noqa: E731
    assert sweep(datetime(2026, 11, 22, 6, 0, tzinfo=UTC)) == 0  # 09:00 local, two hours left
    session.refresh(case)
    assert case.sla_due_at == DUE
    assert sweep(datetime(2026, 11, 22, 7, 30, tzinfo=UTC)) == 1
    assert sweep(datetime(2026, 11, 22, 7, 45, tzinfo=UTC)) == 0
    assert sweep(datetime(2026, 11, 22, 8, 30, tzinfo=UTC)) == 1
    assert sweep(datetime(2026, 11, 22, 9, 0, tzinfo=UTC)) == 0
    assert actions(session) == ["sla_warning", "sla_breached"]


def test_waiting_on_the_citizen_clears_the_due_time_until_the_wait_ends(session, tmp_path, tiny_tagger, catalogue, now):
    rules = load_rules(REPO_ROOT / "data", BAHRAIN)
    case = one_complaint(session, tmp_path, tiny_tagger, catalogue, now)
    version = case.version
    set_waiting(session, case, "citizen", by=None, now=datetime(2026, 11, 22, 5, 0, tzinfo=UTC))  # 08:00 local
    sweep_slas(session, rules, warning_minutes=60, now=datetime(2026, 11, 23, 5, 0, tzinfo=UTC))
    session.refresh(case)
    assert case.sla_due_at is None
    set_waiting(session, case, None, by=None, now=datetime(2026, 11, 23, 5, 0, tzinfo=UTC))  # Monday 08:00
    sweep_slas(session, rules, warning_minutes=60, now=datetime(2026, 11, 23, 5, 0, tzinfo=UTC))
    session.refresh(case)
    # 60 minutes were used on Sunday 07:00-08:00; 180 remain from Monday 08:00
    assert case.sla_due_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert case.version == version + 2  # two waiting changes; the sweep does not bump the version
