"""A small browser for the office console over real HTTP: a cookie jar, forms read from the
page (hidden fields included) and sent with the page's Origin, as Chromium sends them."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp

from console.app import ConsoleServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def serve_console(world: Any) -> ConsoleServer:
    """The console of the world's runtime on a free port (as `bot.py run` serves it)."""
    port = free_port()
    world.runtime.settings = world.runtime.settings.model_copy(
        update={"console_port": port, "console_listen": "127.0.0.1", "console_url": None}
    )
    server = ConsoleServer(world.runtime)
    await server.start()
    return server


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    selects: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # value, label
    buttons: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._option: str | None = None
        self._link: str | None = None
        self._textarea: str | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "style", "title"):
            self._skip += 1
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea" and self._form is not None and a.get("name"):
            self._textarea = a["name"]
            self._form.fields[self._textarea] = ""
        elif tag == "select" and self._form is not None:
            self._select = a.get("name")
            self._form.selects[self._select or ""] = []
        elif tag == "option" and self._form is not None and self._select:
            self._option = a.get("value", "")
            if "selected" in a or not self._form.selects[self._select]:
                self._form.fields[self._select] = self._option
        elif tag == "a":
            self._link = a.get("href", "")
            self.links.append((self._link, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._skip -= 1
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None
        if tag == "a":
            self._link = None
        if tag in ("p", "li", "tr", "h1", "h2", "div", "td", "th", "button", "option"):
            self.text.append("\n" if tag not in ("td", "th") else " ")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea] += data
        if self._select and self._option is not None and self._form is not None:
            self._form.selects[self._select].append((self._option, data.strip()))
            self._option = None
        if self._link is not None and self.links:
            href, label = self.links[-1]
            self.links[-1] = (href, label + data)


@dataclass
class Page:
    url: str
    status: int
    html: str
    forms: list[Form]
    links: list[tuple[str, str]]
    text: str

    def form(self, action: str) -> Form:
        """The form that posts to an address ending with `action` (the first one)."""
        for found in self.forms:
            if urlsplit(found.action).path.endswith(action):
                return found
        raise AssertionError(
            f"no form to {action!r} on {self.url}: {[f.action for f in self.forms]}"
        )

    def link(self, label: str) -> str:
        for href, text in self.links:
            if label in text:
                return href
        raise AssertionError(f"no link {label!r} on {self.url}")


class Browser:
    """One browser: its own cookies (a second Browser is another device)."""

    def __init__(self, origin: str | None = None) -> None:
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies for 127.0.0.1 too
        )
        self.origin = origin  # None: the page's own (a form sent from another site sets it)
        self.page: Page | None = None

    async def close(self) -> None:
        await self.http.close()

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _read(self, response: aiohttp.ClientResponse) -> Page:
        body = await response.text()
        reader = _Reader()
        reader.feed(body)
        text = unescape(re.sub(r"[ \t]+", " ", "".join(reader.text)))
        page = Page(str(response.url), response.status, body, reader.forms, reader.links, text)
        self.page = page
        return page

    async def open(self, url: str) -> Page:
        if self.page is not None:
            url = urljoin(self.page.url, url)
        async with self.http.get(url) as response:
            return await self._read(response)

    async def submit(
        self, form: Form, files: dict[str, tuple[str, bytes]] | None = None, **values: str
    ) -> Page:
        assert self.page is not None
        url = urljoin(self.page.url, form.action)
        data: dict[str, Any] = {**form.fields, **values}
        for key in files or {}:
            data.pop(key, None)  # a file input is sent as its file only
        parts = urlsplit(self.page.url)
        origin = self.origin or f"{parts.scheme}://{parts.netloc}"
        headers = {"Origin": origin}
        if form.method == "get":
            async with self.http.get(url, params=data) as response:
                return await self._read(response)
        payload: Any = data
        if files:
            payload = aiohttp.FormData()
            for key, value in data.items():
                payload.add_field(key, value)
            for key, (name, content) in files.items():
                payload.add_field(key, content, filename=name)
        async with self.http.post(url, data=payload, headers=headers) as response:
            return await self._read(response)

    def cookie(self, name: str) -> str | None:
        for morsel in self.http.cookie_jar:
            if morsel.key == name:
                return morsel.value
        return None


LINK = re.compile(r"https?://\S+/signin\?t=[A-Za-z0-9_\-]+")


def link_in(text: str) -> str:
    found = LINK.search(text)
    assert found, f"no sign-in link in {text!r}"
    return found.group(0)
