"""The console's routes, mounted under /console on the runtime's one web server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from bot.webconsole import board, enterprise_page, figures, signin, ticket_actions, ticket_page
from bot.webconsole.access import (
    COOKIE_PATH,
    SESSION_COOKIE,
    SignInNeeded,
    audit,
    lang_of,
    secure_headers,
)
from bot.webconsole.console import CONSOLE, Console

PREFIX = "/console"
STATIC = Path(__file__).parent / "static"
MAX_FORM = 64 * 1024  # a reason or a result; nothing bigger is typed into these forms


@web.middleware
async def signed_in(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A page asked for without a session in force: say how to get one (`/web`)."""
    try:
        return await handler(request)
    except SignInNeeded:
        console = request.app[CONSOLE]
        lang = lang_of(request, console.deps.default_lang)
        refused = console.page(
            "message.html", lang, 401, viewer=None, message_key="console.sign_in_needed", params={}
        )
        if SESSION_COOKIE in request.cookies:  # ended: the browser stops sending it (and the board's
            refused.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)  # polls stop filling the audit)
        return refused


@web.middleware
async def same_origin(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A form sent from another site is refused before anything reads it (besides the form token:
    the sign-in form has none, and another site must not sign a browser in as someone else). An
    opaque `Origin: null` is refused too: any page can make its forms send it."""
    origin = request.headers.get("Origin")
    # host names compared, not ports: a proxy passes `Host: $host`, which drops a port the browser saw
    if (
        request.method == "POST"
        and origin is not None
        and urlsplit(origin).hostname != _hostname(request.host)
    ):
        console = request.app[CONSOLE]
        await audit(console, None, "origin_refused", None, f"{origin[:80]} -> {request.path[:80]}")
        lang = lang_of(request, console.deps.default_lang)
        return console.page(
            "message.html", lang, 403, viewer=None, message_key="console.csrf_refused", params={}
        )
    return await handler(request)


def _hostname(host: str) -> str:
    return urlsplit(f"//{host}").hostname or ""


def console_app(console: Console) -> web.Application:
    app = web.Application(middlewares=[same_origin, signed_in], client_max_size=MAX_FORM)
    app[CONSOLE] = console
    app.on_response_prepare.append(secure_headers)
    app.router.add_get("/", board.board)
    app.router.add_get("/board.json", board.board_version)
    app.router.add_get("/signin", signin.sign_in_page)
    app.router.add_post("/signin", signin.sign_in)
    app.router.add_post("/logout", signin.sign_out)
    app.router.add_get("/lang/{lang}", signin.choose_language)
    app.router.add_get(r"/tickets/{number:\d{1,12}}", ticket_page.ticket_page)
    app.router.add_post(r"/tickets/{number:\d{1,12}}/{action:[a-z]+}", ticket_actions.ticket_action)
    app.router.add_get("/figures", figures.figures)
    app.router.add_get("/figures.svg", figures.figures_chart)
    app.router.add_get("/figures.xlsx", figures.figures_xlsx)
    app.router.add_get("/enterprises/{enterprise}", enterprise_page.enterprise_page)
    app.router.add_static("/static", STATIC)
    return app


def console_routes(console: Console) -> Callable[[web.Application], None]:
    """Routes for the runtime's web server (bot/runtime/web.py)."""

    def add(root: web.Application) -> None:
        root.add_subapp(PREFIX, console_app(console))

    return add
