"""What every page of the console shares: its settings, the application it runs in, and the
templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.i18n import t
from handlers.deps import Deps
from handlers.outgoing import Outgoing


@dataclass(frozen=True)
class ConsoleOptions:
    secure_cookies: bool = True
    session_hours: float = 9.0  # a session opened outside the working day (session_end)
    refresh_seconds: int = 10


def _templates() -> Environment:
    # autoescape everywhere: every value put into a page is escaped unless marked safe, and
    # nothing people wrote is ever marked safe
    return Environment(
        loader=PackageLoader("bot.webconsole", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass
class Console:
    deps: Deps
    outgoing: Outgoing
    options: ConsoleOptions = field(default_factory=ConsoleOptions)
    templates: Environment = field(default_factory=_templates)

    def render(self, name: str, lang: str, **values: Any) -> str:
        def text(key: str, **params: Any) -> str:
            return t(lang, key, **params)

        return self.templates.get_template(name).render(t=text, lang=lang, **values)

    def page(self, name: str, lang: str, status: int = 200, **values: Any) -> web.Response:
        html = self.render(name, lang, **values)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


CONSOLE = web.AppKey("console", Console)
