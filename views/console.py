"""The bot's side of the office console: the sign-in link and "sign out everywhere"."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import Translator, html
from core.screen import Button, Screen, button, keyboard
from views.callbacks import CallbackData


@dataclasses.dataclass(frozen=True)
class SignOutEverywhere(CallbackData, kind="cso"):
    pass


def button_url_ok(url: str) -> bool:
    """Whether Telegram takes the address on a URL button: it refuses a host without a dot
    (localhost, a bare machine name) with BUTTON_URL_INVALID, so such a link is only text."""
    host = urlsplit(url).hostname or ""
    return "." in host and not host.replace(".", "").isdigit()


def sign_in_link(
    url: str, expires_at: datetime, sessions: int, _: Translator, tz: ZoneInfo
) -> Screen:
    lines = [
        html(
            _(
                "Your link to the office console, valid once until {time}. Do not forward it: "
                "whoever opens it acts with your roles."
            ),
            time=_.time(expires_at, tz),
        ),
        Markup(""),
        html("{url}", url=url),
    ]
    if sessions:
        lines += [
            Markup(""),
            html(
                _.ngettext(
                    "You are signed in to the console in {count} browser.",
                    "You are signed in to the console in {count} browsers.",
                    sessions,
                ),
                count=sessions,
            ),
        ]
    rows: list[list[Button]] = []
    if button_url_ok(url):
        rows.append([Button(_.plain("Open the office console"), url=url)])
    rows.append([button(_("Sign out everywhere"), SignOutEverywhere())])
    return Screen(Markup("\n").join(lines), buttons=keyboard(*rows))


def signed_out(count: int, _: Translator) -> Screen:
    return Screen(
        html(
            _.ngettext(
                "Signed out of the console in {count} browser. Old sign-in links no longer work.",
                "Signed out of the console in {count} browsers. Old sign-in links no longer work.",
                count,
            ),
            count=count,
        )
    )
