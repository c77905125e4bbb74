"""The office console: server-rendered pages on aiohttp with Jinja2, in the viewer's language
through the bot's own gettext catalogs, on the same services and permission policy as the bot.

Signing in goes through the bot (services.console_access): /console sends a single-use link;
its page asks to continue (a POST, so a link preview never uses the link) and starts a session
cookie (HttpOnly, SameSite=Strict, Secure on https). Every page reads the person's roles again;
every form carries the session's token and must come from the console's own origin.
Handlers here are thin: they parse the form, call a service with the viewer's Actor, render.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web
from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import gated_unit_of_work, is_outage
from core.i18n import LANGUAGE_NAMES, LANGUAGES, N_, Translator, translator
from core.runtime import Runtime
from services import console_access
from services.actors import Actor
from services.console_access import SignInRefused, Viewer
from services.errors import DomainError, NotAllowed, NotFound
from services.inputs import id_number
from services.policy import Permission, anywhere
from views import labels
from views import tickets as ticket_texts

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
COOKIE = "rp_console"
MAX_FORM_BYTES = 25 * 1024 * 1024  # a roster or a bank statement upload
FORBIDDEN_ORIGIN = N_(
    "This form was not sent from the console's own page, so nothing was done. Open the page "
    "again and send it from there."
)
STALE_FORM = N_(
    "This form is from an older sign-in, so nothing was done. Open the page again and send it "
    "from there."
)
TOO_LARGE = N_(
    "What was sent is larger than {limit} MB, so nothing was read. Split the file and send the "
    "parts one at a time."
)
UNAVAILABLE = N_("The console cannot reach its database right now. Try again in a minute.")
NO_PAGE = N_("There is no such page in the console.")
FAILED = N_("Something went wrong on our side; nothing was changed. Try again.")


@dataclass(frozen=True)
class Nav:
    endpoint: str
    label: str
    permission: Permission


# The menu: each entry shown to those who hold its permission somewhere (as the bot's /help).
NAV: list[Nav] = [
    Nav("households", N_("Households"), Permission.PEOPLE_CONTACT),
    Nav("roles", N_("Roles"), Permission.ROLES_VIEW),
    Nav("roster", N_("Roster"), Permission.ROSTER_IMPORT),
    Nav("invites", N_("Invite cards"), Permission.ROSTER_IMPORT),
    Nav("tickets", N_("Tickets"), Permission.TICKET_WORK),
    Nav("fees", N_("Fees"), Permission.FEES_REPORT),
    Nav("statements", N_("Bank statements"), Permission.FEES_RECORD_PAYMENT),
    Nav("payments", N_("Payments"), Permission.FEES_RECORD_PAYMENT),
    Nav("schedules", N_("Fee schedules"), Permission.FEES_CONFIGURE),
    Nav("votes", N_("Owners' votes"), Permission.VOTE_VIEW),
    Nav("notices", N_("Notices"), Permission.NOTICE_REPORT),
    Nav("kpi", N_("KPIs"), Permission.KPI_VIEW),
]


@dataclass
class Render:
    """What a page handler returns: a template and its values (or a redirect)."""

    template: str
    values: dict[str, Any] = field(default_factory=dict)
    status: int = 200


@dataclass
class Ctx:
    """One request of a signed-in viewer, inside one unit of work."""

    request: web.Request
    console: Console
    viewer: Viewer
    session: AsyncSession
    _: Translator
    form: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        return self.viewer.actor

    def now(self) -> datetime:
        return self.console.runtime.clock.now()

    def url(self, name: str, **parts: Any) -> str:
        return self.console.url(self.request, name, **parts)

    def path_id(self, key: str) -> int:
        """A number in the page's address (a forged or mistyped one is "no such page")."""
        number = id_number(self.request.match_info.get(key))
        if number is None:
            raise NotFound(NO_PAGE)
        return number

    def field(self, name: str, limit: int = 200) -> str:
        """A text field of the posted form, stripped and cut to its limit."""
        value = self.form.get(name, "")
        return value.strip()[:limit] if isinstance(value, str) else ""


@dataclass
class Then:
    """What a page does outside the database (a call to Telegram), run after its unit of work
    has committed, so no transaction or SQLite write gate is held meanwhile."""

    run: Callable[[], Awaitable[web.StreamResponse]]


Handler = Callable[[Ctx], Awaitable[Render | web.StreamResponse | Then]]
CONSOLE_KEY: web.AppKey[Console] = web.AppKey("console")


