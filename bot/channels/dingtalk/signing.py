"""DingTalk's HMAC-SHA256 signatures: checking the robot's callbacks, signing custom robots' URLs.

Both use the same recipe: sign = base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret)),
with the timestamp in milliseconds. A callback carries `timestamp` and `sign` headers signed with
the app's AppSecret, and DingTalk says a timestamp more than an hour away from ours is not to be
believed. A custom robot's webhook carries them as query parameters, signed with its own secret.

The signature covers the timestamp, not the body: whoever saw one signed request could send other
bodies with its headers within the hour. What limits that is HTTPS between DingTalk and us, and
the inbox, which takes each msgId once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

STALE_AFTER_MS = 3600 * 1000  # DingTalk: more than an hour off is an illegal request
UNAUTHORIZED, FORBIDDEN = 401, 403


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def sign(secret: str, timestamp_ms: int | str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_query(secret: str, timestamp_ms: int) -> str:
    """`timestamp=…&sign=…` for a custom robot's webhook, the sign URL-encoded."""
    return urlencode({"timestamp": timestamp_ms, "sign": sign(secret, timestamp_ms)})


class CallbackCheck:
    """The app robot's callbacks: signed with the AppSecret, and recent."""

    def __init__(self, app_secret: str, now_ms: Callable[[], int]) -> None:
        self.app_secret = app_secret
        self.now_ms = now_ms

    def verify(self, headers: Mapping[str, str]) -> None:
        timestamp, signature = headers.get("timestamp", ""), headers.get("sign", "")
        # ASCII digits only: str.isdigit() takes "²", which int() does not
        if not (timestamp.isascii() and timestamp.isdigit() and signature):
            raise Rejected(UNAUTHORIZED, "the timestamp and sign headers are required")
        # compared as bytes: compare_digest refuses (TypeError) a str with non-ASCII characters
        if not hmac.compare_digest(
            sign(self.app_secret, timestamp).encode(), signature.encode("utf-8", "replace")
        ):
            raise Rejected(UNAUTHORIZED, "bad signature")
        if abs(self.now_ms() - int(timestamp)) > STALE_AFTER_MS:
            raise Rejected(FORBIDDEN, f"timestamp {timestamp} is more than an hour from ours")
