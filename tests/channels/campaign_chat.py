"""What the campaign tests on each platform share (issue 15): a person's side of a chat on a fake
platform, a campaign running today, and a visit's questions answered up to its items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from handlers.campaigns.coverage import local_day
from handlers.deps import Deps
from tests.channels.test_wecom import Running as OnWecom
from tests.fake_telegram import FakeBotApi


class Chat(Protocol):
    async def says(self, text: str) -> None: ...

    async def hears(self, fragment: str) -> str:
        """Until the bot has sent this person a message with `fragment`: its text."""
        ...


@dataclass
class TelegramChat:
    api: FakeBotApi
    user: int

    async def says(self, text: str) -> None:
        await self.api.user_sends(self.user, text)

    async def hears(self, fragment: str) -> str:
        return (await self.api.wait_text(self.user, fragment)).text


@dataclass
class WecomChat:
    running: OnWecom
    user: str

    async def says(self, text: str) -> None:
        await self.running.says(self.user, text)

    async def hears(self, fragment: str) -> str:
        return (await self.running.api.wait_text(self.user, fragment)).content


async def exchange(chat: Chat, text: str, fragment: str) -> str:
    """Say it, and wait for the answer with `fragment`: its text."""
    await chat.says(text)
    return await chat.hears(fragment)


async def campaign_running_today(lead: Chat, deps: Deps, targeting: str) -> str:
    """`/campaign new 敲门行动` over a period around today, as the lead: Xiaoer's answer."""
    today = local_day(deps)
    period = f"{today - timedelta(days=1)}..{today + timedelta(days=20)}"
    return await exchange(lead, f"/campaign new 敲门行动 {period} {targeting}", "已创建走访活动 C1")


async def visit_answered(officer: Chat, met: str, situation: str) -> None:
    """Once the visit's date is answered: whom the officer met and the enterprise's situation, until
    Xiaoer asks for the items."""
    await officer.hears("见到了谁")
    await exchange(officer, met, "一句话")
    await exchange(officer, situation, "逐条发送")
