"""Who is looking: the session cookie read against storage and the directory, the form token
(CSRF) checked on every form, and the headers every answer carries. Every refusal is audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.domain.messages import Actor
from bot.domain.text import storable
from bot.domain.web_console import form_token, form_token_matches, token_hash
from bot.i18n import normalize_lang
from bot.webconsole.console import CONSOLE, Console
from storage.web_protocols import TokenState

SESSION_COOKIE = "xiaoer_console"
LANG_COOKIE = "xiaoer_console_lang"
COOKIE_PATH = "/console"

SECURITY_HEADERS = {
    # every page may carry ticket data: never kept by the browser or a proxy
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # the sign-in page's address holds the link's secret: never sent on to another site. (Not
    # no-referrer: under it a browser sends `Origin: null` with the console's own forms, which the
    # same-origin check must refuse, since any site can make its forms send that.)
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


@dataclass(frozen=True)
class Viewer:
    actor: Actor
    session_token: str

    @property
    def csrf(self) -> str:
        return form_token(self.session_token)


def lang_of(request: web.Request, default: str) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return normalize_lang(chosen, default) if chosen else default


async def audit(
    console: Console, officer_id: str | None, action: str, ticket: int | None, detail: str = ""
) -> None:
    deps = console.deps
    async with deps.storage() as uow:  # the detail quotes the request: a %00 in it is no text to keep
        await uow.web.audit(deps.clock(), officer_id, action, ticket, storable(detail))
        await uow.commit()


async def viewer_of(request: web.Request) -> Viewer | None:
    """The officer whose session the cookie carries, if it is in force and the officer still
    holds the role they signed in with; a cookie refused is audited."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    console = request.app[CONSOLE]
    deps = console.deps
    async with deps.storage() as uow:
        state, session = await uow.web.session(token_hash(token), deps.clock())
    if session is None or state is not TokenState.VALID:
        await audit(console, session.officer_id if session else None, "session_refused", None, state.value)
        return None
    officer = deps.directory.officers.get(session.officer_id)
    if officer is None or officer.role.value != session.role:
        await audit(console, session.officer_id, "session_refused", None, "role changed")
        return None
    actor = Actor(
        role=officer.role,
        display_name=officer.name,
        lang=lang_of(request, officer.lang),
        officer_id=officer.id,
        department_id=officer.department_id,
    )
    return Viewer(actor, token)


def refusal(console: Console, lang: str, status: int, key: str, **params: object) -> web.Response:
    return console.page("message.html", lang, status=status, viewer=None, message_key=key, params=params)


class SignInNeeded(Exception):
    pass


async def required(request: web.Request) -> Viewer:
    viewer = await viewer_of(request)
    if viewer is None:
        raise SignInNeeded
    return viewer


async def posted_form(request: web.Request) -> Mapping[str, object]:
    """The posted form; an unreadable one (a multipart body without its field names, a broken
    boundary, a charset nobody knows) is taken as empty, so that it is refused as a form without
    its token, not a 500. Its text is kept as a chat message's is (`storable`): PostgreSQL refuses
    a NUL (a 500 before)."""
    try:
        form = await request.post()
    except (ValueError, LookupError):  # LookupError: aiohttp decodes with the charset given
        return {}
    return {name: storable(value) if isinstance(value, str) else value for name, value in form.items()}


async def checked_form(request: web.Request, viewer: Viewer) -> Mapping[str, object]:
    """The form, once its token is the session's; a forged or missing token is refused (403)."""
    form = await posted_form(request)
    presented = form.get("csrf")
    if not isinstance(presented, str) or not form_token_matches(viewer.session_token, presented):
        console = request.app[CONSOLE]
        await audit(console, viewer.actor.officer_id, "csrf_refused", None, request.path[:120])
        raise page_error(console, viewer, web.HTTPForbidden, "console.csrf_refused")
    return form


def page_error(
    console: Console, viewer: Viewer | None, error: type[web.HTTPError], key: str, **params: object
) -> web.HTTPError:
    """An error answered with a page in the viewer's language saying what to do instead."""
    lang = viewer.actor.lang if viewer else console.deps.default_lang
    html = console.render("message.html", lang, viewer=viewer, message_key=key, params=params)
    return error(text=html, content_type="text/html")
