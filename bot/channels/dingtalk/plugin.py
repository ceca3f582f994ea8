"""The DingTalk channel plugged into a runtime: the app robot's callback, its addressing (a
department's group conversation, else its officers privately) and the transport for the app
robot and the member-unit groups' custom robots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels.dingtalk.adapter import CHANNEL, DingtalkAddressing, DingtalkChannel, now_ms
from bot.channels.dingtalk.api import DingtalkApi
from bot.channels.dingtalk.config import DingtalkConfig
from bot.channels.dingtalk.transport import DingtalkTransport
from bot.channels.plugin import Host, Plugged

if TYPE_CHECKING:
    from bot.config import Settings


def plug(host: Host, settings: Settings) -> Plugged:
    config = settings.channels.dingtalk
    problems = config_problems(settings)
    if problems:
        raise ValueError("the DingTalk channel cannot run:\n" + "\n".join(problems))
    channel, _ = plug_app(host, config)
    return Plugged(
        CHANNEL,
        _nothing_to_close,  # the transport closes its HTTP session with the runtime
        routes=[channel.add_routes],
        listen=(config.host, config.port),
        ready=[f"dingtalk (callback {config.callback_path})"],
    )


def plug_app(
    host: Host, config: DingtalkConfig, api: DingtalkApi | None = None
) -> tuple[DingtalkChannel, DingtalkTransport]:
    """The robot's callback adapter on `host`, its addressing and transport plugged in."""
    deps = host.deps

    async def lang_of(user_id: str) -> str:
        """A person's language: an officer's from the directory, an enterprise contact's as stored."""
        officer = deps.directory.officer_by_identity(CHANNEL, user_id)
        if officer is not None:
            return officer.lang
        async with deps.storage() as uow:
            contact = await uow.contacts.by_identity(CHANNEL, user_id)
        return contact.lang if contact is not None else deps.default_lang

    channel = DingtalkChannel(config, host.accept, now=deps.clock)
    transport = DingtalkTransport(
        channel, api or DingtalkApi(config, now_ms=now_ms(deps.clock)), config.robots, lang_of
    )
    host.plug(DingtalkAddressing(deps.directory), transport)
    return channel, transport


def config_problems(settings: Settings) -> list[str]:
    """The section's own problems, and member-unit groups that name no robot of it. (The settings'
    cross-check calls only the sections it names, so a new channel checks itself here too.)"""
    robots = {robot.name for robot in settings.channels.dingtalk.robots}
    return settings.channels.dingtalk.problems() + [
        f"groups[{i}].chat_id: a DingTalk member-unit group is reached through its custom robot: name one "
        f"of channels.dingtalk.robots ({', '.join(sorted(robots)) or 'none configured'}), not {g.chat_id!r}"
        for i, g in enumerate(settings.groups)
        if g.channel == CHANNEL and str(g.chat_id) not in robots
    ]


async def _nothing_to_close() -> None:
    return None
