"""The Bot API calls the outbox makes, as plain HTTP: a JSON body (or a multipart form for an
upload) posted to `<api base>/bot<token>/<method>`, and the answer's `{"ok", "result"}` or
`{"ok": false, "error_code", "description", "parameters"}` read as JSON.

Why not aiogram's `Bot` methods: each call builds a pydantic model of the method, serialises it
to a multipart form and validates the answer into a `Message` model, of which the outbox keeps
one field (`message_id`). That machinery took about a third of every send's CPU on the intake's hot
path (benchmarks/RESULTS.md, issue 22); the same sends as plain POSTs ran at about twice the
rate. aiogram still receives (routing, webhook, polling) and lends this client its HTTP session
(connection pool, proxy and user agent the same) and its API server's URLs.

Answers are classified as aiogram's `check_response` does, so the transport's handling is the
same as before: `retry_after` and `migrate_to_chat_id` first, then the status code.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, FormData

Url = Callable[[str], str]  # method name -> its URL (the token inside)
SessionSource = Callable[[], Awaitable[ClientSession]]


class BotApiError(Exception):
    """Telegram answered and refused: its status, description and parameters."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: float | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(f"HTTP {status}: {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


class BotApiUnreachable(Exception):
    """No answer to read: the connection failed, timed out, or the answer was not the Bot API's
    JSON. The request may have reached Telegram."""


class BotApi:
    def __init__(self, url: Url, session: SessionSource, timeout: float) -> None:
        self._url = url
        self._session = session
        self._timeout = ClientTimeout(total=timeout)

    async def call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """`method` with `params` as a JSON body (None values left out); the `result` object."""
        body = {key: value for key, value in params.items() if value is not None}
        return await self._post(method, json=body)

    async def upload(
        self, method: str, params: Mapping[str, Any], field: str, data: bytes, filename: str
    ) -> dict[str, Any]:
        """`method` with a file in `field` (multipart), the other params as form fields (objects
        JSON-serialised, as the Bot API asks of a form)."""
        form = FormData()
        for key, value in params.items():
            if value is None:
                continue
            form.add_field(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        form.add_field(field, data, filename=filename)
        return await self._post(method, data=form)

    async def _post(self, method: str, **body: Any) -> dict[str, Any]:
        session = await self._session()
        try:
            async with session.post(self._url(method), timeout=self._timeout, **body) as response:
                status = response.status
                raw = await response.read()
        except (TimeoutError, ClientError) as error:
            raise BotApiUnreachable(f"{type(error).__name__}: {error}") from error
        return _result(status, raw)


def _result(status: int, raw: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(raw)
    except ValueError:
        raise BotApiUnreachable(f"HTTP {status}: not the Bot API's JSON: {raw[:200]!r}") from None
    if not isinstance(answer, dict):
        raise BotApiUnreachable(f"HTTP {status}: not the Bot API's JSON: {raw[:200]!r}")
    if 200 <= status <= 226 and answer.get("ok"):
        result = answer.get("result")
        return result if isinstance(result, dict) else {}
    parameters = answer.get("parameters") or {}
    migrate = parameters.get("migrate_to_chat_id")
    raise BotApiError(
        status,
        str(answer.get("description") or f"HTTP {status}"),
        retry_after=parameters.get("retry_after"),
        migrate_to_chat_id=int(migrate) if migrate is not None else None,
    )
