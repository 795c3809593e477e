"""Logging set-up: plain text or JSON lines, with every configured secret redacted.

Secrets are ``SecretStr`` settings, so formatting a setting never shows them;
the redaction filter is the second line of defence for a secret that reaches a
message some other way (an exception text quoting a URL with a token, say).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from pydantic import SecretStr

from monitor.settings import Settings

REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [secret for secret in secrets if len(secret) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, REDACTED)
        record.msg, record.args = message, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def secret_values(settings: Settings) -> list[str]:
    values = [getattr(settings, name) for name in type(settings).model_fields]
    return [value.get_secret_value() for value in values if isinstance(value, SecretStr)]


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secret_values(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Below DEBUG, libraries speak up only when something is wrong: APScheduler's executor logs two
    # lines for every run of every job (one every few seconds), while its misfires (WARNING) and
    # failed jobs (ERROR) still show; the runs themselves are in the job log and /metrics.
    quiet = logging.WARNING if settings.log_level != "DEBUG" else logging.NOTSET
    for name in ("alembic", "apscheduler.executors"):
        logging.getLogger(name).setLevel(quiet)
