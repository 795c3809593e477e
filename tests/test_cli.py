"""The CLI as a user meets it: one clear line for a mistake, never a traceback."""

import csv
import json
import shutil
import sqlite3

import pytest

from classifiers import card_path
from tests.cli_run import monitor
from tests.conftest import DATA


def assert_one_line_error(result, expected):
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr


@pytest.fixture
def home(tmp_path, tiny_model_path):
    """A migrated home folder with a model in place."""
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(tiny_model_path, models / "tagger.skops")
    shutil.copy(card_path(tiny_model_path), card_path(models / "tagger.skops"))
    monitor(tmp_path, "migrate")
    return tmp_path


def test_a_bad_database_url_is_one_clear_line(tmp_path):
    assert_one_line_error(monitor(tmp_path, "migrate", check=False, database_url="nonsense"), "bad database URL")


def test_an_unreachable_database_is_one_clear_line(tmp_path):
    result = monitor(tmp_path, "migrate", check=False, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert_one_line_error(result, "database unreachable")


def test_an_unmigrated_database_says_to_migrate(tmp_path):
    assert_one_line_error(monitor(tmp_path, "poll", "--once", check=False), "run `monitor migrate`")


def test_an_unknown_channel_is_one_clear_line(home):
    assert_one_line_error(monitor(home, "poll", "--once", "--channel", "nope", check=False), "unknown channel 'nope'")


def test_a_missing_file_to_classify_is_one_clear_line(home):
    assert_one_line_error(monitor(home, "classify", "missing.csv", check=False), "no such file")


def test_a_file_without_a_text_column_is_one_clear_line(home, tmp_path):
    (tmp_path / "in.csv").write_text("body\nhello\n")
    assert_one_line_error(monitor(home, "classify", str(tmp_path / "in.csv"), check=False), "no `text` column")


def test_an_invalid_setting_is_one_clear_line(tmp_path):
    assert_one_line_error(monitor(tmp_path, "migrate", check=False, web_port="eighty"), "MONITOR_WEB_PORT")


def test_classify_tags_a_csv_keeping_every_column(home, tmp_path):
    rows = [{"id": "1", "text": "huge pothole on our street please fix it"},
            {"id": "2", "text": "شكرا على سرعة الاستجابة"}, {"id": "3", "text": ""}]
    with (tmp_path / "in.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text"])
        writer.writeheader()
        writer.writerows(rows)
    monitor(home, "classify", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv"))
    with (tmp_path / "out.csv").open(encoding="utf-8") as handle:
        tagged = list(csv.DictReader(handle))
    assert [row["id"] for row in tagged] == ["1", "2", "3"]
    assert [row["label"] for row in tagged[:2]] == ["complaint", "praise"]
    assert all(0 <= float(row["confidence"]) <= 1 for row in tagged)


def test_classify_reads_and_writes_jsonl(home, tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"text": "when will the highway project finish?", "n": 7}) + "\n")
    monitor(home, "classify", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out.jsonl"))
    [row] = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert row["n"] == 7 and row["label"] == "inquiry"


def test_user_add_prints_a_generated_password_once_and_refuses_duplicates(home):
    result = monitor(home, "user", "add", "officer", "--role", "agent")
    assert "password: " in result.stdout
    assert_one_line_error(monitor(home, "user", "add", "officer", "--role", "agent", check=False), "exists already")
    assert_one_line_error(monitor(home, "user", "add", "x", "--role", "king", check=False), "unknown role")


def test_poll_once_twice_creates_no_duplicates(home):
    assert "demo: 1 page(s), 20 post(s)" in monitor(home, "poll", "--once").stdout
    assert "demo: 1 page(s), 20 post(s)" in monitor(home, "poll", "--once").stdout
    lines = [json.loads(line) for line in (DATA / "demo" / "posts.jsonl").read_text(encoding="utf-8").splitlines()]
    expected = [line["data"]["id"] for line in lines[:40]
                if not any(ref["type"] == "retweeted" for ref in line["data"].get("referenced_tweets", []))]
    with sqlite3.connect(home / "monitor.db") as db:
        stored = [row[0] for row in db.execute("SELECT external_id FROM posts ORDER BY external_id")]
        unqueued = db.execute("SELECT count(*) FROM posts WHERE stage != 'queued'").fetchone()[0]
    assert stored == sorted(expected) and unqueued == 0
    assert "volume by channel" in monitor(home, "metrics").stdout
