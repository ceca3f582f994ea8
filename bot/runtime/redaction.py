"""What no log line may show, masked on the one handler every log record passes through: bot
tokens and API secrets (in URLs, in query strings, or anywhere as configured), database
passwords, and phone numbers (the last four digits stay, enough to tell two people apart).

Masking the finished text rather than asking each call site to be careful is the point: a library
(aiohttp, aiogram) that logs a URL it was given, or an exception that quotes one, is covered too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from bot.config import Settings

MASK = "***"

# /bot123456:ABC-def…/getMe: Telegram's token is part of every Bot API URL
_BOT_URL = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
# a Telegram token on its own (an error message quoting it)
_BOT_TOKEN = re.compile(r"(?<![\w])\d{5,}:[A-Za-z0-9_-]{30,}")
# corpsecret=…, access_token=…, key=… (WeCom robots), an OAuth code and state (a WeCom member's
# consent link and its redirect), and their kin in any query string or form
_SECRET_PARAMETER = re.compile(
    r"(?i)\b(corpsecret|access_token|key|secret|token|api_key|password|encoding_aes_key|code|state)"
    r"=([^&\s\"'<>]+)"
)
# user:password@host in a database or proxy URL
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+):([^@\s]+)@")
# Mainland mobile numbers (+86 optional, separators allowed) and landlines with an area code
_MOBILE = re.compile(r"(?<![\d])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![\d])")
_LANDLINE = re.compile(r"(?<![\d-])0\d{2,3}-\d{7,8}(?![\d])")


def _keep_last_four(match: re.Match[str]) -> str:
    text = match.group(0)
    seen = 0
    masked = []
    for char in reversed(text):
        if char.isdigit():
            seen += 1
            masked.append(char if seen <= 4 else "*")
        else:
            masked.append(char)
    return "".join(reversed(masked))


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first, so a secret containing another is masked whole; short values (a port, "1")
        # would mask half of every line
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _BOT_URL.sub("/bot" + MASK, text)
        text = _BOT_TOKEN.sub(MASK, text)
        text = _SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}={MASK}", text)
        text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
        text = _MOBILE.sub(_keep_last_four, text)
        return _LANDLINE.sub(_keep_last_four, text)


def configured_secrets(settings: Settings) -> list[str]:
    """Every credential the configuration holds: masked wherever it turns up."""
    nlu = settings.nlu
    found = [
        nlu.rasa.token,
        nlu.llm.api_key,
        *(secret for section in settings.channel_sections().values() for secret in section.secrets()),
    ]
    password = _URL_PASSWORD.search(settings.database.url)
    if password is not None:
        found.append(password.group(2))
    return [s for s in found if s]


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, exception text and structured fields before any formatter
    sees them."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: show both rather than fail
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {
                key: self.redact(value) if isinstance(value, str) else value for key, value in fields.items()
            }
        return True
