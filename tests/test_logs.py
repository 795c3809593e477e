import json
import logging

import pytest

from monitor.logs import configure_logging
from monitor.settings import Settings


@pytest.fixture(autouse=True)
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_logs_are_one_object_per_line_with_secrets_redacted(capfd, tmp_path):
    settings = Settings(home=tmp_path, log_format="json", secret_key="super-secret-cookie-key")
    configure_logging(settings)
    logging.getLogger("monitor.test").warning("connecting with %s", "super-secret-cookie-key")
    line = capfd.readouterr().err.strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "monitor.test"
    assert entry["message"] == "connecting with [redacted]"


def test_text_logs_redact_secrets_too(capfd, tmp_path):
    configure_logging(Settings(home=tmp_path, secret_key="another-secret-value"))
    logging.getLogger("monitor.test").error("token another-secret-value leaked?")
    assert "another-secret-value" not in capfd.readouterr().err


def test_routine_job_runs_stay_out_of_the_log_but_failures_and_misfires_show(capfd, tmp_path):
    configure_logging(Settings(home=tmp_path, log_level="INFO"))
    executor = logging.getLogger("apscheduler.executors.default")
    executor.info('Running job "inbound_job" (scheduled at 2026-12-02 00:05:02)')
    executor.warning('Run time of job "poll_job" was missed by 0:05:00')
    executor.error('Job "poll_job" raised an exception')
    logging.getLogger("monitor.worker").info("poll demo: 1 pages, 20 posts")
    err = capfd.readouterr().err
    assert "Running job" not in err
    assert "was missed by" in err and "raised an exception" in err and "20 posts" in err


def test_debug_shows_every_job_run(capfd, tmp_path):
    configure_logging(Settings(home=tmp_path, log_level="DEBUG"))
    logging.getLogger("apscheduler.executors.default").info('Running job "inbound_job"')
    assert "Running job" in capfd.readouterr().err
