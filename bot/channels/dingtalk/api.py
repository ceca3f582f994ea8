"""DingTalk's HTTP API over aiohttp, each call's answer told in the outbox's terms.

The app robot speaks the new server API (api.dingtalk.com): an access token from
`POST /v1.0/oauth2/accessToken` {appKey, appSecret}, cached until shortly before it expires and
fetched again once when DingTalk calls it invalid (HTTP 401); private messages through
`POST /v1.0/robot/oToMessages/batchSend`, group messages through `POST /v1.0/robot/groupMessages/send`,
both with the token in the `x-acs-dingtalk-access-token` header and the message as a msgKey
(sampleText, sampleImageMsg, sampleFile) and its msgParam (a JSON string). A file (a report's
chart) is uploaded first through `POST oapi.dingtalk.com/media/upload?access_token=…&type=image|file`
(multipart, the file in `media`; the same access token serves the old server API), and the
message names the media id it answers. A message's session webhook and the custom robots'
webhooks (oapi.dingtalk.com/robot/send) take the robot message JSON and answer errcode/errmsg.

How answers map (https://open.dingtalk.com/document/development/how-to-process-api-throttling-on-the-dingtalk-server):
throttling (Forbidden.AccessDenied.QpsLimit…, a custom robot's 130101 "send too fast") is
`RetryAfter`, nothing was delivered; HTTP 5xx and a connection lost after the request left are
`Transient` and may have delivered; a connection never made is `Transient` and did not; anything
else DingTalk refuses (a person not in the organisation, a group the robot is not in, a keyword or
signature a robot refuses) is `Refused`: it will not pass by trying again. A call never raises.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from bot.channels.dingtalk.config import DingtalkConfig, DingtalkRobotConfig
from bot.channels.dingtalk.signing import signed_query
from bot.channels.send_limits import Limit, SendLimits, Window
from bot.domain.outbox import DeliveryStatus
from bot.outbox import Outcome, Refused, RetryAfter, Sent, Transient

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=15)
TOKEN_MARGIN = 300.0  # seconds: a token is fetched again this long before it expires
QPS_WAIT = 1.0  # DingTalk: the per-app QPS limit is counted per second
ORG_QUOTA_WAIT = 3600.0  # the organisation's monthly call quota is spent: look again in an hour
IP_BAN_WAIT = 300.0  # too many calls from our address: DingTalk bans it for five minutes
ROBOT_THROTTLE_WAIT = 600.0  # a custom robot past 20 a minute is throttled for ten minutes
ROBOT_THROTTLED = frozenset({130101, 410100})  # "send too fast, exceed 20 times per minute"
TOKEN_REFUSED = frozenset({40014, 42001})  # the old server API's "invalid / expired access_token"
BUSY = -1
TEXT_LIMIT = 20_000  # bytes: "message too long, exceed 20000 bytes"
APP_TEXT_LIMIT = 4_000  # bytes: the app robot's sampleText states no limit; kept well under the robots'

# DingTalk's documented limits: each app may call each API 20 times a second (standard edition);
# each custom robot may post 20 messages a minute. A group conversation's app robot has no stated
# rate: the custom robots' 20 a minute is used as a conservative one.
API = (Window(20, 1.0),)
ROBOT = (Window(20, 60.0),)
GROUP_CHAT = (Window(20, 60.0),)


@dataclass(frozen=True)
class Media:
    """A file DingTalk holds (uploaded by `upload`): what an image or file message names."""

    media_id: str
    name: str
    kind: Literal["image", "file"]


@dataclass(frozen=True)
class Failure:
    """An HTTP answer that was not a success: its status and DingTalk's code and message."""

    status: int
    code: str
    message: str


