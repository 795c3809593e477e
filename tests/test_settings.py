import pytest

from monitor.errors import ConfigError
from monitor.settings import Settings, load_settings, setting_names
from tests.conftest import REPO


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [name for name in setting_names() if f"`{name}`" not in readme]
    assert missing == []


def test_every_setting_has_a_help_line():
    assert all(field.description for field in Settings.model_fields.values())


def test_defaults_give_sqlite_in_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("MONITOR_HOME", str(tmp_path))
    settings = load_settings()
    assert settings.db_url == f"sqlite:///{tmp_path / 'monitor.db'}"
    assert settings.model_path == tmp_path / "models" / "tagger.skops"


@pytest.mark.parametrize("value", ["yes", "1", "on", "TRUE-ish"])
def test_booleans_accept_only_true_or_false(monkeypatch, value):
    monkeypatch.setenv("MONITOR_DEMO_CHANNEL", value)
    with pytest.raises(ConfigError, match="MONITOR_DEMO_CHANNEL"):
        load_settings()


def test_explicit_booleans_are_accepted(monkeypatch):
    monkeypatch.setenv("MONITOR_DEMO_CHANNEL", "false")
    assert load_settings().demo_channel is False


def test_an_unknown_time_zone_stops_start_up(monkeypatch):
    monkeypatch.setenv("MONITOR_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="MONITOR_TIMEZONE"):
        load_settings()


def test_a_misspelt_setting_is_reported_not_ignored(monkeypatch):
    monkeypatch.setenv("MONITOR_DATABASE_ULR", "sqlite://")
    with pytest.raises(ConfigError, match="MONITOR_DATABASE_ULR"):
        load_settings()


def test_a_missing_session_key_stops_the_web_app_with_no_fallback(tmp_path):
    with pytest.raises(ConfigError, match="MONITOR_SECRET_KEY"):
        Settings(home=tmp_path).session_secret()


def test_the_session_key_can_come_from_a_file(tmp_path):
    (tmp_path / "key").write_text("s3cret\n")
    assert Settings(secret_key_file=tmp_path / "key").session_secret() == "s3cret"


def test_secrets_do_not_show_in_the_settings_repr():
    assert "hunter2" not in repr(Settings(secret_key="hunter2"))
