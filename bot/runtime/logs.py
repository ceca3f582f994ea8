"""Logging for `xiaoer run`, configured once at start: a timestamp on every line, the level from
`--log-level` or `logging.level`, text lines for a terminal or JSON lines for a log collector
(`logging.format`), and every line masked (bot.runtime.redaction) before it is written.

Structured events pass their fields as `extra={"fields": {...}}`: JSON puts them beside the
message, text appends them as `key=value`.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.runtime.redaction import RedactingFilter, Redactor

# the handler this module installed, replaced (not added to) when logging is configured again
_OURS = "_xiaoer_handler"


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        extra = " ".join(f"{key}={_plain(value)}" for key, value in fields_of(record).items())
        if extra:
            line = f"{line} {extra}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line = f"{line}\n{record.exc_text}"
        return line


def _plain(value: Any) -> str:
    text = "-" if value is None else str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the event's fields, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in fields_of(record).items():
            entry.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    level: str, format_: str, secrets: list[str], stream: TextIO | None = None
) -> logging.Handler:
    """Route every logger through one masked handler on the root; returns that handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if format_ == "json" else TextFormatter())
    handler.addFilter(RedactingFilter(Redactor(secrets)))
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # one line per update is written by the runtime; aiohttp's line per request would repeat it
    # …and alembic's line per migration step is noise at every start of a fresh SQLite database
    if level.upper() != "DEBUG":
        for chatty in ("aiohttp.access", "alembic"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    return handler
