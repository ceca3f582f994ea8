"""Issue 21 item 7: a report in chat reads as text on every platform: no Markdown headings or
pipe tables, which Telegram and WeCom's text messages show raw."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Settings
from bot.domain.messages import ToSender
from handlers.report_chat import chat_text
from tests.conftest import Clock
from tests.unit.test_reports import a_report
from tests.world import DEMAND, XINYUAN, make_world


def _looks_like_markdown(text: str) -> bool:
    return any(line.startswith(("#", "|")) or "---" in line for line in text.splitlines())


def test_the_chat_text_has_the_figures_without_markdown() -> None:
    text = chat_text(a_report())
    assert not _looks_like_markdown(text), text
    assert "响应率：50.0%" in text
    assert "税费" in text
    assert "#2" in text  # the most overdue tickets, by number


async def test_report_week_in_chat_is_plain_text(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    await w.say(XINYUAN, DEMAND)
    head = replace(XINYUAN, user_id="officer:zheng_yu")
    replies = await w.say(head, "/report week")
    summary = next(r for r in replies if isinstance(r.to, ToSender) and r.attachment is None)
    assert not _looks_like_markdown(summary.text), summary.text
    assert "企业服务专线工作报告" in summary.text
    assert any(r.attachment is not None for r in replies)  # the chart follows
