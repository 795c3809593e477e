"""`monitor report`: three files for a month, one clear line for a malformed period."""

import json

from tests.cli_run import monitor


def test_monitor_report_writes_the_three_files_of_an_empty_month(tmp_path):
    monitor(tmp_path, "migrate")
    result = monitor(tmp_path, "report", "--period", "2026-11", "--out", str(tmp_path / "out"))
    assert "report 2026-11" in result.stdout
    document = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert document["schema_version"] == "1.0" and document["period"]["end_hijri"] == "1448-06-20"
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<svg" in html and 'dir="rtl"' in html


def test_a_malformed_period_is_one_clear_line(tmp_path):
    result = monitor(tmp_path, "report", "--period", "November", "--out", str(tmp_path), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--period must be YYYY-MM" in result.stderr
