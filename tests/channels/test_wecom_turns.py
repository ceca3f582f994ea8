"""Issue 21 item 21: WeCom's per-member turns (one member's messages handled in order) are not
kept for every member who ever wrote."""

from __future__ import annotations

from bot.channels.wecom_callback import Callback
from tests.channels.test_wecom import Running, running
from tests.fake_wecom import AGENT_ID

__all__ = ["running"]  # the fixture, imported for pytest


async def test_a_members_turn_is_forgotten_once_their_messages_are_handled(running: Running) -> None:
    for member in range(500):
        event = Callback(f"member{member}", "enter_agent", "", f"enter-{member}", str(AGENT_ID))
        await running.channel.process(event)
    assert len(running.channel._turns) == 0
