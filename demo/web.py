"""The demo's web chat: a static page (HTML, CSS and JavaScript from this repository only) that
talks to the emulator's control API, plus a few demo endpoints: personas, page texts in the
reader's language, a fresh invite for the new resident, and reset."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from console.app import Console
from core.db import unit_of_work
from core.i18n import LANGUAGE_NAMES, LANGUAGES, N_, translator
from demo.seed import COMPOUND, NEWCOMER
from services import console_access
from services.actors import load_actor
from services.errors import DomainError
from services.invites import issue_household_invites
from services.places import resolve_scope

if TYPE_CHECKING:
    from demo.app import Demo

STATIC = Path(__file__).resolve().parent / "web"
# Every text of the page, translated on the server with the bot's own catalogs.
PAGE_TEXTS = {
    "title": N_("Red Property demo"),
    "intro": N_(
        "Pick a person on the left and talk to the bot as they would. Open another tab to be someone else at the same time."
    ),
    "send": N_("Send"),
    "placeholder": N_("Write a message…"),
    "photo": N_("Photo"),
    "location": N_("Location"),
    "menu": N_("Menu"),
    "reset": N_("Reset the demo"),
    "reset_confirm": N_("Reset every chat and the database to the seeded state?"),
    "join": N_("Join with an invite"),
    "pay": N_("Pay"),
    "download": N_("Download"),
    "people": N_("People"),
    "no_messages": N_("No messages yet. Send /start or /help."),
    "shared_location": N_("Shared location"),
}
# NOTE: a link under each demo persona with an office role; {name} is the persona.
OPEN_CONSOLE = N_("Open the console as {name}")


# The browser's locale for each of ours, and whether its clock has 12 hours (as core.i18n.FORMATS:
# 04:20 in Chinese, 4:20 AM in English).
BROWSER_LOCALES = {
    "zh_Hans": ("zh-Hans-CN", False),
    "zh_Hant": ("zh-Hant-HK", False),
    "en": ("en-US", True),
}


def clock_format(zone: str, language: str) -> dict[str, Any]:
    """How the page shows a message's time: in the compound's zone (the bot's TIMEZONE), not the
    browser's, so the page and the bot's texts agree. Options of `Intl.DateTimeFormat`."""
    locale, twelve = BROWSER_LOCALES[language]
    return {
        "locale": locale,
        "options": {
            "timeZone": zone,
            "hour": "2-digit" if not twelve else "numeric",
            "minute": "2-digit",
            "hourCycle": "h12" if twelve else "h23",
        },
    }


def add_demo_routes(app: web.Application, demo: Demo) -> None:
    def language(request: web.Request) -> str:
        value = request.query.get("lang", "zh_Hans")
        return value if value in LANGUAGES else "zh_Hans"

    def reply(data: Any) -> web.Response:
        return web.Response(
            text=json.dumps(data, ensure_ascii=False), content_type="application/json"
        )

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def personas(request: web.Request) -> web.Response:
        return reply(demo.personas(language(request)))

    async def texts(request: web.Request) -> web.Response:
        _ = translator(language(request))
        return reply(
            {
                "texts": {key: _(msgid) for key, msgid in PAGE_TEXTS.items()},
                "languages": [{"code": c, "name": LANGUAGE_NAMES[c]} for c in LANGUAGES],
                "clock": clock_format(demo.settings.timezone, language(request)),
            }
        )

    async def invite(request: web.Request) -> web.Response:
        """A new owner invite for the new resident's home (each press issues a fresh one)."""
        runtime = demo.runtime
        assert runtime is not None
        async with unit_of_work(runtime.sessions) as session:
            compound = await resolve_scope(session, f"compound:{COMPOUND}")
            issued = await issue_household_invites(
                session, compound.id, now=runtime.clock.now(), ttl=timedelta(days=1)
            )
        code = next(
            i.code
            for i in issued
            if i.label == NEWCOMER.household and i.kind == NEWCOMER.membership
        )
        user = demo.users[NEWCOMER.name]
        bot = demo.emulator_of(NEWCOMER).bot_username
        return reply({"user_id": user.id, "text": f"/start {code}", "bot": bot})

    async def console(request: web.Request) -> web.StreamResponse:
        """A fresh console sign-in link for a persona (as /console in the bot sends one), opened
        at once: the sign-in page then asks to continue."""
        runtime = demo.runtime
        assert runtime is not None
        user = request.query.get("user", "")
        persona = next((p for p in demo.users.values() if str(p.id) == user), None)
        if persona is None:
            raise web.HTTPNotFound()
        async with unit_of_work(runtime.sessions) as session:
            actor = await load_actor(session, persona.id)
            try:
                issued = await console_access.issue_link(
                    session,
                    actor,
                    now=runtime.clock.now(),
                    ttl=timedelta(minutes=runtime.settings.console_link_minutes),
                )
            except DomainError as refused:
                _ = translator(language(request))
                return web.Response(text=refused.text(_), status=403)
        return web.Response(status=303, headers={"Location": f"/console/signin?t={issued.secret}"})

    async def reset(request: web.Request) -> web.Response:
        await demo.reset()
        return reply({"ok": True})

    app.router.add_get("/", index)
    app.router.add_get("/demo/personas", personas)
    app.router.add_get("/demo/texts", texts)
    app.router.add_post("/demo/invite", invite)
    app.router.add_post("/demo/reset", reset)
    app.router.add_get("/demo/console", console)
    app.add_subapp("/console", Console(lambda: demo.runtime, path="/console").app)
    app.router.add_static("/static/", STATIC)
