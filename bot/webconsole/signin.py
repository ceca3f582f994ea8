"""Signing in with the link `/web` sent (a page with a button first: a chat app fetching the link
for a preview must not use it up), signing out, and the language of the pages."""

from __future__ import annotations

import secrets
from datetime import timedelta

from aiohttp import web

from bot.domain.web_console import session_end, token_hash
from bot.i18n import LANGUAGES
from bot.webconsole.access import (
    COOKIE_PATH,
    LANG_COOKIE,
    SESSION_COOKIE,
    checked_form,
    lang_of,
    posted_form,
    required,
)
from bot.webconsole.console import CONSOLE
from handlers.web_signin import TOKEN_BYTES
from storage.web_protocols import TokenKind, TokenState


async def sign_in_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    lang = lang_of(request, console.deps.default_lang)
    token = request.query.get("token", "")
    return console.page("signin.html", lang, viewer=None, token=token[:100])


async def sign_in(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    deps = console.deps
    lang = lang_of(request, deps.default_lang)
    form = await posted_form(request)
    token = form.get("token")
    now = deps.clock()
    if not isinstance(token, str) or not token:
        return console.page(
            "message.html", lang, 403, viewer=None, message_key="console.link_unknown", params={}
        )
    async with deps.storage() as uow:
        state, link = await uow.web.redeem_link(token_hash(token), now)
        officer = deps.directory.officers.get(link.officer_id) if link else None
        if (
            state is TokenState.VALID
            and link is not None
            and officer is not None
            and officer.role.value == link.role
        ):
            session = secrets.token_urlsafe(TOKEN_BYTES)
            expires = session_end(now, deps.sla.calendar, timedelta(hours=console.options.session_hours))
            await uow.web.add_token(
                token_hash(session), TokenKind.SESSION, officer.id, link.role, now, expires
            )
            await uow.web.audit(now, officer.id, "sign_in", None, link.role)
            await uow.commit()
            response = web.HTTPSeeOther(location=f"{COOKIE_PATH}/")
            response.set_cookie(
                SESSION_COOKIE,
                session,
                path=COOKIE_PATH,
                httponly=True,
                secure=console.options.secure_cookies,
                samesite="Lax",
                max_age=int((expires - now).total_seconds()),
            )
            raise response
        reason = state.value if state is not TokenState.VALID else "role changed"
        await uow.web.audit(now, link.officer_id if link else None, "sign_in_refused", None, reason)
        await uow.commit()
    key = {
        TokenState.USED: "console.link_used",
        TokenState.EXPIRED: "console.link_expired",
        TokenState.REVOKED: "console.link_expired",
    }.get(state, "console.link_unknown")
    return console.page("message.html", lang, 403, viewer=None, message_key=key, params={})


async def sign_out(request: web.Request) -> web.StreamResponse:
    """This officer's sessions and links end, as `/web logout` ends them."""
    console = request.app[CONSOLE]
    viewer = await required(request)
    await checked_form(request, viewer)
    deps = console.deps
    officer_id = viewer.actor.officer_id
    assert officer_id is not None
    async with deps.storage() as uow:
        ended = await uow.web.revoke(officer_id, deps.clock())
        await uow.web.audit(deps.clock(), officer_id, "logout", None, f"web: {ended} ended")
        await uow.commit()
    response = console.page(
        "message.html", viewer.actor.lang, viewer=None, message_key="console.signed_out", params={}
    )
    response.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


async def choose_language(request: web.Request) -> web.StreamResponse:
    lang = request.match_info["lang"]
    response = web.HTTPSeeOther(location=f"{COOKIE_PATH}/")
    if lang in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, path=COOKIE_PATH, httponly=True, samesite="Lax", max_age=365 * 86400
        )
    raise response
