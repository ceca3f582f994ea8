"""No secret, token or whole phone number reaches a log line, whoever logs it (our code, aiohttp,
an exception's text): the filter on the root handler masks the finished text."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from bot.config import load_settings
from bot.runtime.logs import configure_logging
from bot.runtime.redaction import configured_secrets
from tests.unit.test_config import shipped, write

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
CORPSECRET = "s3cr3t-corp-app-secret-value"


def logged(*records: tuple[str, tuple[object, ...]], secrets: list[str] | None = None) -> str:
    out = io.StringIO()
    handler = configure_logging("INFO", "json", secrets or [], out)
    try:
        for message, args in records:
            logging.getLogger("test.redaction").warning(message, *args)
        try:
            raise RuntimeError(f"GET https://api.telegram.org/bot{TOKEN}/getMe failed")
        except RuntimeError:
            logging.getLogger("test.redaction").exception("with a traceback")
    finally:
        logging.getLogger().removeHandler(handler)
    return out.getvalue()


def test_tokens_secrets_and_phone_numbers_are_masked() -> None:
    text = logged(
        (
            "WeCom gettoken failed: %s",
            (f"TooManyRedirects: url='https://q/cgi-bin/gettoken?corpid=ww1&corpsecret={CORPSECRET}'",),
        ),
        ("robot %s", ("https://qyapi/cgi-bin/webhook/send?key=abcdef-123456",)),
        ("send to %s", (f"https://api.telegram.org/bot{TOKEN}/sendMessage",)),
        ("call me on %s or %s", ("138 1234 5678", "0592-5551234")),
        ("database %s", ("postgresql+asyncpg://xiaoer:pa55word@db/xiaoer",)),
        ("the secret itself: %s", ("configured-webhook-secret",)),
        ("consent %s", ("GET /wecom/mobile?code=CODEfromWeCom42&state=0123456789abcdef0123",)),
        secrets=["configured-webhook-secret"],
    )
    for secret in (
        "CODEfromWeCom42",
        "0123456789abcdef0123",
        TOKEN,
        CORPSECRET,
        "abcdef-123456",
        "pa55word",
        "configured-webhook-secret",
        "1234 5678",
        "5551234",
    ):
        assert secret not in text
    assert "corpsecret=***" in text
    assert "*** **** 5678" in text  # the last four digits stay
    assert "****-***1234" in text  # a landline: its area code goes too
    assert "Traceback" in text  # the exception is kept, masked


def test_every_channel_section_names_its_credentials(tmp_path: Path) -> None:
    """Each channel's section lists its own secrets (a new channel's too): none is left out of
    what the logs mask because the redaction knew only the first two platforms."""
    document = shipped()
    channels = document["channels"]
    assert isinstance(channels, dict)
    channels["telegram"] = {"token": TOKEN, "webhook_secret": "telegram-webhook-secret"}
    channels["wecom"]["robots"] = [{"key": "wecom-robot-key-1", "name": "huli_park"}]
    channels["dingtalk"] = {
        "app_secret": "dingtalk-app-secret",
        "robots": [{"name": "makers", "access_token": "ding-robot-token", "secret": "SECding-robot"}],
    }
    found = configured_secrets(load_settings(write(tmp_path, document)))
    assert set(found) >= {
        TOKEN,
        "telegram-webhook-secret",
        "wecom-robot-key-1",
        "dingtalk-app-secret",
        "ding-robot-token",
        "SECding-robot",
    }
