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
        default=0.6, ge=0.0, le=1.0, description="Cases whose tag confidence is below this need a human look."
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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'monitor.db'}"

    @property
    def model_path(self) -> Path:
        return self.home / "models" / "tagger.skops"

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
