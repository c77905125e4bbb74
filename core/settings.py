"""Settings read from the environment and `.env`; a bad value stops start-up with one line."""

from __future__ import annotations

import re
import sys
from datetime import time
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.quiet import QuietHours

SUPPORTED_LANGUAGES = ("zh_Hans", "en", "zh_Hant")
# setWebhook: "Ports currently supported for webhooks: 443, 80, 88, 8443", HTTPS only; a local
# Bot API server (telegram-bot-api --local) also takes HTTP and any port.
WEBHOOK_PORTS = (443, 80, 88, 8443)
TELEGRAM_API_HOST = "api.telegram.org"
# setWebhook's secret_token: "1-256 characters. Only characters A-Z, a-z, 0-9, _ and - are allowed."
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    """Everything configurable; names match the environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_token: str | None = Field(default=None, alias="TELEGRAM_TOKEN")
    telegram_base_url: str = Field(
        default="https://api.telegram.org/bot", alias="TELEGRAM_BASE_URL"
    )
    telegram_base_file_url: str | None = Field(default=None, alias="TELEGRAM_BASE_FILE_URL")
    database_url: str = Field(
        default="sqlite+aiosqlite:///data/redproperty.db", alias="DATABASE_URL"
    )
    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    webhook_secret: str | None = Field(default=None, alias="WEBHOOK_SECRET")
    webhook_listen: str = Field(default="127.0.0.1", alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, alias="WEBHOOK_PORT", ge=1, le=65535)
    # /healthz and /metrics (core.metrics); port 0 = not served. Plan: bot 9301, senders 9302+.
    metrics_listen: str = Field(default="127.0.0.1", alias="METRICS_LISTEN")
    metrics_port: int = Field(default=0, alias="METRICS_PORT", ge=0, le=65535)
    timezone: str = Field(default="Asia/Shanghai", alias="TIMEZONE")
    default_language: str = Field(default="zh_Hans", alias="DEFAULT_LANGUAGE")
    invite_ttl_days: int = Field(default=30, alias="INVITE_TTL_DAYS", ge=1, le=365)
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    outbox_rate: float = Field(default=25.0, alias="OUTBOX_RATE", gt=0, le=1000)
    outbox_chat_interval: float = Field(default=1.0, alias="OUTBOX_CHAT_INTERVAL", ge=0, le=60)
    outbox_lease_seconds: int = Field(default=120, alias="OUTBOX_LEASE_SECONDS", ge=1, le=3600)
    outbox_batch: int = Field(default=100, alias="OUTBOX_BATCH", ge=1, le=1000)
    # The default bot (TELEGRAM_TOKEN's) sends emergency notices with allow_paid_broadcast;
    # recorded bots have their own switch (`admin bot paid`).
    paid_broadcast: bool = Field(default=False, alias="PAID_BROADCAST")
    # Shared pacing of several sender processes (jobs/pacing.py); unset: each paces itself.
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    redis_prefix: str = Field(default="rp", alias="REDIS_PREFIX", min_length=1, max_length=64)
    # The inbox (jobs/inbox.py): how long a worker's claim on an update lasts without renewal
    # (a killed worker's updates go to another after it), and how often an idle worker looks.
    inbox_lease_seconds: float = Field(default=30, alias="INBOX_LEASE_SECONDS", gt=0, le=3600)
    inbox_poll_seconds: float = Field(default=0.5, alias="INBOX_POLL_SECONDS", gt=0, le=60)
    # Updates a worker process handles at once; kept below its connection pool (10 + 20, core.db)
    # so an update never waits for a connection long enough to lose its lease.
    inbox_in_hand: int = Field(default=16, alias="INBOX_IN_HAND", ge=1, le=24)
    quiet_hours: str = Field(default="21:00-08:00", alias="QUIET_HOURS")
    vote_reminder_hours: str = Field(default="72,24", alias="VOTE_REMINDER_HOURS")
    # Hours after a notice's "please read" reminder before its sender may send another.
    notice_reminder_cooldown_hours: float = Field(
        default=6, alias="NOTICE_REMINDER_COOLDOWN_HOURS", ge=0, le=168
    )
    fee_reminder_days: str = Field(default="-7,0,7,30", alias="FEE_REMINDER_DAYS")
    payment_provider_token: str | None = Field(default=None, alias="PAYMENT_PROVIDER_TOKEN")
    survey_day: int = Field(default=25, alias="SURVEY_DAY", ge=1, le=28)
    survey_reminder_days: int = Field(default=3, alias="SURVEY_REMINDER_DAYS", ge=1, le=7)
    demo_port: int = Field(default=8080, alias="DEMO_PORT", ge=1, le=65535)
    # The office console (console/): where it listens (behind the same reverse proxy as the
    # webhook), the address people open (CONSOLE_URL, e.g. https://wuye.example.cn/console; by
    # default the listening address), how long a sign-in link and a session last. Port 0: off.
    console_listen: str = Field(default="127.0.0.1", alias="CONSOLE_LISTEN")
    console_port: int = Field(default=8090, alias="CONSOLE_PORT", ge=0, le=65535)
    console_url: str | None = Field(default=None, alias="CONSOLE_URL")
    console_link_minutes: int = Field(default=5, alias="CONSOLE_LINK_MINUTES", ge=1, le=60)
    console_session_hours: int = Field(default=8, alias="CONSOLE_SESSION_HOURS", ge=1, le=168)
    import_max_rows: int = Field(default=50_000, alias="IMPORT_MAX_ROWS", ge=100, le=1_000_000)
    import_max_mb: int = Field(default=20, alias="IMPORT_MAX_MB", ge=1, le=1024)

    @field_validator("telegram_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        bot_id, _, secret = value.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("expected the form 123456:ABC... given by @BotFather")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value.startswith(("postgres://", "postgresql://")):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql://user@host/db")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value in (None, ""):
            return None
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError as exc:
            raise ValueError("not a valid URL (expected https://bot.example.com/telegram)") from exc
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an https:// URL, e.g. https://bot.example.com/telegram")
        base = str(info.data.get("telegram_base_url") or "")
        if urlsplit(base).hostname != TELEGRAM_API_HOST:
            return value  # a local Bot API server calls any http(s) URL and port
        if parts.scheme != "https":
            raise ValueError("must be an https:// URL (Telegram calls webhooks over HTTPS only)")
        if (port or 443) not in WEBHOOK_PORTS:
            raise ValueError(
                f"port {port} is not one Telegram calls webhooks on; use 443, 80, 88 or 8443"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not WEBHOOK_SECRET.fullmatch(value):
            raise ValueError("must be 1-256 characters, only A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("use redis://host:6379/0 (or rediss://, unix://)")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        if value in ("", "off"):
            return "off"
        try:
            start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
        except ValueError as exc:
            raise ValueError("use HH:MM-HH:MM, e.g. 21:00-08:00, or off") from exc
        return f"{start:%H:%M}-{end:%H:%M}"

    @field_validator("vote_reminder_hours")
    @classmethod
    def _reminder_hours(cls, value: str) -> str:
        if value.strip() in ("", "off"):
            return ""
        try:
            hours = sorted({int(part) for part in value.split(",")}, reverse=True)
        except ValueError as exc:
            raise ValueError("use hours before the close, e.g. 72,24, or off") from exc
        if any(h <= 0 or h > 24 * 60 for h in hours):
            raise ValueError("each value must be between 1 and 1440 hours")
        return ",".join(str(h) for h in hours)

    @field_validator("fee_reminder_days")
    @classmethod
    def _fee_days(cls, value: str) -> str:
        if value.strip() in ("", "off"):
            return ""
        try:
            days = sorted({int(part) for part in value.split(",")})
        except ValueError as exc:
            raise ValueError("use days relative to the due date, e.g. -7,0,7,30, or off") from exc
        if any(not -60 <= d <= 365 for d in days):
            raise ValueError("each value must be between -60 and 365 days")
        return ",".join(str(d) for d in days)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("console_url")
    @classmethod
    def _console_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an http(s):// URL, e.g. https://wuye.example.cn/console")
        return value.rstrip("/")

    @property
    def console_base(self) -> str:
        """The console's address as people open it (no trailing slash)."""
        if self.console_url:
            return self.console_url
        return f"http://{self.console_listen}:{self.console_port}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        if self.quiet_hours == "off":
            return None
        start, end = self.quiet_hours.split("-")
        return time.fromisoformat(start), time.fromisoformat(end)

    @property
    def quiet(self) -> QuietHours | None:
        """The configured quiet window (QUIET_HOURS in TIMEZONE), or None when it is off."""
        window = self.quiet_window
        return QuietHours(window[0], window[1], self.tz) if window else None

    @property
    def vote_reminders(self) -> list[int]:
        """Hours before a vote closes at which owners who have not voted are reminded."""
        return [int(h) for h in self.vote_reminder_hours.split(",") if h]

    @property
    def fee_reminders(self) -> list[int]:
        """Days relative to a bill's due date on which unpaid bills are reminded about."""
        return [int(d) for d in self.fee_reminder_days.split(",") if d]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def describe_error(exc: ValidationError) -> str:
    """One line naming the first bad setting, e.g. `TIMEZONE: unknown time zone 'Mars'`."""
    aliases = {name: field.alias or name.upper() for name, field in Settings.model_fields.items()}
    parts = []
    for error in exc.errors():
        loc = str(error["loc"][0]) if error["loc"] else "?"
        name = aliases.get(loc, loc.upper())
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{name}: {message}")
    return "Configuration error: " + "; ".join(parts)


def load_settings(**overrides: Any) -> Settings:
    """Read settings; on a bad value print one line naming it and exit with status 2."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        print(describe_error(exc), file=sys.stderr)
        raise SystemExit(2) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
