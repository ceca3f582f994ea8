"""What DingTalk POSTs to the robot's callback for one message, read from its documented JSON
(https://open.dingtalk.com/document/orgapp/receive-message): who sent it (senderStaffId for a
member of the organisation, senderId always), in which conversation (conversationType "1" a
private chat, "2" a group, where the robot hears only messages that @ it), what it says, and the
session webhook that answers in that conversation until sessionWebhookExpiredTime (ms)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

PRIVATE, GROUP = "1", "2"


@dataclass(frozen=True)
class Message:
    msg_id: str
    kind: str  # msgtype: "text", "richText", "picture", "audio", "video", "file" …
    text: str
    sender_id: str  # senderStaffId where DingTalk gives it (members of the organisation), else senderId
    sender_nick: str
    conversation_id: str
    group: bool
    session_webhook: str | None
    session_expires_ms: int
    robot_code: str | None
    at_robot: bool


def read_message(body: bytes) -> Message:
    """The message, or ValueError naming what is missing."""
    document = json.loads(body.decode("utf-8"))
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    msg_id = _text(document, "msgId")
    conversation_id = _text(document, "conversationId")
    sender = _text(document, "senderStaffId") or _text(document, "senderId")
    kind = _text(document, "msgtype")
    if not (msg_id and conversation_id and sender and kind):
        raise ValueError("msgId, conversationId, msgtype and senderStaffId or senderId are required")
    conversation_type = _text(document, "conversationType")
    if conversation_type not in (PRIVATE, GROUP):
        raise ValueError(f"conversationType {conversation_type!r} is neither 1 (private) nor 2 (group)")
    expires = document.get("sessionWebhookExpiredTime")
    return Message(
        msg_id=msg_id,
        kind=kind,
        text=_content(document, kind),
        sender_id=sender,
        sender_nick=_text(document, "senderNick"),
        conversation_id=conversation_id,
        group=conversation_type == GROUP,
        session_webhook=_text(document, "sessionWebhook") or None,
        session_expires_ms=int(expires) if isinstance(expires, int | float) and math.isfinite(expires) else 0,
        robot_code=_text(document, "robotCode") or None,
        at_robot=bool(document.get("isInAtList")),
    )


def _text(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    return value.strip() if isinstance(value, str) else ""


def _content(document: dict[str, Any], kind: str) -> str:
    """A text's content; the text parts of a rich text (pictures in it are left out)."""
    if kind == "text":
        text = document.get("text")
        return str(text.get("content", "")).strip() if isinstance(text, dict) else ""
    if kind == "richText":
        content = document.get("content")
        parts = content.get("richText", []) if isinstance(content, dict) else []
        return "".join(
            p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)
        ).strip()
    return ""
