"""Business time, computed by hand: working hours 07:00-14:00 Sunday to Thursday, Bahrain time."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from monitor.calendar import hijri_label, load_calendar
from monitor.errors import ConfigError
from monitor.settings import REPO_ROOT

BAHRAIN = ZoneInfo("Asia/Bahrain")


@pytest.fixture(scope="module")
def calendar():
    return load_calendar(REPO_ROOT / "data" / "calendar.yaml", BAHRAIN)


def local(*parts):
    return datetime(*parts, tzinfo=BAHRAIN)


def test_a_reply_at_13_50_on_thursday_to_a_post_of_13_00_took_50_business_minutes(calendar):
    assert calendar.business_minutes(local(2026, 11, 26, 13), local(2026, 11, 26, 13, 50)) == 50


def test_thursday_afternoon_continues_on_sunday_morning(calendar):
    # 13:00-14:00 Thursday, then 07:00-07:30 Sunday
    assert calendar.business_minutes(local(2026, 11, 26, 13), local(2026, 11, 29, 7, 30)) == 90
    assert calendar.add_business_minutes(local(2026, 11, 26, 13), 61) == local(2026, 11, 29, 7, 1)


def test_a_due_time_that_ends_with_the_day_falls_at_closing_not_next_morning(calendar):
    assert calendar.add_business_minutes(local(2026, 11, 26, 13), 60) == local(2026, 11, 26, 14)


def test_a_post_on_a_friday_starts_counting_on_sunday(calendar):
    assert calendar.business_minutes(local(2026, 11, 27, 10), local(2026, 11, 29, 8)) == 60
    assert calendar.add_business_minutes(local(2026, 11, 27, 10), 30) == local(2026, 11, 29, 7, 30)


def test_national_day_holidays_are_skipped(calendar):
    # Tuesday 15 December 13:00; 16 and 17 December (Wednesday, Thursday) are holidays
    assert calendar.business_minutes(local(2026, 12, 15, 13), local(2026, 12, 20, 7, 10)) == 70


def test_hijri_holidays_follow_the_umm_al_qura_calendar(calendar):
    # Eid al-Fitr 1448 = 1 Shawwal = Tuesday 9 March 2027: Tue-Thu are holidays
    assert calendar.day_hours(local(2027, 3, 9).date()) is None
    assert calendar.day_hours(local(2027, 3, 11).date()) is None
    assert calendar.day_hours(local(2027, 3, 14).date()) == (7 * 3600, 14 * 3600)


def test_ramadan_hours_are_shorter(calendar):
    # 1 Ramadan 1448 = Monday 8 February 2027; Ramadan hours are 09:00-14:00
    assert calendar.business_minutes(local(2027, 2, 7, 13), local(2027, 2, 8, 9, 30)) == 90
    assert calendar.business_minutes(local(2027, 2, 8, 7), local(2027, 2, 8, 14)) == 300


def test_time_outside_working_hours_counts_nothing(calendar):
    assert calendar.business_minutes(local(2026, 11, 26, 15), local(2026, 11, 26, 23)) == 0
    assert calendar.business_minutes(local(2026, 11, 27, 8), local(2026, 11, 28, 13)) == 0


def test_a_series_reads_the_same_clock_and_keeps_missing_times_missing(calendar):
    instants = pd.Series([local(2026, 11, 26, 13), local(2026, 11, 26, 13, 50), None], dtype="datetime64[ns, UTC]")
    readings = calendar.series_seconds(instants)
    assert readings[1] - readings[0] == 50 * 60
    assert pd.isna(readings[2])


def test_gregorian_dates_have_a_hijri_label():
    assert hijri_label(local(2026, 11, 28).date()) == "1448-06-18"


def test_a_broken_calendar_stops_start_up(tmp_path):
    path = tmp_path / "calendar.yaml"
    path.write_text("working_days: [sun]\nworking_hours: {start: '14:00', end: '07:00'}\n")
    with pytest.raises(ConfigError, match="working hours"):
        load_calendar(path, BAHRAIN)
