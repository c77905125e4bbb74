"""Quiet hours (no messages 21:00–08:00 local time by default): when a queued message may go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    """No messages between start and end local time (e.g. 21:00–08:00), except emergencies."""

    start: time
    end: time
    tz: ZoneInfo

    def release_time(self, now: datetime) -> datetime:
        """`now` if outside the quiet window, else the moment the window ends."""
        local = now.astimezone(self.tz)
        clock = local.time()
        if self.start > self.end:  # the window crosses midnight
            quiet = clock >= self.start or clock < self.end
        else:
            quiet = self.start <= clock < self.end
        if not quiet:
            return now
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(now.tzinfo)
