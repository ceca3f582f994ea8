"""What a fresh database needs before the first message: an empty organisation filled from the
configuration's bootstrap section, the member-unit groups mirrored, and on an empty database the
demo enterprises with a console contact each."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.channels.console import CHANNEL as CONSOLE
from bot.channels.console import enterprise_identity as console_enterprise_identity
from bot.config import Settings
from bot.domain.enterprise import Contact
from storage.protocols import UnitOfWorkFactory

BOOTSTRAP_ACTOR = "config"  # who the audit log says filled the organisation from config.yaml


async def seed(storage: UnitOfWorkFactory, settings: Settings) -> None:
    async with storage() as uow:
        await uow.org.bootstrap(settings.bootstrap_directory(), BOOTSTRAP_ACTOR, datetime.now(UTC))
        if not await uow.audience.groups():  # a bootstrap too: `xiaoer import groups` keeps them after
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
