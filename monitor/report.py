"""The public transparency report: report.html (Arabic and English), report.csv and report.json.

The figures are the dashboard's (``monitor.figures``) for one calendar month, with small
cells suppressed: a count under 5 is published as "<5", and a median, P90 or rate computed
from fewer than 5 cases is left out. The figures hold no handles, names or post texts.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import charts, models
from monitor.calendar import hijri_label
from monitor.event_log import read_logs
from monitor.figures import Period, compute_figures
from monitor.sla import SlaRules

SCHEMA_VERSION = "1.0"
SMALL = 5
COUNT_COLUMNS = {"cases", "hit", "missed", "active"}
STAT_COLUMNS = {"median", "p90", "business_median", "business_p90", "hit_rate"}
PUBLISHED = ("response_times", "first_response_by_unit", "sla_hit_rate", "sla_hit_rate_by_unit", "backlog_by_age",
             "volume_by_week_and_tag", "volume_by_category", "volume_by_unit", "volume_by_channel",
             "volume_by_language")
TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent / "web" / "templates"),
                        autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class Report:
    period: Period
    generated_at: datetime
    tables: dict[str, pd.DataFrame]  # suppressed: counts under 5 are the text "<5"


def suppress(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts under 5 become "<5"; statistics of fewer than 5 cases become empty."""
    basis, columns = _basis(frame), {}
    for column in frame.columns:
        if column in STAT_COLUMNS and basis is not None:
            values = [None if n < SMALL or pd.isna(v) else float(v) for v, n in zip(frame[column], basis, strict=True)]
        elif column in COUNT_COLUMNS or _is_tag_count(frame, column):
            values = [("<5" if 0 < value < SMALL else int(value)) for value in frame[column]]
        else:
            values = [None if pd.isna(value) else value for value in frame[column]]
        columns[column] = pd.Series(values, index=frame.index, dtype=object)
    return pd.DataFrame(columns, index=frame.index, columns=frame.columns)


def make_report(figures: dict[str, pd.DataFrame], period: Period, generated_at: datetime) -> Report:
    return Report(period, generated_at, {name: suppress(figures[name]) for name in PUBLISHED})


def report_json(report: Report) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "period": {"start": report.period.start.isoformat(), "end": _last(report.period).isoformat(),
                   "start_hijri": hijri_label(report.period.start), "end_hijri": hijri_label(_last(report.period))},
        "generated_at": report.generated_at.isoformat(),
        "suppression": f"counts under {SMALL} are published as \"<{SMALL}\"; "
                       f"statistics of fewer than {SMALL} cases are null",
        "tables": {name: frame.to_dict(orient="records") for name, frame in report.tables.items()},
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=_plain, allow_nan=False)


def report_csv(report: Report) -> str:
    """One long table: table, row label, column, value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["schema_version", "table", "row", "column", "value"])
    for name, frame in report.tables.items():
        for row in frame.itertuples(index=False):
            label = row[0]
            for column, value in zip(frame.columns[1:], row[1:], strict=True):
                writer.writerow([SCHEMA_VERSION, name, label, column, "" if value is None else _plain(value)])
    return buffer.getvalue()


def report_html(report: Report, unit_names: dict[str, tuple[str, str]]) -> str:
    tables = report.tables
    return TEMPLATES.get_template("report.html").render(
        report=report, last=_last(report.period), hijri=hijri_label, tables=tables, units=unit_names,
        charts=_charts(tables, unit_names),
    )


def write_report(session: Session, rules: SlaRules, period: Period, out: Path, now: datetime) -> Report:
    low, high = period.bounds(rules.calendar.tz)
    chosen = select(models.Case.id).where(models.Case.first_post_at >= low.to_pydatetime(),
                                          models.Case.first_post_at < high.to_pydatetime())
    report = make_report(compute_figures(read_logs(session, chosen), rules, period, now), period, now)
    names = {slug: (ar, en) for slug, ar, en in session.execute(
        select(models.Unit.slug, models.Unit.name_ar, models.Unit.name_en))}
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(report_json(report), encoding="utf-8")
    (out / "report.csv").write_text(report_csv(report), encoding="utf-8")
    (out / "report.html").write_text(report_html(report, names), encoding="utf-8")
    return report


def publish_monthly_report(services, *, now: datetime) -> str:  # type: ignore[no-untyped-def]
    """Write last month's report into MONITOR_HOME/reports/YYYY-MM/; returns the period."""
    settings = services.settings
    this_month = now.astimezone(settings.tz).date().replace(day=1)
    label = (this_month - timedelta(days=1)).strftime("%Y-%m")
    with services.sessions() as session:
        write_report(session, services.sla_rules, Period.month(label), settings.home / "reports" / label, now)
    return label


def publish_weekly_report(services, *, now: datetime) -> str:  # type: ignore[no-untyped-def]
    """Write last week's report (Sunday to Saturday, local time) into MONITOR_HOME/reports/week-YYYY-MM-DD/."""
    settings = services.settings
    today = now.astimezone(settings.tz).date()
    this_sunday = today - timedelta(days=(today.weekday() + 1) % 7)
    period = Period(this_sunday - timedelta(days=7), this_sunday)
    label = f"week-{period.start.isoformat()}"
    with services.sessions() as session:
        write_report(session, services.sla_rules, period, settings.home / "reports" / label, now)
    return label


def _charts(tables: dict[str, pd.DataFrame], names: dict[str, tuple[str, str]]) -> dict[str, object]:
    weeks, volume = tables["volume_by_week_and_tag"], tables["volume_by_unit"]
    tags = [column for column in weeks.columns if column != "week"]
    backlog = tables["backlog_by_age"]
    return {
        "weeks": charts.column_chart("الحالات حسب الأسبوع / Cases by week", [w[5:10] for w in weeks["week"]],
                                     {_TAGS.get(tag, tag): [_number(v) for v in weeks[tag]] for tag in tags}, rtl=True),
        "units": charts.bar_chart("الحالات حسب الوحدة / Cases by unit",
                                  [names.get(slug, (slug, slug))[0] for slug in volume["unit"]],
                                  [_number(v) for v in volume["cases"]], rtl=True),
        "backlog": charts.bar_chart("الحالات المفتوحة حسب العمر / Open cases by age", list(backlog["age"]),
                                    [_number(v) for v in backlog["cases"]], rtl=True),
    }


_TAGS = {"complaint": "شكوى", "inquiry": "استفسار", "praise": "إشادة", "other": "أخرى"}


def _number(value: object) -> float:
    """A suppressed count is drawn as 0 (the table beside the chart says "<5")."""
    return 0.0 if value is None or value == "<5" else float(value)


def _basis(frame: pd.DataFrame) -> pd.Series | None:
    if "hit" in frame and "missed" in frame:
        return frame["hit"] + frame["missed"]
    return frame["cases"] if "cases" in frame else None


def _is_tag_count(frame: pd.DataFrame, column: str) -> bool:
    return "week" in frame.columns and column != "week"


def _last(period: Period) -> date:
    return period.end - timedelta(days=1)


def _plain(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()
    return str(value) if isinstance(value, (datetime, date)) else value

