"""A fake WeCom server on 127.0.0.1 for tests: real HTTP, WeCom's JSON and errcodes.

It answers `gettoken`, `media/upload`, `message/send`, `appchat/create`, `appchat/send` and
`webhook/send?key=` as WeCom does (40014 for a token it never issued, 42001 for one it expired,
45009 past 20 messages a minute per robot, counted on the clock it is given, 45002 past the size
limits, 40004 for an unknown media type, 40005 for an image that is not a JPG or PNG, 40007 for a
media id it never issued),
records what was sent, and can fail the next calls on purpose.

The directory and OAuth, as WeCom documents them: `user/get` answers a member it was told of
(60111 for one it was not), with `mobile` only while `directory_mobiles` is on (apps created
before 2022-06-20; newer ones never get it); `/connect/oauth2/authorize` (open.weixin.qq.com's
page) checks its parameters, takes the member the browser is signed in as, and redirects to
`redirect_uri?code=CODE&state=STATE`; `auth/getuserinfo` turns a code into `userid` and
`user_ticket` once, within five minutes (40029 for a code used, expired or never issued);
`auth/getuserdetail` gives the consented fields, `mobile` among them, for a ticket within 30 minutes.

It also plays WeCom's side of the callback: members' messages and menu clicks, signed and
encrypted with wechatpy (an independent implementation of the algorithm), POSTed to the bot's
callback URL.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import xmltodict
from aiohttp import ClientSession, web
from wechatpy.enterprise.crypto import WeChatCrypto

from tests.loopback import LoopbackServer, wait_for_sent

CORP_ID = "ww8a0c3d5e7f901234"
AGENT_ID = 1000002
SECRET = "app-secret-for-tests"
TOKEN = "XiaoerCallback2026"
AES_KEY = "kX9qT2mVb7LcR4nWz8pYh3sDf6gJa1eUo5iKt0rNv2Q"
ROBOT_LIMIT = 20  # messages a minute per robot, WeCom's documented limit
CODE_SECONDS = 300  # an OAuth code lasts five minutes
TICKET_SECONDS = 1800  # a user_ticket, half an hour
MEMBER_HEADER = "X-Fake-Wecom-Member"  # whom the browser opening the OAuth page is signed in as


class FakeTime:
    """Platform time for the send limits and the fake's own counting: a sleep moves it on at once,
    so minutes of rate limits pass in an instant and no test waits on the wall clock."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


@dataclass
class Sent:
    kind: str  # "user", "chat" or "robot"
    to: str  # user id, chat id, or robot key
    msgtype: str
    content: str
    at: float
    mentioned: list[str] = field(default_factory=list)
    media: bytes | None = None  # an image or file message: the file's content (content: its name)


@dataclass
class Answer:
    status: int
    text: str


