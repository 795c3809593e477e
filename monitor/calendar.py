"""The business calendar: working days and hours, holidays (Gregorian and Hijri), Ramadan hours.

Business time is read off a *business clock*: ``clock_seconds(t)`` is the number of
working seconds between the calendar's epoch and ``t``. A duration in business time is
the difference of two readings, and adding business minutes is the clock's inverse. The
clock is a table with one row per local day (its start, opening, length and the working
seconds before it), so a million timestamps are read with two ``numpy.searchsorted``
calls. Hijri dates use the Umm al-Qura tables of ``hijridate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import yaml
from hijridate import Gregorian, Hijri

from monitor.errors import ConfigError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RAMADAN = 9
EPOCH = date(2020, 1, 1)  # the business clock reads 0 here; earlier instants read 0 too


@dataclass(frozen=True)
class Hours:
    start: time
    end: time

    def seconds(self) -> tuple[int, int]:
        return _seconds(self.start), _seconds(self.end)


@dataclass(frozen=True)
class Holidays:
    gregorian: frozenset[tuple[int, int]] = frozenset()
    hijri: frozenset[tuple[int, int]] = frozenset()
    dates: frozenset[date] = frozenset()

    def contains(self, day: date) -> bool:
        if day in self.dates or (day.month, day.day) in self.gregorian:
            return True
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
        return (hijri.month, hijri.day) in self.hijri


@dataclass
class _Table:
    """One row per local day from ``first``: day start, opening, working seconds, seconds before."""

    first: date
    day_start: np.ndarray
    opening: np.ndarray
    length: np.ndarray
    before: np.ndarray


@dataclass
class BusinessCalendar:
    tz: ZoneInfo
    working_days: frozenset[int]
    hours: Hours
    ramadan_hours: Hours
    holidays: Holidays = field(default_factory=Holidays)
    _table: _Table | None = field(default=None, repr=False)

    def day_hours(self, day: date) -> tuple[int, int] | None:
        """Opening and closing second of a local day, or None when it is not a working day."""
        if day.weekday() not in self.working_days or self.holidays.contains(day):
            return None
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
        return (self.ramadan_hours if hijri.month == RAMADAN else self.hours).seconds()

    def business_minutes(self, start: datetime, end: datetime) -> float:
        """Working minutes between two instants (negative when ``end`` is before ``start``)."""
        seconds = self.clock_seconds(np.array([_epoch(start), _epoch(end)]))
        return float(seconds[1] - seconds[0]) / 60

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        """The earliest instant ``minutes`` working minutes after ``start``."""
        return self.add_business_minutes_each([start], [minutes])[0]

    def add_business_minutes_each(self, starts: Sequence[datetime], minutes: Sequence[float]) -> list[datetime]:
        """`add_business_minutes` of each start and its minutes, in one pass over the calendar."""
        if not starts:
            return []
        targets = self.clock_seconds(np.array([_epoch(start) for start in starts])) + np.array(minutes) * 60
        instants = self.clock_inverse(targets)
        return [start if wanted <= 0 else datetime.fromtimestamp(float(instant), UTC)
                for start, wanted, instant in zip(starts, minutes, instants, strict=True)]

    def clock_seconds(self, instants: np.ndarray) -> np.ndarray:
        """Business-clock readings (working seconds since the table's first day) of epoch seconds."""
        if len(instants) == 0:
            return np.zeros(0)
        table = self._cover(instants)
        row = np.maximum(np.searchsorted(table.day_start, instants, side="right") - 1, 0)  # before EPOCH reads 0
        instants = np.maximum(instants, table.day_start[0])
        inside = np.clip(instants - table.opening[row], 0, table.length[row])
        return table.before[row] + inside

    def clock_inverse(self, readings: np.ndarray) -> np.ndarray:
        """Epoch seconds at which the business clock first shows each reading."""
        table = self._table
        assert table is not None, "read the clock before inverting it"
        while readings.max(initial=0) > table.before[-1] + table.length[-1]:
            table = self._build(EPOCH, _last_day(table) + timedelta(days=366))
        row = np.searchsorted(table.before + table.length, readings, side="left")
        return table.opening[row] + (readings - table.before[row])

    def series_seconds(self, instants: pd.Series) -> np.ndarray:
        """Business-clock readings of a datetime Series (UTC); NaT reads as NaN."""
        epoch = _series_epoch(instants)
        known = ~np.isnan(epoch)
        readings = np.full(len(epoch), np.nan)
        if known.any():
            readings[known] = self.clock_seconds(epoch[known])
        return readings

    def _cover(self, instants: np.ndarray) -> _Table:
        """The table from EPOCH to past the latest instant; it only grows forward, so readings never shift."""
        high = datetime.fromtimestamp(float(instants.max()), UTC).astimezone(self.tz).date()
        table = self._table
        if table is None or high >= _last_day(table):
            last = max(high, _last_day(table) if table else high).replace(month=12, day=31) + timedelta(days=1)
            table = self._build(EPOCH, last)
        return table

    def _build(self, first: date, last: date) -> _Table:
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        starts = np.array([_epoch(datetime.combine(day, time(), self.tz)) for day in days], dtype=float)
        hours = [self.day_hours(day) for day in days]
        opening = np.array([s + (h[0] if h else 0) for s, h in zip(starts, hours, strict=True)], dtype=float)
        length = np.array([(h[1] - h[0]) if h else 0 for h in hours], dtype=float)
        before = np.concatenate([[0.0], np.cumsum(length)[:-1]])
        self._table = _Table(first, starts, opening, length, before)
        return self._table


def load_calendar(path: Path, tz: ZoneInfo) -> BusinessCalendar:
    """Read ``calendar.yaml``; a malformed file stops start-up with a ConfigError."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return BusinessCalendar(
            tz=tz,
            working_days=frozenset(DAY_NAMES.index(name) for name in raw["working_days"]),
            hours=_hours(raw["working_hours"]),
            ramadan_hours=_hours(raw.get("ramadan_hours", raw["working_hours"])),
            holidays=_holidays(raw.get("holidays") or {}),
        )
    except (OSError, KeyError, ValueError, TypeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the business calendar {path}: {exc}") from exc


def hijri_label(day: date) -> str:
    """A Gregorian date's Umm al-Qura Hijri date, as ``1448-06-18``."""
    hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    return f"{hijri.year:04d}-{hijri.month:02d}-{hijri.day:02d}"


def _hours(raw: dict) -> Hours:
    hours = Hours(time.fromisoformat(raw["start"]), time.fromisoformat(raw["end"]))
    if hours.end <= hours.start:
        raise ValueError(f"working hours end {hours.end} before they start {hours.start}")
    return hours


def _holidays(raw: dict) -> Holidays:
    hijri = set()
    for entry in raw.get("hijri") or []:
        month, day = (int(part) for part in entry["date"].split("-"))
        start = Hijri(1445, month, day)
        for offset in range(int(entry.get("days", 1))):
            shifted = (start.to_gregorian() + timedelta(days=offset)).to_hijri() if offset else start
            hijri.add((shifted.month, shifted.day))
    return Holidays(
        gregorian=frozenset(tuple(int(p) for p in e["date"].split("-")) for e in raw.get("gregorian") or []),
        hijri=frozenset(hijri),
        dates=frozenset(date.fromisoformat(str(d)) for d in raw.get("dates") or []),
    )


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC")
    return moment.timestamp()


def _series_epoch(instants: pd.Series) -> np.ndarray:
    values = pd.to_datetime(instants, utc=True)
    nanoseconds = values.astype("datetime64[ns, UTC]").array.asi8.astype(float)
    nanoseconds[values.isna().to_numpy()] = np.nan
    return nanoseconds / 1e9


def _last_day(table: _Table) -> date:
    return table.first + timedelta(days=len(table.day_start) - 1)