class Console:
    """The console's aiohttp application. `runtime` may be a function returning the current one
    (the demo rebuilds its runtime on reset)."""

    def __init__(self, runtime: Runtime | Callable[[], Runtime | None], *, path: str = "") -> None:
        self._runtime = runtime
        self.path = path.rstrip("/")  # where the console is mounted ("" or "/console")
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.app = web.Application(client_max_size=MAX_FORM_BYTES, middlewares=[self._headers])
        self.app[CONSOLE_KEY] = self
        self.app.router.add_get("/signin", self.signin_page, name="signin")
        self.app.router.add_post("/signin", self.signin, name="signin_post")
        self.app.router.add_static("/static/", HERE / "static", name="static")
        from console import pages

        pages.register(self)

    @property
    def runtime(self) -> Runtime:
        found = self._runtime if isinstance(self._runtime, Runtime) else self._runtime()
        if found is None:
            raise web.HTTPServiceUnavailable(text="starting")
        return found

    @property
    def secure(self) -> bool:
        """Secure cookies where people open the console over https."""
        return self.runtime.settings.console_base.startswith("https://")

    # --- routes -------------------------------------------------------------------------------
    def get(self, path: str, name: str, handler: Handler) -> None:
        self.app.router.add_get(path, self._page(handler), name=name)

    def post(self, path: str, name: str, handler: Handler) -> None:
        self.app.router.add_post(path, self._page(handler, form=True), name=name)

    def url(self, request: web.Request, name: str, **parts: Any) -> str:
        query = parts.pop("query", None)
        url = request.app.router[name].url_for(**{k: str(v) for k, v in parts.items()})
        if query:
            url = url.with_query(query)
        return str(url)

    # --- rendering ----------------------------------------------------------------------------
    def render(
        self,
        request: web.Request,
        template: str,
        _: Translator,
        viewer: Viewer | None = None,
        status: int = 200,
        **values: Any,
    ) -> web.Response:
        def url(name: str, **parts: Any) -> str:
            return self.url(request, name, **parts)

        nav = []
        if viewer is not None:
            nav = [(n.endpoint, _(n.label)) for n in NAV if anywhere(viewer.actor, n.permission)]
        tz = self.runtime.settings.tz
        body = self.templates.get_template(template).render(
            _=_,
            url=url,
            viewer=viewer,
            nav=nav,
            here=request.match_info.route.name,
            form_token=viewer.session.form_token if viewer else "",
            language=_.language,
            html_lang={"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}[_.language],
            tz=tz,
            languages=[(c, LANGUAGE_NAMES[c]) for c in LANGUAGES],
            labels=labels,
            ngettext=_.ngettext,  # as `ngettext(...)`, so Babel extracts the plurals
            tickets=ticket_texts,
            **values,
        )
        return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")

    def message(
        self,
        request: web.Request,
        _: Translator,
        text: Markup,
        status: int,
        viewer: Viewer | None = None,
    ) -> web.Response:
        return self.render(request, "message.html", _, viewer, status=status, text=text)

    def _language(self, request: web.Request, viewer: Viewer | None = None) -> Translator:
        if viewer is not None and viewer.resident.language in LANGUAGES:
            return translator(viewer.resident.language or "")
        wanted = request.query.get("lang", "")
        if wanted in LANGUAGES:
            return translator(wanted)
        return translator(self.runtime.settings.default_language)

    # --- checks -------------------------------------------------------------------------------
    def _same_origin(self, request: web.Request) -> bool:
        """A form must come from the console's own pages: its Origin (or, where a browser sends
        none, its Referer) is the console's public address or the address it was reached at."""
        sent = request.headers.get("Origin") or _origin(request.headers.get("Referer", ""))
        if not sent or sent == "null":
            return False
        public = _origin(self.runtime.settings.console_base)
        return sent in (public, f"{request.scheme}://{request.host}")

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
            "form-action 'self'; base-uri 'none'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # The sign-in secret is in the link's address: never sent to another site.
        headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith(f"{self.path}/static/"):
            headers.setdefault("Cache-Control", "no-store")
        return response

    async def signed_out_page(self, request: web.Request) -> web.Response:
        _ = self._language(request)
        return self.message(request, _, _(console_access.SIGNED_OUT), 200)

    # --- signing in ---------------------------------------------------------------------------
    async def signin_page(self, request: web.Request) -> web.Response:
        _ = self._language(request)
        secret = request.query.get("t", "")[:100]
        runtime = self.runtime
        try:
            async with runtime.sessions() as session:
                link = await console_access.check_link(session, secret, now=runtime.clock.now())
                from models import Resident

                resident = await session.get(Resident, link.resident_id)
                _ = (
                    self._language(request)
                    if resident is None
                    else translator(resident.language or runtime.settings.default_language)
                )
                name = resident.display_name if resident else ""
        except SignInRefused as refused:
            return self.message(request, _, refused.render(_), 401)
        return self.render(request, "signin.html", _, secret=secret, name=name)

    async def signin(self, request: web.Request) -> web.StreamResponse:
        _ = self._language(request)
        if not self._same_origin(request):
            return self.message(request, _, _(FORBIDDEN_ORIGIN), 403)
        form = await request.post()
        secret = str(form.get("t", ""))[:100]
        runtime = self.runtime
        settings = runtime.settings
        try:
            async with gated_unit_of_work(runtime.sessions, runtime.write_gate) as session:
                signed = await console_access.sign_in(
                    session,
                    secret,
                    now=runtime.clock.now(),
                    lasts=timedelta(hours=settings.console_session_hours),
                )
        except (SignInRefused, DomainError) as refused:
            return self.message(request, _, refused.render(_), 401)
        response = see_other(self.url(request, "home"))
        response.set_cookie(
            COOKIE,
            signed.secret,
            path=self.path or "/",
            httponly=True,
            samesite="Strict",
            secure=self.secure,
            max_age=settings.console_session_hours * 3600,
        )
        return response

    # --- pages --------------------------------------------------------------------------------
    def _page(self, handler: Handler, *, form: bool = False) -> Callable[..., Any]:
        async def serve(request: web.Request) -> web.StreamResponse:
            _ = self._language(request)
            if form and not self._same_origin(request):
                return self.message(request, _, _(FORBIDDEN_ORIGIN), 403)
            try:
                values: dict[str, Any] = dict(await request.post()) if form else {}
            except web.HTTPRequestEntityTooLarge:
                limit = _.number(MAX_FORM_BYTES // (1024 * 1024))
                return self.message(request, _, _(TOO_LARGE).format(limit=limit), 413)
            response = await self.within(request, handler, values, form=form)
            if isinstance(response, Then):
                return await response.run()
            return response

        return serve

    async def within(
        self, request: web.Request, handler: Handler, values: dict[str, Any], *, form: bool
    ) -> web.StreamResponse | Then:
        """A handler in its own unit of work, refusals rendered (a page's second step, after
        its call to Telegram, runs in another)."""
        _ = self._language(request)
        runtime = self.runtime
        try:
            async with gated_unit_of_work(runtime.sessions, runtime.write_gate) as session:
                response = await self._serve(request, handler, session, values, form)
        except _RolledBack as refused:  # a refusal: what the handler wrote is undone
            return refused.response
        except SignInRefused as refused:
            response = self.message(request, _, refused.render(_), 401)
            response.del_cookie(COOKIE, path=self.path or "/")
            return response
        except web.HTTPException:
            raise
        except Exception as error:
            if is_outage(error):
                return self.message(request, _, _(UNAVAILABLE), 503)
            log.exception("console page %s failed", request.match_info.route.name)
            return self.message(request, _, _(FAILED), 500)
        if form:
            runtime.wake_outbox()  # what the form told people goes out now
        return response

    async def _serve(
        self,
        request: web.Request,
        handler: Handler,
        session: AsyncSession,
        values: dict[str, Any],
        form: bool,
    ) -> web.StreamResponse | Then:
        """One page inside its unit of work: the viewer, the form's token, the handler, and the
        page rendered while its rows are loaded. A refusal is rendered, then rolled back."""
        runtime = self.runtime
        viewer = await console_access.viewer(
            session, request.cookies.get(COOKIE), now=runtime.clock.now()
        )
        _ = self._language(request, viewer)
        if form and not secrets.compare_digest(
            str(values.get("form_token", "")), viewer.session.form_token
        ):
            raise _RolledBack(self.message(request, _, _(STALE_FORM), 403, viewer))
        try:
            result = await handler(Ctx(request, self, viewer, session, _, values))
        except NotAllowed as refused:
            raise _RolledBack(self.message(request, _, refused.render(_), 403, viewer)) from None
        except NotFound as missing:
            raise _RolledBack(self.message(request, _, missing.render(_), 404, viewer)) from None
        except SignInRefused:
            raise
        except DomainError as error:
            raise _RolledBack(self.message(request, _, error.render(_), 400, viewer)) from None
        if isinstance(result, web.StreamResponse | Then):
            return result
        return self.render(
            request, result.template, _, viewer, status=result.status, **result.values
        )


class _RolledBack(Exception):
    """A refusal already rendered: the unit of work rolls back, the page is still shown."""

    def __init__(self, response: web.Response) -> None:
        super().__init__("refused")
        self.response = response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def redirect(ctx: Ctx, name: str, **parts: Any) -> web.Response:
    """After a form that changed something: the page again, by GET (a reload does not repeat it)."""
    return see_other(ctx.url(name, **parts))


class ConsoleServer:
    """The console on CONSOLE_LISTEN:CONSOLE_PORT (`bot.py run`), mounted at CONSOLE_URL's path
    so the reverse proxy passes requests through unchanged."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        settings = runtime.settings
        path = urlsplit(settings.console_base).path.rstrip("/")
        self.console = Console(runtime, path=path)
        if path:
            root = web.Application()
            root.add_subapp(path, self.console.app)
        else:
            root = self.console.app
        self.root = root
        self.runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        settings = self.runtime.settings
        self.runner = web.AppRunner(self.root, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, settings.console_listen, settings.console_port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else settings.console_port
        log.info("office console on %s:%s", settings.console_listen, self.port)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


async def start_console(runtime: Runtime) -> ConsoleServer | None:
    """The console of `bot.py run` (CONSOLE_PORT 0: none)."""
    if not runtime.settings.console_port:
        return None
    server = ConsoleServer(runtime)
    try:
        await server.start()
    except OSError as error:  # e.g. a second `run` on the machine: the first serves it
        settings = runtime.settings
        log.warning(
            "console port %s:%s not served here: %s",
            settings.console_listen,
            settings.console_port,
            error.strerror or error,
        )
        await server.stop()
        return None
    return server