class FakeWecom(LoopbackServer):
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        robot_limit: int = ROBOT_LIMIT,
        corp_id: str = CORP_ID,
        secret: str = SECRET,
        agent_id: int = AGENT_ID,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.robot_limit = robot_limit
        self.corp_id, self.secret, self.agent_id = corp_id, secret, agent_id
        self.sent: list[Sent] = []
        self.chats: dict[str, dict[str, Any]] = {}
        self.media: dict[str, tuple[str, str, bytes]] = {}  # media id -> (type, file name, content)
        self.refused: list[tuple[str, int]] = []  # (path, errcode) of every call answered with an error
        self.calls: list[str] = []
        self.token_requests = 0
        self._issued: set[str] = set()
        self._valid: set[str] = set()
        # path -> HTTP status or errcode for each next call (None: answered as usual)
        self._failures: dict[str, list[int | None]] = defaultdict(list)
        self._robot_stamps: dict[str, list[float]] = defaultdict(list)
        self._ids = itertools.count(1)
        self.members: dict[str, str] = {}  # user id -> the mobile on their profile ("" for none)
        self.directory_mobiles = True  # user/get includes `mobile` (an app from before 2022-06-20)
        self._codes: dict[str, tuple[str, str, float]] = {}  # OAuth code -> (user, scope, issued at)
        self._used_codes: set[str] = set()
        self._tickets: dict[str, tuple[str, float]] = {}  # user_ticket -> (user, issued at)

    # --- running -------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        app.router.add_get("/cgi-bin/user/get", self._member)
        app.router.add_get("/cgi-bin/auth/getuserinfo", self._oauth_identity)
        app.router.add_get("/connect/oauth2/authorize", self._authorize)
        app.router.add_post("/cgi-bin/{path:.+}", self._dispatch)

    # --- steering ------------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every token issued so far expires: the next call with one gets 42001."""
        self._valid.clear()

    def revoke_tokens(self) -> None:
        """Forget every token issued (as after the app's secret is reset): the next call gets 40014."""
        self._issued.clear()
        self._valid.clear()

    def fail(self, path: str, *answers: int, after: int = 0) -> None:
        """Answer the next calls to `path` (e.g. "message/send") with these: an HTTP status
        (5xx) or a WeCom errcode (-1, 42001, 45009, ...); `after` calls first answered as usual."""
        self._failures[path].extend([None] * after + list(answers))

    # --- WeCom's side of the callback ------------------------------------------------------------

    def callback(
        self,
        inner_xml: str,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        corp_id: str | None = None,
        token: str = TOKEN,
    ) -> tuple[dict[str, str], bytes]:
        """The query and body WeCom would POST for this message (tests may tamper with either)."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        once = nonce or str(next(self._ids) * 7919 + 1234567)
        crypto = WeChatCrypto(token, AES_KEY, corp_id or self.corp_id)
        reply = xmltodict.parse(crypto.encrypt_message(inner_xml, once, stamp))["xml"]
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<AgentID><![CDATA[{self.agent_id}]]></AgentID>"
            f"<Encrypt><![CDATA[{reply['Encrypt']}]]></Encrypt></xml>"
        )
        query = {"msg_signature": reply["MsgSignature"], "timestamp": stamp, "nonce": once}
        return query, body.encode("utf-8")

    def text_xml(self, user_id: str, text: str, msg_id: int | None = None) -> str:
        return _xml(
            ToUserName=self.corp_id,
            FromUserName=user_id,
            CreateTime=str(int(time.time())),
            MsgType="text",
            Content=text,
            MsgId=str(msg_id if msg_id is not None else 7_000_000_000_000_000_000 + next(self._ids)),
            AgentID=str(self.agent_id),
        )

    def image_xml(self, user_id: str, media_id: str) -> str:
        return _xml(
            ToUserName=self.corp_id,
            FromUserName=user_id,
            CreateTime=str(int(time.time())),
            MsgType="image",
            PicUrl=f"https://wework.qpic.cn/{media_id}",
            MediaId=media_id,
            MsgId=str(7_000_000_000_000_000_000 + next(self._ids)),
            AgentID=str(self.agent_id),
        )

    def click_xml(self, user_id: str, key: str) -> str:
        return _xml(
            ToUserName=self.corp_id,
            FromUserName=user_id,
            CreateTime=str(int(time.time()) + next(self._ids)),
            MsgType="event",
            Event="click",
            EventKey=key,
            AgentID=str(self.agent_id),
        )

    async def post(self, url: str, query: dict[str, str], body: bytes) -> Answer:
        async with (
            ClientSession() as http,
            http.post(f"{url}?{urlencode(query)}", data=body, headers={"Content-Type": "text/xml"}) as r,
        ):
            return Answer(r.status, await r.text())

    async def member_sends(self, url: str, user_id: str, text: str) -> Answer:
        return await self.post(url, *self.callback(self.text_xml(user_id, text)))

    async def member_sends_image(self, url: str, user_id: str, media_id: str) -> Answer:
        return await self.post(url, *self.callback(self.image_xml(user_id, media_id)))

    async def member_clicks(self, url: str, user_id: str, key: str) -> Answer:
        return await self.post(url, *self.callback(self.click_xml(user_id, key)))

    async def verify_url(self, url: str, echo: str, *, token: str = TOKEN) -> Answer:
        """What the admin console does when the callback URL is saved."""
        stamp, nonce = str(int(time.time())), str(next(self._ids) + 424242)
        crypto = WeChatCrypto(token, AES_KEY, self.corp_id)
        reply = xmltodict.parse(crypto.encrypt_message(echo, nonce, stamp))["xml"]
        query = {
            "msg_signature": reply["MsgSignature"],
            "timestamp": stamp,
            "nonce": nonce,
            "echostr": reply["Encrypt"],
        }
        async with ClientSession() as http, http.get(url, params=query) as r:
            return Answer(r.status, await r.text())

    # --- the member's browser (OAuth) -------------------------------------------------------------

    async def member_consents(self, link: str, user_id: str) -> tuple[Answer, str]:
        """A member opens a consent link in WeCom's browser, signed in as `user_id`, and agrees:
        the authorize page redirects, and the browser follows to the bot's page. Returns that page
        and the address it was redirected to (to open again)."""
        async with ClientSession() as http:
            async with http.get(
                link.split("#")[0], headers={MEMBER_HEADER: user_id}, allow_redirects=False
            ) as r:
                if r.status != 302:
                    return Answer(r.status, await r.text()), ""
                location = r.headers["Location"]
            return await self.browser_opens(location), location

    async def browser_opens(self, url: str) -> Answer:
        async with ClientSession() as http, http.get(url, allow_redirects=False) as r:
            return Answer(r.status, await r.text())

    # --- what was sent -------------------------------------------------------------------------

    def to(self, recipient: str) -> list[Sent]:
        return [s for s in self.sent if s.to == recipient]

    async def wait_text(self, recipient: str, fragment: str, within: float = 15.0) -> Sent:
        """Until the bot has sent that user, chat or robot a message containing `fragment`."""
        return await wait_for_sent(
            lambda: [s for s in self.to(recipient) if fragment in s.content],
            lambda: (
                f"nothing to {recipient} with {fragment!r}; the bot sent:\n"
                + "\n".join(f"{s.kind} {s.to}: {s.content[:100]!r}" for s in self.sent)
            ),
            within,
        )

    async def wait_until_calls(self, path: str, count: int, within: float = 15.0) -> None:
        deadline = time.monotonic() + within
        while self.calls.count(path) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} was called {self.calls.count(path)} times, not {count}")
            await asyncio.sleep(0.02)

    # --- the API -------------------------------------------------------------------------------

    async def _gettoken(self, request: web.Request) -> web.Response:
        self.calls.append("gettoken")
        self.token_requests += 1
        if request.query.get("corpid") != self.corp_id:
            return self._error("gettoken", 40013, "invalid corpid")
        if request.query.get("corpsecret") != self.secret:
            return self._error("gettoken", 40001, "invalid credential")
        token = f"token-{next(self._ids)}"
        self._issued.add(token)
        self._valid.add(token)
        return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    def _called(self, path: str, request: web.Request) -> web.Response | None:
        """Record a GET call; WeCom's answer if its token is not good."""
        self.calls.append(path)
        return self._token_refused(path, request)

    def _token_refused(self, path: str, request: web.Request) -> web.Response | None:
        token = request.query.get("access_token", "")
        if token not in self._issued:
            return self._error(path, 40014, "invalid access_token")
        if token not in self._valid:
            return self._error(path, 42001, "access_token expired")
        return None

    async def _member(self, request: web.Request) -> web.Response:
        refused = self._called("user/get", request)
        if refused is not None:
            return refused
        user_id = request.query.get("userid", "")
        if user_id not in self.members:
            return self._error("user/get", 60111, "userid not found")
        member: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "userid": user_id, "name": user_id}
        member.update(department=[1], position="", status=1, enable=1)
        if self.directory_mobiles:
            member["mobile"] = self.members[user_id]
        return web.json_response(member)

    async def _authorize(self, request: web.Request) -> web.Response:
        """open.weixin.qq.com's OAuth page: the member (signed in) has agreed; redirect with a code."""
        self.calls.append("oauth2/authorize")
        q = request.query
        scope = q.get("scope", "")
        problems = [
            q.get("appid") != self.corp_id and "appid",
            q.get("response_type") != "code" and "response_type",
            scope not in ("snsapi_base", "snsapi_privateinfo") and "scope",
            scope == "snsapi_privateinfo" and q.get("agentid") != str(self.agent_id) and "agentid",
            not re.fullmatch(r"[A-Za-z0-9]{0,128}", q.get("state", "")) and "state",
            not q.get("redirect_uri", "").startswith(("http://", "https://")) and "redirect_uri",
        ]
        wrong = [p for p in problems if p]
        user_id = request.headers.get(MEMBER_HEADER, "")
        if wrong or user_id not in self.members:
            return web.Response(status=400, text=f"参数错误 {wrong or 'member'}")
        code = f"code{next(self._ids)}x{secrets.token_hex(8)}"
        self._codes[code] = (user_id, scope, self.clock())
        separator = "&" if "?" in q["redirect_uri"] else "?"
        location = q["redirect_uri"] + separator + urlencode({"code": code, "state": q.get("state", "")})
        raise web.HTTPFound(location)

    async def _oauth_identity(self, request: web.Request) -> web.Response:
        refused = self._called("auth/getuserinfo", request)
        if refused is not None:
            return refused
        code = request.query.get("code", "")
        issued = self._codes.get(code)
        if issued is None or code in self._used_codes or self.clock() - issued[2] > CODE_SECONDS:
            return self._error("auth/getuserinfo", 40029, "invalid code")
        self._used_codes.add(code)
        user_id, scope, _ = issued
        answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "userid": user_id}
        if scope == "snsapi_privateinfo":
            ticket = f"ticket{next(self._ids)}x{secrets.token_hex(8)}"
            self._tickets[ticket] = (user_id, self.clock())
            answer["user_ticket"] = ticket
            answer["expires_in"] = TICKET_SECONDS
        return web.json_response(answer)

    def _oauth_detail(self, body: dict[str, Any]) -> web.Response:
        ticket = self._tickets.get(str(body.get("user_ticket", "")))
        if ticket is None or self.clock() - ticket[1] > TICKET_SECONDS:
            # WeCom documents no code of its own for this; any errcode is a refusal to the bot
            return self._error("auth/getuserdetail", 40029, "invalid user_ticket")
        user_id = ticket[0]
        return web.json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "userid": user_id,
                "gender": "0",
                "avatar": "",
                "qr_code": "",
                "mobile": self.members.get(user_id, ""),
                "email": "",
                "biz_mail": "",
                "address": "",
            }
        )

    async def _dispatch(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        self.calls.append(path)
        failure = self._failures[path].pop(0) if self._failures[path] else None
        if failure is not None:
            if 500 <= failure < 600:  # an HTTP status; anything else is an errcode
                return web.Response(status=failure, text="Bad Gateway")
            return self._error(path, failure, "injected failure")
        if path != "webhook/send" and (refused := self._token_refused(path, request)) is not None:
            return refused
        if path == "media/upload":
            return await self._upload(request)
        try:
            body = await request.json()
        except ValueError:
            return self._error(path, 47001, "data format error")
        if path == "webhook/send":
            return self._robot(request.query.get("key", ""), body)
        if path == "message/send":
            return self._message(body)
        if path == "appchat/create":
            return self._create_chat(body)
        if path == "appchat/send":
            return self._chat_message(body)
        if path == "auth/getuserdetail":
            return self._oauth_detail(body)
        return self._error(path, 404, f"the fake has no {path}")

    async def _upload(self, request: web.Request) -> web.Response:
        kind = request.query.get("type", "")
        if kind not in ("image", "voice", "video", "file"):
            return self._error("media/upload", 40004, "invalid media type")
        if not request.content_type.startswith("multipart/form-data"):
            return self._error("media/upload", 41005, "media data missing")
        form = await request.post()
        media = form.get("media")
        if not isinstance(media, web.FileField):
            return self._error("media/upload", 41005, "media data missing")
        data = media.file.read()
        if len(data) <= 5 or len(data) > (10 if kind == "image" else 20) * 1024 * 1024:
            return self._error("media/upload", 40006, "invalid file size")
        if kind == "image" and not data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
            return self._error("media/upload", 40005, "invalid file type")
        media_id = f"media-{next(self._ids)}"
        self.media[media_id] = (kind, media.filename, data)
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id, "created_at": "1380000000"}
        )

    def _message(self, body: dict[str, Any]) -> web.Response:
        if body.get("agentid") != self.agent_id:
            return self._error("message/send", 40056, "invalid agentid")
        kind, content = self._content(body)
        if len(content.encode("utf-8")) > 2048:
            return self._error("message/send", 45002, "content size out of limit")
        valid, media = self._media_of(kind, body)
        if not valid:
            return self._error("message/send", 40007, "invalid media_id")
        for user in str(body.get("touser", "")).split("|"):
            self.sent.append(Sent("user", user, kind, content, self.clock(), media=media))
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": str(next(self._ids))}
        )

    def _create_chat(self, body: dict[str, Any]) -> web.Response:
        members = list(body.get("userlist", []))
        if not 2 <= len(members) <= 2000:
            return self._error("appchat/create", 86006, "chat member count out of range")
        chat_id = str(body.get("chatid") or f"chat{next(self._ids)}")
        if chat_id in self.chats:
            return self._error("appchat/create", 86215, "chatid already exists")
        self.chats[chat_id] = {"name": body.get("name"), "owner": body.get("owner"), "userlist": members}
        return web.json_response({"errcode": 0, "errmsg": "ok", "chatid": chat_id})

    def _chat_message(self, body: dict[str, Any]) -> web.Response:
        chat_id = str(body.get("chatid", ""))
        if chat_id not in self.chats:
            return self._error("appchat/send", 86003, "chatid not exists")
        kind, content = self._content(body)
        if len(content.encode("utf-8")) > 2048:
            return self._error("appchat/send", 45002, "content size out of limit")
        valid, media = self._media_of(kind, body)
        if not valid:
            return self._error("appchat/send", 40007, "invalid media_id")
        self.sent.append(Sent("chat", chat_id, kind, content, self.clock(), media=media))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def _robot(self, key: str, body: dict[str, Any]) -> web.Response:
        if not key:
            return self._error("webhook/send", 93000, "invalid webhook url")
        now = self.clock()
        recent = [at for at in self._robot_stamps[key] if now - at < 60]
        self._robot_stamps[key] = recent
        if len(recent) >= self.robot_limit:
            return self._error("webhook/send", 45009, "api freq out of limit")
        kind, content = self._content(body)
        if len(content.encode("utf-8")) > (4096 if kind == "markdown" else 2048):
            return self._error("webhook/send", 45002, "content size out of limit")
        recent.append(now)
        mentioned = list(body.get(kind, {}).get("mentioned_list", []))
        self.sent.append(Sent("robot", key, kind, content, now, mentioned))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def _content(self, body: dict[str, Any]) -> tuple[str, str]:
        """The message's type and what to record as its content (a media message: the file name)."""
        kind = str(body.get("msgtype", ""))
        if kind in ("image", "file"):
            stored = self.media.get(str(body.get(kind, {}).get("media_id", "")))
            return kind, stored[1] if stored else ""
        return kind, str(body.get(kind, {}).get("content", ""))

    def _media_of(self, kind: str, body: dict[str, Any]) -> tuple[bool, bytes | None]:
        """Whether the message is acceptable (a media id this server issued, for that type), and
        the file it carries (None for a message without one)."""
        if kind not in ("image", "file"):
            return True, None
        stored = self.media.get(str(body.get(kind, {}).get("media_id", "")))
        if stored is None or stored[0] != kind:
            return False, None
        return True, stored[2]

    def _error(self, path: str, errcode: int, errmsg: str) -> web.Response:
        self.refused.append((path, errcode))
        return web.json_response({"errcode": errcode, "errmsg": errmsg})


def _xml(**fields: str) -> str:
    inner = "".join(
        f"<{name}>{value}</{name}>" if value.isdigit() else f"<{name}><![CDATA[{value}]]></{name}>"
        for name, value in fields.items()
    )
    return f"<xml>{inner}</xml>"
