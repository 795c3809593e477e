"""Settings: one table, parsed strictly once at start-up.

Every setting is an environment variable with the ``MONITOR_`` prefix. The
table below is the single source of truth; ``tests/test_settings.py`` checks
that the README documents each one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from monitor.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


def _strict_bool(value: object) -> object:
    """Accept only explicit true/false (not yes, on, 1 ...)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise ValueError(f"expected 'true' or 'false', got {value!r}")


StrictBool = Annotated[bool, BeforeValidator(_strict_bool)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MONITOR_", extra="forbid", frozen=True)

    home: Path = Field(
        default=REPO_ROOT / "var",
        description="Folder for the SQLite database, models, reports and the generated secret key.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default SQLite at MONITOR_HOME/monitor.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    data_dir: Path = Field(
        default=REPO_ROOT / "data",
        description="Shipped data: units.yaml, reply_templates.yaml, labeled/, demo/.",
    )
    web_host: str = Field(default="127.0.0.1", description="Address the web app listens on.")
    web_port: int = Field(default=8000, ge=1, le=65535, description="Port the web app listens on.")
    secret_key: SecretStr | None = Field(
        default=None, description="Key that signs session cookies (or use MONITOR_SECRET_KEY_FILE)."
    )
    secret_key_file: Path | None = Field(
        default=None, description="File holding the session key; `monitor run` creates one in MONITOR_HOME."
    )
    timezone: str = Field(default="Asia/Bahrain", description="The ministry's time zone for dates shown.")
    review_threshold: float = Field(
        default=0.5, ge=0.0, le=1.0,
        description="Cases whose tag confidence is below this need a human look (chosen in docs/classifier.md).",
    )
    approval_tags: str = Field(
        default="complaint,inquiry",
        description="Tags whose replies need a supervisor's approval (comma-separated); others an agent may send.",
    )
    demo_channel: StrictBool = Field(
        default=True, description="Create the replay channel `demo` fed by data/demo/posts.jsonl on migrate."
    )
    replay_release_per_poll: int = Field(
        default=20, ge=1, description="Posts the demo replay channel releases on each poll."
    )
    poll_interval_seconds: int = Field(
        default=15, ge=1, description="Default poll interval for new channels, in seconds."
    )
    report_weekly: StrictBool = Field(
        default=False, description="Also publish a report of each week (Sunday to Saturday) into MONITOR_HOME/reports/."
    )
    reply_stalled_seconds: int = Field(
        default=120, ge=5, description="A reply claimed for sending longer ago than this was left by a stopped "
        "worker: it is looked up on the platform before any retry.",
    )
    leader_ttl_seconds: int = Field(
        default=20, ge=6, description="A worker that has not renewed the leader lease for this long is replaced."
    )
    log_format: Literal["text", "json"] = Field(default="text", description="Log lines as plain text or JSON.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO",
        description="Log level; DEBUG also logs every scheduled job run, empty polls and each inbound stage's seconds.",
    )
    x_api_base_url: str = Field(
        default="https://api.x.com", description="Base URL of the X API v2 (tests point it at a loopback fake)."
    )
    x_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Timeout of every call to the X API, in seconds."
    )
    x_bearer_token: SecretStr | None = Field(
        default=None, description="X app bearer token: reads mentions and searches."
    )
    x_consumer_key: SecretStr | None = Field(default=None, description="X app API key (OAuth 1.0a consumer key).")
    x_consumer_secret: SecretStr | None = Field(
        default=None, description="X app API key secret (OAuth 1.0a consumer secret)."
    )
    x_access_token: SecretStr | None = Field(
        default=None, description="Access token of the ministry's X account: identifies it and posts replies."
    )
    x_access_token_secret: SecretStr | None = Field(
        default=None, description="Access token secret of the ministry's X account."
    )
    complaints_url: str | None = Field(
        default=None,
        description="Base URL of the national complaints system's Open311 GeoReport v2 API "
        "(ending in /; unset = forwarding off).",
    )
    complaints_api_key: SecretStr | None = Field(
        default=None, description="API key sent with every request to the complaints system."
    )
    complaints_jurisdiction: str | None = Field(
        default=None, description="Open311 jurisdiction_id, when the complaints system serves several."
    )
    complaints_allow_private: StrictBool = Field(
        default=False,
        description="Allow a complaints system on a loopback or private address (tests and the demo only).",
    )
    complaints_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Timeout of every call to the complaints system, in seconds."
    )
    complaints_demo: StrictBool = Field(
        default=False,
        description="`monitor run` starts a demo complaints system on loopback when MONITOR_COMPLAINTS_URL is unset.",
    )
    sla_warning_minutes: int = Field(
        default=60, ge=0, description="Business minutes before an SLA is due when the sweep warns the unit."
    )
    sla_sweep_seconds: int = Field(default=60, ge=5, description="How often the worker sweeps SLA clocks, in seconds.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("approval_tags")
    @classmethod
    def _known_tags(cls, value: str) -> str:
        tags = {tag.strip() for tag in value.split(",") if tag.strip()}
        unknown = tags - {"complaint", "praise", "inquiry", "other"}
        if unknown:
            raise ValueError(f"unknown tag(s) {', '.join(sorted(unknown))}")
        return ",".join(sorted(tags))

    def needs_approval(self, tag: str) -> bool:
        return tag in self.approval_tags.split(",")

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'monitor.db'}"

    @property
    def models_dir(self) -> Path:
        """The model registry: one folder per trained version and ``current.json``."""
        return self.home / "models"

    @property
    def model_path(self) -> Path:
        """The current tagger: the registry's promoted version, else a bare ``tagger.skops``."""
        from classifiers import registry

        return registry.current_model_path(self.models_dir)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def session_secret(self) -> str:
        """The cookie-signing key; a missing key stops start-up (no fallback)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.secret_key_file is not None:
            try:
                return self.secret_key_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"cannot read MONITOR_SECRET_KEY_FILE: {exc}") from exc
        raise ConfigError("no session key: set MONITOR_SECRET_KEY or MONITOR_SECRET_KEY_FILE")


def setting_names() -> list[str]:
    return [f"MONITOR_{name.upper()}" for name in Settings.model_fields]


def load_settings(**overrides: object) -> Settings:
    """Parse the environment once; any invalid value is a ConfigError naming it."""
    unknown = sorted(
        key for key in os.environ if key.startswith("MONITOR_") and key not in setting_names()
        and not key.startswith("MONITOR_TEST_")
    )
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"MONITOR_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
