"""The dashboard: figures for a period and unit, charts drawn on the server, CSV of every table."""

import csv
import io
import json
from datetime import UTC, datetime

import pandas as pd

from monitor.figures import Period
from monitor.report import suppress, write_report
from monitor.sla import load_rules
from tests.web.conftest import add_posts, sign_in

PERIOD = "from=2026-11-01&to=2026-11-30"


def test_the_dashboard_counts_the_period_and_draws_right_to_left_charts_in_arabic(services, client):
    add_posts(services, "@WorksMinistry pothole on our street", "@WorksMinistry thank you for the new park")
    sign_in(client, "viewer")
    page = client.get(f"/dashboard?{PERIOD}")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text and page.text.count("<svg") == 5
    assert 'direction="rtl"' in page.text
    assert "<script" not in page.text.split("<main>")[1].split("</main>")[0]


def test_every_table_downloads_as_csv(services, client):
    add_posts(services, "@WorksMinistry the street lights are out")
    sign_in(client, "supervisor")
    answer = client.get(f"/dashboard.csv?table=volume_by_channel&{PERIOD}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows and set(rows[0]) == {"channel", "cases"}
    assert client.get(f"/dashboard.csv?table=nothing&{PERIOD}").status_code == 404


def test_an_empty_period_shows_empty_tables(services, client):
    sign_in(client, "viewer")
    page = client.get("/dashboard?from=2020-01-01&to=2020-01-31")
    assert page.status_code == 200
    assert "لا حالات في هذه الفترة." in page.text


def test_a_malformed_date_is_refused(services, client):
    sign_in(client, "viewer")
    assert client.get("/dashboard?from=yesterday").status_code == 422


def test_the_dashboard_and_the_report_show_the_same_numbers_for_the_same_period(services, client, tmp_path):
    add_posts(services, *[f"@WorksMinistry pothole number {n} on our street" for n in range(6)])
    sign_in(client, "supervisor")
    with services.sessions() as session:
        rules = load_rules(services.settings.data_dir, services.settings.tz)
        write_report(session, rules, Period.month("2026-11"), tmp_path, datetime.now(UTC))
    published = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["tables"]
    for table in ("volume_by_unit", "volume_by_category", "response_times", "backlog_by_age"):
        shown = pd.read_csv(io.StringIO(client.get(f"/dashboard.csv?table={table}&{PERIOD}").text))
        assert json.loads(json.dumps(suppress(shown).to_dict(orient="records"))) == published[table], table
    assert "pothole" not in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "citizen" not in (tmp_path / "report.csv").read_text(encoding="utf-8")
