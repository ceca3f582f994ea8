"""WeCom's server API over aiohttp: access tokens, app messages, app group chats, group robots,
and temporary media (the files image and file messages carry).

Every call goes through one loop that keeps WeCom's rules: the access token is fetched with
`gettoken`, cached until it expires, and fetched again once when WeCom calls it invalid or expired
(40014, 42001); sends wait under the per-robot, per-member and per-app limits; a rate-limit answer
(45009, 130101) waits a minute and tries again; WeCom being busy (-1), HTTP 5xx and network
failures are retried with backoff. Anything else is our mistake or the recipient's state, logged
with WeCom's own message and not retried. A call never raises: a failed send never stops the bot.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from bot.channels.send_limits import Limit, SendLimits, Window
from bot.channels.unusable import CHECK_SECONDS, ChannelUnusable

log = logging.getLogger(__name__)

TOKEN_INVALID = frozenset({40014, 42001})  # invalid access_token, access_token expired
RATE_LIMITED = frozenset({45009, 130101})  # API frequency out of limit; robot sending too often
BUSY = -1  # "system busy": try again
CHAT_MISSING = 86003  # appchat/send to a chat id that was never created
ATTEMPTS = 5
RATE_LIMIT_PAUSE = 60.0  # WeCom counts per minute
TOKEN_MARGIN = 300.0  # fetch a new token this long before the old one expires
TIMEOUT = aiohttp.ClientTimeout(total=15)
TEXT_LIMIT = 2048  # bytes: app text messages and robot text messages
IMAGE_LIMIT = 2 * 1024 * 1024  # bytes: the smallest image limit WeCom documents; larger goes as a file
FILE_LIMIT = 20 * 1024 * 1024  # bytes: temporary files
MARKDOWN_LIMIT = 4096  # bytes: robot markdown messages

MediaKind = Literal["image", "file"]

# WeCom's documented limits. Robots: 20 messages a minute each. App messages: 30 a minute and
# 1000 an hour to one member; 20,000 person-times a minute for the whole corp. App group chats
# have no stated per-chat rate: the robots' 20 a minute is used as a conservative one.
ROBOT = (Window(20, 60),)
MEMBER = (Window(30, 60), Window(1000, 3600))
APP_CHAT = (Window(20, 60),)
APP = (Window(20_000, 60),)


@dataclass(frozen=True)
class Outcome:
    """What a call came to: WeCom's answer when it succeeded, else the last errcode seen."""

    ok: bool
    body: dict[str, Any]
    errcode: int | None = None

    @classmethod
    def failed(cls, errcode: int | None = None) -> Outcome:
        return cls(False, {}, errcode)