class DingtalkApi:
    def __init__(
        self,
        config: DingtalkConfig,
        *,
        limits: SendLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.api_base = config.api_base.rstrip("/")
        self.oapi_base = config.oapi_base.rstrip("/")
        self.robot_code = config.robot_code or ""
        self.limits = limits or SendLimits(clock, sleep)
        self.clock = clock
        self.now_ms = now_ms
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    # --- the app robot ----------------------------------------------------------------------------

    async def send_to_user(self, user_id: str, content: str | Media) -> Outcome:
        """A private message from the app robot (oToMessages/batchSend, one user)."""
        body = {**self._message(content), "userIds": [user_id]}
        outcome, answer = await self._app_call(
            "/v1.0/robot/oToMessages/batchSend", body, [("batchSend", API)]
        )
        if not isinstance(outcome, Sent):
            return outcome
        # a person the robot may not write to, or who has had too many messages, is named in the answer
        if user_id in (answer.get("invalidStaffIdList") or []):
            return Refused(DeliveryStatus.FAILED, f"DingTalk: {user_id} is not a user the robot can write to")
        if user_id in (answer.get("flowControlledStaffIdList") or []):
            return RetryAfter(60.0, f"DingTalk: {user_id} has had too many messages for now")
        return outcome

    async def send_to_group(self, conversation_id: str, content: str | Media) -> Outcome:
        """A message from the app robot into a group conversation it is in (groupMessages/send)."""
        body = {**self._message(content), "openConversationId": conversation_id}
        limits = [(("chat", conversation_id), GROUP_CHAT), ("groupMessages", API)]
        outcome, _ = await self._app_call("/v1.0/robot/groupMessages/send", body, limits)
        return outcome

    async def send_by_session(self, webhook: str, text: str, limits: Sequence[Limit] = ()) -> Outcome:
        """Through a message's session webhook (valid until the time the message said)."""
        await self.limits.wait(*limits)
        return await self._webhook(webhook, text)

    def _message(self, content: str | Media) -> dict[str, Any]:
        if isinstance(content, str):
            key, param = "sampleText", {"content": content}
        elif content.kind == "image":  # photoURL takes a media id as well as a URL
            key, param = "sampleImageMsg", {"photoURL": content.media_id}
        else:
            extension = content.name.rsplit(".", 1)[-1] if "." in content.name else "file"
            key = "sampleFile"
            param = {"mediaId": content.media_id, "fileName": content.name, "fileType": extension}
        message = json.dumps(param, ensure_ascii=False)
        return {"robotCode": self.robot_code, "msgKey": key, "msgParam": message}

    async def upload(self, name: str, data: bytes, kind: Literal["image", "file"]) -> Media | Outcome:
        """Upload a file for an image or file message; an outcome when DingTalk does not take it."""
        refreshed = False
        while True:
            token = await self.token()
            if isinstance(token, Transient):
                return token
            await self.limits.wait(("upload", API))
            form = aiohttp.FormData()
            form.add_field("media", data, filename=name, content_type="application/octet-stream")
            url = f"{self.oapi_base}/media/upload?access_token={token}&type={kind}"
            answer = await self._post(url, form)
            if isinstance(answer, Failure):
                return _http_failure("media/upload", answer)
            if not isinstance(answer, dict):
                return answer
            errcode = answer.get("errcode", 0)
            if errcode in TOKEN_REFUSED and not refreshed:
                refreshed = True
                self.forget_token()
                continue
            if errcode == 0 and isinstance(answer.get("media_id"), str):
                return Media(answer["media_id"], name, kind)
            if errcode == BUSY:
                return Transient("DingTalk media/upload: DingTalk is busy")
            what = f"DingTalk media/upload: errcode {errcode} {answer.get('errmsg', '')}"
            log.warning("%s; %s not sent", what, name)
            return Refused(DeliveryStatus.FAILED, what)

    async def _app_call(
        self, path: str, body: dict[str, Any], limits: Sequence[Limit]
    ) -> tuple[Outcome, dict[str, Any]]:
        refreshed = False
        while True:
            token = await self.token()
            if isinstance(token, Transient):
                return token, {}
            await self.limits.wait(*limits)
            answer = await self._post(
                f"{self.api_base}{path}", body, headers={"x-acs-dingtalk-access-token": token}
            )
            if isinstance(answer, Failure):
                if answer.status == 401 and not refreshed:  # expired or revoked: one new token
                    refreshed = True
                    self.forget_token()
                    continue
                return _app_failure(path, answer), {}
            if not isinstance(answer, dict):
                return answer, {}
            return Sent(str(answer.get("processQueryKey") or ""), trackable=False), answer

    async def token(self) -> str | Transient:
        """The cached access token, fetched when missing or about to expire."""
        async with self._token_lock:
            if self._token is not None and self.clock() < self._token_expires:
                return self._token
            keys = {"appKey": self.config.app_key or "", "appSecret": self.config.app_secret or ""}
            answer = await self._post(f"{self.api_base}/v1.0/oauth2/accessToken", keys)
            if isinstance(answer, Failure):
                log.error(
                    "DingTalk would not give an access token (HTTP %s %s: %s): check "
                    "channels.dingtalk.app_key and app_secret",
                    answer.status,
                    answer.code,
                    answer.message,
                )
                return Transient(f"no access token (HTTP {answer.status} {answer.code})")
            if not isinstance(answer, dict):
                return Transient(f"no access token: {answer.error}")
            if not isinstance(answer.get("accessToken"), str):
                return Transient("no access token in DingTalk's answer")
            self._token = answer["accessToken"]
            lifetime = float(answer.get("expireIn", 7200))
            self._token_expires = self.clock() + max(lifetime - TOKEN_MARGIN, lifetime / 2)
            return self._token

    def forget_token(self) -> None:
        self._token, self._token_expires = None, 0.0

    # --- custom robots ----------------------------------------------------------------------------

    async def send_robot(self, robot: DingtalkRobotConfig, text: str) -> Outcome:
        """A post into a member-unit group through its custom robot; signed when it has a secret."""
        await self.limits.wait((("robot", robot.name), ROBOT))
        url = f"{self.oapi_base}/robot/send?access_token={robot.access_token}"
        if robot.secret:
            url += "&" + signed_query(robot.secret, self.now_ms())
        return await self._webhook(url, text, robot.name)

    async def _webhook(self, url: str, text: str, name: str = "session webhook") -> Outcome:
        answer = await self._post(url, {"msgtype": "text", "text": {"content": text}})
        if isinstance(answer, Failure):
            return _http_failure(name, answer)
        if not isinstance(answer, dict):
            return answer
        errcode = answer.get("errcode", 0)
        message = str(answer.get("errmsg", ""))
        if errcode == 0:
            return Sent(name, trackable=False)
        if errcode in ROBOT_THROTTLED:
            return RetryAfter(ROBOT_THROTTLE_WAIT, f"{name}: {message} ({errcode})")
        if errcode == BUSY:
            return Transient(f"{name}: DingTalk is busy")
        log.warning("DingTalk %s refused a message (errcode %s: %s)", name, errcode, message)
        return Refused(DeliveryStatus.FAILED, f"{name}: errcode {errcode} {message}")

    # --- HTTP -----------------------------------------------------------------------------------

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def _post(
        self, url: str, body: dict[str, Any] | aiohttp.FormData, headers: dict[str, str] | None = None
    ) -> dict[str, Any] | Failure | Transient | RetryAfter:
        """The JSON answer of a 2xx; a `Failure` for a 4xx/5xx; an outcome when there is no answer.
        A JSON body, or a form (a file upload)."""
        form = body if isinstance(body, aiohttp.FormData) else None
        json_body = None if form is not None else body
        try:
            async with self.session().post(url, json=json_body, data=form, headers=headers) as response:
                text = await response.text()
                status = response.status
        except aiohttp.ClientConnectorError as error:  # never connected: nothing was sent
            return Transient(f"DingTalk could not be reached: {error}")
        except (aiohttp.ClientError, TimeoutError) as error:  # the request may have arrived
            return Transient(f"DingTalk did not answer: {type(error).__name__} {error}", maybe_delivered=True)
        try:
            answer = json.loads(text) if text else {}
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            return Transient(f"DingTalk answered HTTP {status} without JSON", maybe_delivered=True)
        if answer.get("punish") == "deny":  # the per-address limit: a ban page, not the API's answer
            return RetryAfter(IP_BAN_WAIT, "DingTalk: too many calls from this address")
        if status >= 300:
            return Failure(status, str(answer.get("code", "")), str(answer.get("message", "")))
        return answer

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _app_failure(path: str, failure: Failure) -> Outcome:
    if failure.code.startswith("Forbidden.AccessDenied.QpsLimit"):
        return RetryAfter(QPS_WAIT, f"DingTalk {path}: {failure.code}")
    if failure.code == "Forbidden.AccessDenied.ApiCountLimitForOrg":
        log.error("DingTalk: the organisation's monthly API quota is spent; messages wait")
        return RetryAfter(ORG_QUOTA_WAIT, f"DingTalk {path}: {failure.code}")
    return _http_failure(path, failure)


def _http_failure(name: str, failure: Failure) -> Outcome:
    what = f"DingTalk {name}: HTTP {failure.status} {failure.code} {failure.message}".rstrip()
    if failure.status >= 500:  # DingTalk took the request and failed: it may have gone out
        return Transient(what, maybe_delivered=True)
    if failure.status == 401:
        return Transient(what)  # a token refused twice: the app's credentials, not the message
    log.warning("%s; not retried", what)
    return Refused(DeliveryStatus.FAILED, what)


def split_utf8(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut after a line where there is one in the second
    half of a piece, never inside a character; no empty piece (DingTalk refuses empty content)."""
    pieces: list[str] = []
    rest = text
    while len(encoded := rest.encode("utf-8")) > limit:
        head = encoded[:limit].decode("utf-8", errors="ignore")
        newline = head.rfind("\n")
        cut = newline + 1 if newline >= len(head) // 2 else len(head)
        pieces.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:]
    pieces.append(rest)
    return [piece for piece in pieces if piece.strip()] or pieces[:1]
