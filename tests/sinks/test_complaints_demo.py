"""The demo complaints system `monitor run` starts when asked to and no real one is set."""

from datetime import UTC, datetime, timedelta

from monitor.complaints_demo import DemoComplaints, start_demo
from monitor.pipeline.forward import forward_complaints, request_forward
from monitor.pipeline.forward_sync import sync_forwarded
from monitor.settings import Settings
from monitor.sinks.complaints import ComplaintsSink, load_service_codes
from tests.conftest import DATA


def test_the_demo_starts_only_when_asked_and_no_real_system_is_set(tmp_path):
    off = Settings(home=tmp_path)
    assert start_demo(off) == (off, {})
    real = Settings(home=tmp_path, complaints_demo=True, complaints_url="https://complaints.example.gov/open311/")
    assert start_demo(real) == (real, {})


def test_a_demo_request_moves_on_by_itself():
    system = DemoComplaints(["POTHOLE"], step=timedelta(minutes=2))
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    entry = system.requests[system.create({"service_code": "POTHOLE", "description": "d"}, start)]
    stages = [system.view(entry, start + timedelta(minutes=m))["status"] for m in (0, 3, 5, 60)]
    assert stages == ["open", "in_progress", "closed_fixed", "closed_fixed"]


def test_a_case_forwarded_to_the_demo_gets_a_tracking_number_and_a_status(session, case, tmp_path, now):
    settings, env = start_demo(Settings(home=tmp_path, complaints_demo=True))
    assert env["MONITOR_COMPLAINTS_URL"] == settings.complaints_url
    sink = ComplaintsSink(settings, load_service_codes(DATA / "units.yaml"))
    forward = request_forward(session, case, by=None, now=now)
    forward_complaints(session, sink, now=now)
    sync_forwarded(session, sink, now=now)
    sink.close()
    assert forward.state == "sent" and forward.external_id and forward.external_status == "open"
