"""Settings: defaults, and one clear line naming a bad setting."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.settings import Settings, load_settings
from tests.utils.paths import ROOT


def test_defaults_are_sqlite_shanghai_and_simplified_chinese(monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.is_sqlite
    assert settings.timezone == "Asia/Shanghai"
    assert settings.default_language == "zh_Hans"


def test_postgres_urls_get_the_async_driver() -> None:
    settings = Settings(DATABASE_URL="postgresql://postgres@127.0.0.1/x", _env_file=None)
    assert settings.database_url.startswith("postgresql+asyncpg://")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE: unknown time zone 'Mars/Olympus'"),
        ("DEFAULT_LANGUAGE", "fr", "DEFAULT_LANGUAGE: must be one of"),
        ("TELEGRAM_TOKEN", "not-a-token", "TELEGRAM_TOKEN: expected the form"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: use sqlite"),
        ("WEBHOOK_PORT", "eighty", "WEBHOOK_PORT:"),
        ("WEBHOOK_URL", "bot.example.com/telegram", "WEBHOOK_URL: must be an https:// URL"),
        (
            "WEBHOOK_URL",
            "http://bot.example.com/telegram",
            "WEBHOOK_URL: must be an https:// URL (Telegram calls webhooks over HTTPS only)",
        ),
        (
            "WEBHOOK_URL",
            "https://bot.example.com:8080/telegram",
            "WEBHOOK_URL: port 8080 is not one Telegram calls webhooks on; use 443, 80, 88 or 8443",
        ),
        ("WEBHOOK_URL", "https://bot.example.com:99999/", "WEBHOOK_URL: not a valid URL"),
        (
            "WEBHOOK_SECRET",
            "has spaces and ü",
            "WEBHOOK_SECRET: must be 1-256 characters, only A-Z, a-z, 0-9, _ and -",
        ),
        ("WEBHOOK_SECRET", "x" * 257, "WEBHOOK_SECRET: must be 1-256 characters"),
    ],
)
def test_a_bad_setting_stops_with_one_line_naming_it(
    monkeypatch, capsys, name, value, expected
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        load_settings(_env_file=None)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("Configuration error: ")
    assert expected in err


def test_start_up_with_a_bad_setting_prints_one_line(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "TIMEZONE": "Nowhere/Land", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "Configuration error: TIMEZONE: unknown time zone 'Nowhere/Land'"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://bot.example.com/telegram",
        "https://bot.example.com:8443/telegram",
        "https://bot.example.com:88/telegram",
        "https://bot.example.com:80/telegram",
    ],
)
def test_webhook_urls_telegram_calls(url) -> None:
    assert Settings(WEBHOOK_URL=url, _env_file=None).webhook_url == url


def test_a_local_bot_api_server_may_call_http_on_any_port() -> None:
    """telegram-bot-api --local (or the emulator) takes an HTTP webhook on any port."""
    settings = Settings(
        TELEGRAM_BASE_URL="http://127.0.0.1:8081/bot",
        WEBHOOK_URL="http://127.0.0.1:9000/telegram",
        _env_file=None,
    )
    assert settings.webhook_url == "http://127.0.0.1:9000/telegram"


def test_a_webhook_secret_is_telegrams_shape() -> None:
    secret = "A-z_0" * 51 + "9"
    assert Settings(WEBHOOK_SECRET=secret, _env_file=None).webhook_secret == secret
    assert Settings(WEBHOOK_SECRET="", _env_file=None).webhook_secret is None


def test_bot_username_is_no_setting(monkeypatch) -> None:
    """The bot's username comes from getMe; an old BOT_USERNAME line is ignored."""
    monkeypatch.setenv("BOT_USERNAME", "SomebodyElsesBot")
    assert "SomebodyElsesBot" not in Settings(_env_file=None).model_dump_json()
