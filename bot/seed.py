"""What a fresh database needs before the first message: the configured organisation and
member-unit groups mirrored, and on an empty database the demo enterprises with a console contact each."""

from __future__ import annotations

from bot.channels.console import CHANNEL as CONSOLE
from bot.channels.console import enterprise_identity as console_enterprise_identity
from bot.config import Settings
from bot.domain.enterprise import Contact
from storage.protocols import UnitOfWorkFactory


async def seed(storage: UnitOfWorkFactory, settings: Settings) -> None:
    async with storage() as uow:
        await uow.org.sync(settings.directory())
        await uow.audience.sync_groups(settings.member_groups())
        if not await uow.enterprises.all():
            for config, enterprise in zip(
                settings.demo.enterprises, settings.demo_enterprises(), strict=True
            ):
                await uow.enterprises.add(enterprise)
                await uow.contacts.add(
                    Contact(
                        id=None,
                        channel=CONSOLE,
                        external_id=console_enterprise_identity(enterprise.id),
                        display_name=config.contact_name,
                        lang=config.contact_lang,
                        enterprise_id=enterprise.id,
                    )
                )
        await uow.commit()