class WecomApi:
    def __init__(
        self,
        base: str,
        corp_id: str,
        secret: str,
        agent_id: int,
        *,
        limits: SendLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base = base.rstrip("/")
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id
        self.limits = limits or SendLimits(clock, sleep)
        self.clock = clock
        self.sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    # --- messages ---------------------------------------------------------------------------

    async def send_to_user(self, user_id: str, content: str, *, markdown: bool = False) -> Outcome:
        kind = "markdown" if markdown else "text"
        body = {"touser": user_id, "msgtype": kind, "agentid": self.agent_id, kind: {"content": content}}
        return await self.call("message/send", body, limits=[(("member", user_id), MEMBER), ("app", APP)])

    async def send_to_chat(self, chat_id: str, content: str, *, markdown: bool = False) -> Outcome:
        kind = "markdown" if markdown else "text"
        body = {"chatid": chat_id, "msgtype": kind, kind: {"content": content}}
        return await self.call("appchat/send", body, limits=[(("chat", chat_id), APP_CHAT), ("app", APP)])

    async def upload(self, kind: MediaKind, name: str, data: bytes) -> str | None:
        """A temporary media file (kept by WeCom for three days) for an image or file message:
        its media_id, or None if WeCom would not take it."""
        outcome = await self.call("media/upload", {}, upload=(kind, name, data))
        media_id = outcome.body.get("media_id") if outcome.ok else None
        return str(media_id) if media_id else None

    async def send_media_to_user(self, user_id: str, kind: MediaKind, media_id: str) -> Outcome:
        body = {"touser": user_id, "msgtype": kind, "agentid": self.agent_id, kind: {"media_id": media_id}}
        return await self.call("message/send", body, limits=[(("member", user_id), MEMBER), ("app", APP)])

    async def send_media_to_chat(self, chat_id: str, kind: MediaKind, media_id: str) -> Outcome:
        body = {"chatid": chat_id, "msgtype": kind, kind: {"media_id": media_id}}
        return await self.call("appchat/send", body, limits=[(("chat", chat_id), APP_CHAT), ("app", APP)])

    async def create_chat(self, chat_id: str, name: str, owner: str, members: Sequence[str]) -> Outcome:
        body = {"chatid": chat_id, "name": name, "owner": owner, "userlist": list(members)}
        return await self.call("appchat/create", body, limits=[("app", APP)])

    async def send_robot(
        self, key: str, content: str, *, markdown: bool = False, mentioned: Sequence[str] = ()
    ) -> Outcome:
        kind = "markdown" if markdown else "text"
        message: dict[str, Any] = {"content": content}
        if mentioned and not markdown:  # markdown mentions are written inline as <@userid>
            message["mentioned_list"] = list(mentioned)
        return await self.call(
            "webhook/send", {"msgtype": kind, kind: message}, robot_key=key, limits=[(("robot", key), ROBOT)]
        )

    # --- members: the directory and OAuth ----------------------------------------------------

    async def member(self, user_id: str) -> Outcome:
        """`user/get`: the member as the directory shows them to this app (apps created after
        2022-06-20 get no `mobile` in it)."""
        return await self.call("user/get", {}, query={"userid": user_id})

    async def oauth_identity(self, code: str) -> Outcome:
        """`auth/getuserinfo`: who consented on the OAuth page (`userid`, and `user_ticket` for
        a member in the app's visible range). A code is used once and lasts five minutes:
        otherwise 40029."""
        return await self.call("auth/getuserinfo", {}, query={"code": code})

    async def oauth_detail(self, user_ticket: str) -> Outcome:
        """`auth/getuserdetail`: the fields the member consented to share (`mobile` among them
        under scope snsapi_privateinfo, where the admin chose it for the app)."""
        return await self.call("auth/getuserdetail", {"user_ticket": user_ticket})

    # --- the call loop ------------------------------------------------------------------------

    async def call(
        self,
        path: str,
        body: dict[str, Any],
        *,
        query: dict[str, str] | None = None,
        robot_key: str | None = None,
        limits: Sequence[Limit] = (),
        upload: tuple[MediaKind, str, bytes] | None = None,
    ) -> Outcome:
        """One API call with WeCom's rules kept (see the module's docstring): a GET with `query`
        (its parameters beside the access token), else a POST of `body`. With `upload` (kind,
        file name, content) the call is a multipart file upload instead of JSON."""
        refreshed = False
        errcode: int | None = None
        attempt = 0
        while attempt < ATTEMPTS:
            if robot_key is not None:
                params = {"key": robot_key}
            else:
                token = await self.token()
                if token is None:
                    return Outcome.failed(errcode)
                params = {"access_token": token}
            await self.limits.wait(*limits)
            if upload is not None:
                kind, name, data = upload
                answer = await self._request("POST", path, {**params, "type": kind}, None, (name, data))
            elif query is not None:
                answer = await self._get(path, {**params, **query})
            else:
                answer = await self._post(path, params, body)
            if answer is None:  # the network or WeCom's servers failed: try again a little later
                attempt += 1
                await self.sleep(backoff(attempt))
                continue
            errcode = int(answer.get("errcode", 0))
            if errcode == 0:
                return Outcome(True, answer)
            if errcode in TOKEN_INVALID and robot_key is None and not refreshed:
                refreshed = True  # once: a token refused twice in a row is not a stale-cache problem
                self.forget_token()
                continue
            if errcode in RATE_LIMITED:
                attempt += 1
                log.warning("WeCom %s: rate limited (%s), waiting a minute", path, errcode)
                await self.sleep(RATE_LIMIT_PAUSE)
                continue
            if errcode == BUSY:
                attempt += 1
                await self.sleep(backoff(attempt))
                continue
            log.warning(
                "WeCom %s refused (errcode %s: %s); not retried", path, errcode, answer.get("errmsg", "")
            )
            return Outcome(False, answer, errcode)
        log.warning("WeCom %s: gave up after %s attempts (last errcode %s)", path, ATTEMPTS, errcode)
        return Outcome.failed(errcode)

    async def token(self) -> str | None:
        """The cached access token, fetched when missing or about to expire; None if WeCom refuses."""
        async with self._token_lock:
            if self._token is not None and self.clock() < self._token_expires:
                return self._token
            for attempt in range(1, ATTEMPTS + 1):
                answer = await self._get("gettoken", {"corpid": self.corp_id, "corpsecret": self.secret})
                if answer is None or answer.get("errcode") == BUSY:
                    await self.sleep(backoff(attempt))
                    continue
                if answer.get("errcode", 0) != 0 or "access_token" not in answer:
                    log.error(
                        "WeCom gettoken refused (errcode %s: %s): check channels.wecom.corp_id and secret",
                        answer.get("errcode"),
                        answer.get("errmsg", ""),
                    )
                    return None
                self._token = str(answer["access_token"])
                lifetime = float(answer.get("expires_in", 7200))
                self._token_expires = self.clock() + max(lifetime - TOKEN_MARGIN, lifetime / 2)
                return self._token
            log.error("WeCom gettoken failed %s times in a row", ATTEMPTS)
            return None

    async def check(self) -> None:
        """At start: one gettoken, answered with a token; else ChannelUnusable saying what to fix."""
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                answer = await self._request(
                    "GET", "gettoken", {"corpid": self.corp_id, "corpsecret": self.secret}, None, quiet=True
                )
        except TimeoutError:
            answer = None
        if answer is None:
            raise ChannelUnusable(
                f"xiaoer: cannot reach the WeCom API at {self.base}: check channels.wecom.api_base and "
                "that this machine can connect to it (proxy, firewall)"
            )
        if answer.get("errcode", 0) != 0 or "access_token" not in answer:
            raise ChannelUnusable(
                f"xiaoer: WeCom refused the app's credentials (errcode {answer.get('errcode')}: "
                f"{answer.get('errmsg', '')}): check channels.wecom.corp_id and "
                "XIAOER_CHANNELS__WECOM__SECRET"
            )
        self._token = str(answer["access_token"])
        lifetime = float(answer.get("expires_in", 7200))
        self._token_expires = self.clock() + max(lifetime - TOKEN_MARGIN, lifetime / 2)

    def forget_token(self) -> None:
        self._token, self._token_expires = None, 0.0

    # --- HTTP -----------------------------------------------------------------------------------

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def _post(self, path: str, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any] | None:
        return await self._request("POST", path, params, body)

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any] | None:
        return await self._request("GET", path, params, None)

    async def _request(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        body: dict[str, Any] | None,
        file: tuple[str, bytes] | None = None,
        *,
        quiet: bool = False,
    ) -> dict[str, Any] | None:
        """WeCom's JSON answer; None when worth trying again (network, HTTP 5xx, not JSON).
        `quiet`: the caller says what failed (the start-up check's one line), so no warning here."""
        warn = log.debug if quiet else log.warning
        url = f"{self.base}/cgi-bin/{path}"
        form = None
        if file is not None:  # built anew for each attempt: aiohttp sends a form once
            name, data = file
            form = aiohttp.FormData()
            form.add_field("media", data, filename=name, content_type=_content_type(name))
        try:
            async with self.session().request(method, url, params=params, json=body, data=form) as response:
                if response.status >= 500:
                    warn("WeCom %s: HTTP %s", path, response.status)
                    return None
                if response.status >= 400:
                    warn("WeCom %s: HTTP %s, not retried", path, response.status)
                    return {"errcode": response.status, "errmsg": f"HTTP {response.status}"}
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            warn("WeCom %s failed: %s", path, _describe(error))
            return None
        if not isinstance(answer, dict):
            warn("WeCom %s: not a JSON object", path)
            return None
        return answer

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def split_utf8(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut at a line end where one is near, never inside
    a character."""
    pieces: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > limit:
        head = rest.encode("utf-8")[:limit].decode("utf-8", errors="ignore")  # whole characters
        cut = head.rfind("\n")
        if cut < len(head) // 2:  # no line end in the second half: cut at the limit
            cut = len(head)
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    pieces.append(rest)
    return [piece for piece in pieces if piece.strip()] or pieces[:1]  # WeCom refuses empty content


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def backoff(attempt: int) -> float:
    return float(min(0.5 * 2 ** (attempt - 1), 8.0))


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
