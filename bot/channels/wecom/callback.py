"""Checking WeCom's callback requests before anything in them is believed.

WeCom signs every request (`msg_signature` over token, timestamp, nonce and the encrypted body)
and encrypts the message for our corp id. A request is opened only if the signature is right,
its timestamp is recent, the body decrypts, and the message inside was meant for our corp. Any
failure is a `Rejected` with the HTTP status to answer and the reason to log.

WeCom sends a request again when it did not hear 200 within 5 s, and its documentation does not
say the retry gets a new nonce. So a request is remembered (by timestamp and nonce) only once its
message was kept: the same request again is then `Repeated`, answered 200 and not handled (a
captured request played again changes nothing), while one that could not be kept can still come
again and be handled.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.channels.wecom.crypto import CryptoError, ReceiveIdMismatch, WecomCrypto
from bot.domain.text import NOT_XML

REPLAY_WINDOW = 300.0  # seconds either side of our clock; WeCom retries within 15 s
FORBIDDEN, MALFORMED = 403, 400


class Repeated(Exception):
    """This very request was received and its message kept already: answer 200, do nothing."""


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Callback:
    """One verified message from a WeCom member to the app."""

    user_id: str
    kind: str  # "text", "click" (a menu item), or WeCom's MsgType / event name for anything else
    content: str  # the text, the menu item's EventKey, or a media message's MediaId
    key: str  # what identifies it across WeCom's retries (MsgId, or the event's own fields)
    agent_id: str
    event: bool = False  # an event (entering the app, a menu click …), not a message the member sent


def parse_xml(body: bytes | str) -> ElementTree.Element:
    """WeCom's flat XML; anything with a DTD (entity tricks) or that does not parse is malformed."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if "<!" in text.replace("<![CDATA[", ""):
        raise ValueError("declarations are not allowed")
    root = ElementTree.fromstring(text)
    if root.tag != "xml":
        raise ValueError(f"root element is <{root.tag}>, not <xml>")
    return root


def read_message(xml: str) -> Callback:
    """The decrypted message: a text, a menu click, or something we only acknowledge.

    WeCom puts what a member typed into CDATA as it is, so one character XML forbids (a pasted
    \\x01) made the whole message malformed. Its signature was checked over the encrypted text
    already, so dropping such characters changes nothing that was verified, and keeps the
    member's message instead of refusing it whole."""
    root = parse_xml(NOT_XML.sub("", xml))
    user = (root.findtext("FromUserName") or "").strip()
    kind = (root.findtext("MsgType") or "").strip()
    if not user or not kind:
        raise ValueError("FromUserName and MsgType are required")
    created = (root.findtext("CreateTime") or "").strip()
    agent = (root.findtext("AgentID") or "").strip()
    # a text's words, or a picture's, voice's or file's media id (what a visit keeps of it)
    content = root.findtext("Content") or root.findtext("MediaId") or ""
    if kind == "event":
        event = (root.findtext("Event") or "").strip()
        key = root.findtext("EventKey") or ""
        # events carry no MsgId: WeCom's advice is to recognise retries by sender and time
        digest = hashlib.sha1(f"{user}\n{created}\n{event}\n{key}".encode()).hexdigest()
        return Callback(user, "click" if event == "click" else event, key, f"e:{digest}", agent, event=True)
    msg_id = (root.findtext("MsgId") or "").strip()
    if not msg_id:
        msg_id = "h:" + hashlib.sha1(f"{user}\n{created}\n{kind}\n{content}".encode()).hexdigest()
    return Callback(user, kind, content, msg_id, agent)


class CallbackVerifier:
    def __init__(
        self, crypto: WecomCrypto, clock: Callable[[], float], window: float = REPLAY_WINDOW
    ) -> None:
        self.crypto = crypto
        self.clock = clock
        self.window = window
        self._nonces: dict[tuple[str, str], float] = {}

    def echo(self, query: Mapping[str, str]) -> str:
        """URL verification (GET): the decrypted `echostr`, which WeCom expects back verbatim."""
        echostr = query.get("echostr", "")
        self._check(query, echostr)
        return self._decrypt(echostr)

    def open(self, query: Mapping[str, str], body: bytes) -> Callback:
        """A POSTed message, checked and decrypted (`Repeated` if its request was kept already)."""
        try:
            encrypt = (parse_xml(body).findtext("Encrypt") or "").strip()
        except (ValueError, ElementTree.ParseError) as error:
            raise Rejected(MALFORMED, f"malformed XML: {error}") from None
        if not encrypt:
            raise Rejected(MALFORMED, "no Encrypt element")
        timestamp, nonce = self._check(query, encrypt)
        if (timestamp, nonce) in self._nonces:
            raise Repeated
        plain = self._decrypt(encrypt)
        try:
            return read_message(plain)
        except (ValueError, ElementTree.ParseError) as error:
            raise Rejected(MALFORMED, f"malformed message inside: {error}") from None

    def _check(self, query: Mapping[str, str], encrypt: str) -> tuple[str, str]:
        signature = query.get("msg_signature", "")
        timestamp = query.get("timestamp", "")
        nonce = query.get("nonce", "")
        if not (signature and timestamp.isdigit() and nonce and encrypt):
            raise Rejected(FORBIDDEN, "msg_signature, timestamp, nonce and the encrypted text are required")
        if not self.crypto.verify(signature, timestamp, nonce, encrypt):
            raise Rejected(FORBIDDEN, "bad signature")
        if abs(self.clock() - int(timestamp)) > self.window:
            raise Rejected(FORBIDDEN, f"timestamp {timestamp} is outside the replay window")
        return timestamp, nonce

    def _decrypt(self, encrypt: str) -> str:
        try:
            return self.crypto.decrypt(encrypt)
        except ReceiveIdMismatch as error:
            raise Rejected(FORBIDDEN, f"wrong receive id: {error}") from None
        except CryptoError as error:
            raise Rejected(FORBIDDEN, f"does not decrypt: {error}") from None

    def kept(self, query: Mapping[str, str]) -> None:
        """The request `open` gave was dealt with for good: the same request again is `Repeated`."""
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        now = self.clock()
        if len(self._nonces) > 1000:  # forget what the window no longer admits
            horizon = now - 2 * self.window
            self._nonces = {k: at for k, at in self._nonces.items() if at > horizon}
        self._nonces[(timestamp, nonce)] = now
