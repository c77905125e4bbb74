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
