"""The mobile WeCom vouches for, for binding a member to their enterprise (handlers/mobile_binding.py).

Two ways, as WeCom documents them. Apps created before 2022-06-20 read it from the directory
(`user/get` returns `mobile`); newer self-built apps get it only with the member's consent: the
member opens the OAuth page (`/connect/oauth2/authorize`, scope `snsapi_privateinfo`), WeCom sends
their browser back to `mobile_path` with `code` and our `state`, and the app exchanges the code
(`auth/getuserinfo`: `userid` and `user_ticket`) for the consented fields (`auth/getuserdetail`:
`mobile`). The first `user/get` answered without `mobile` shows that this app is a newer one: the
directory is not asked again, and members are offered the link instead.

The directory is asked while a member's message is being handled, so briefly (LOOKUP_SECONDS) and
with its answers remembered a while (REMEMBER_SECONDS): a member writing several messages costs one
call. The redirect checks our `state` before it asks WeCom anything, and the member the code names
must be the one the link was made for.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from urllib.parse import urlencode

from aiohttp import web

from bot.channels.plugin import Host
from bot.channels.wecom.api import WecomApi
from bot.channels.wecom.config import WecomConfig
from bot.domain.messages import Reply
from handlers import mobile_binding
from handlers.mobile_binding import Consented

log = logging.getLogger(__name__)

CHANNEL = "wecom"
LOOKUP_SECONDS = 3.0
REMEMBER_SECONDS = 600.0
REMEMBERED = 10_000  # members whose answer is kept at most
STATE = re.compile(r"[A-Za-z0-9]{1,128}")  # what WeCom carries back as `state`
CODE_LIMIT = 512  # bytes: WeCom's OAuth codes are at most this long

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: sans-serif; margin: 2em; line-height: 1.6"><h1 style="font-size: 1.2em">{title}</h1>
<p>{body}</p></body></html>
"""


class WecomMobiles:
    """The handlers' MobileSource for WeCom, and the OAuth redirect's route."""

    def __init__(
        self,
        api: WecomApi,
        config: WecomConfig,
        host: Host,
        public_url: str | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self.config = config
        self.host = host
        self.public_url = public_url  # the runtime's web server as browsers reach it (`web.url`)
        self.clock = clock
        self.reads_directory = True  # until WeCom answers `user/get` without `mobile`
        self._remembered: OrderedDict[str, tuple[float, str | None]] = OrderedDict()

    @property
    def link_minutes(self) -> int:
        return self.config.mobile_link_minutes

    # --- the directory --------------------------------------------------------------------------

    async def mobile_of(self, user_id: str) -> str | None:
        if not self.reads_directory:
            return None
        remembered = self._remembered.get(user_id)
        if remembered is not None and self.clock() < remembered[0]:
            return remembered[1]
        try:
            async with asyncio.timeout(LOOKUP_SECONDS):
                answer = await self.api.member(user_id)
        except TimeoutError:
            log.warning(
                "WeCom user/get for %s took over %s s: not bound by mobile now", user_id, LOOKUP_SECONDS
            )
            return None
        if not answer.ok:  # out of the app's range (60011), gone (60111): as if it had none
            if answer.body:  # WeCom said so (not a network failure): no need to ask again soon
                self._remember(user_id, None)
            return None
        if "mobile" not in answer.body:
            self.reads_directory = False
            log.info(
                "WeCom gives this app no members' mobiles (apps created after 2022-06-20): members "
                "are offered the consent link instead"
            )
            return None
        mobile = str(answer.body.get("mobile") or "") or None
        self._remember(user_id, mobile)
        return mobile

    def _remember(self, user_id: str, mobile: str | None) -> None:
        self._remembered[user_id] = (self.clock() + REMEMBER_SECONDS, mobile)
        self._remembered.move_to_end(user_id)
        while len(self._remembered) > REMEMBERED:
            self._remembered.popitem(last=False)

    # --- consent --------------------------------------------------------------------------------

    def consent_link(self, state: str) -> str | None:
        if self.public_url is None:
            return None
        query = urlencode(
            {
                "appid": self.api.corp_id,
                "redirect_uri": self.public_url.rstrip("/") + self.config.mobile_path,
                "response_type": "code",
                "scope": "snsapi_privateinfo",
                "state": state,
                "agentid": self.api.agent_id,
            }
        )
        return f"{self.config.oauth_base.rstrip('/')}/connect/oauth2/authorize?{query}#wechat_redirect"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(self.config.mobile_path, self._consented)

    async def _consented(self, request: web.Request) -> web.Response:
        """WeCom's redirect after the member consented: `code` and our `state`."""
        deps = self.host.deps
        state = request.query.get("state", "")
        code = request.query.get("code", "")
        refused = await mobile_binding.refused_link(deps, state if STATE.fullmatch(state) else None)
        if refused is not None:
            return _page(refused, 403)
        user_id, mobile = await self._exchange(code)
        if user_id is None:
            return _page(mobile_binding.not_told(deps), 502)
        said: list[Consented] = []

        async def consent() -> Sequence[Reply]:
            consented = await mobile_binding.consent_given(deps, CHANNEL, state, user_id, mobile)
            said.append(consented)
            return consented.replies

        await self.host.act(consent)
        return _page(said[0], 200)

    async def _exchange(self, code: str) -> tuple[str | None, str | None]:
        """Who consented and the mobile they shared (None, None: WeCom would not say)."""
        if not code or len(code.encode("utf-8")) > CODE_LIMIT:
            return None, None
        identity = await self.api.oauth_identity(code)  # 40029: a code used or five minutes old
        user_id = identity.body.get("userid") if identity.ok else None
        ticket = identity.body.get("user_ticket") if identity.ok else None
        if not user_id or not ticket:  # not a member, or outside the app's visible range
            return None, None
        detail = await self.api.oauth_detail(str(ticket))
        if not detail.ok:
            return None, None
        return str(user_id), str(detail.body.get("mobile") or "") or None


def _page(consented: Consented, status: int) -> web.Response:
    title, body = mobile_binding.page_text(consented)
    text = PAGE.format(lang=html.escape(consented.lang), title=html.escape(title), body=html.escape(body))
    return web.Response(text=text, status=status, content_type="text/html")
