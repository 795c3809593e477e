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
