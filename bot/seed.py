"""What a fresh database needs before the first message: an empty organisation filled from the
configuration's bootstrap section, the member-unit groups mirrored, and on an empty database the
demo enterprises with a console contact each."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.channels.console import CHANNEL as CONSOLE
from bot.channels.console import enterprise_identity as console_enterprise_identity
from bot.config import Settings
from bot.domain.enterprise import Contact
from storage.protocols import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

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
                contact = Contact(
                    id=None,
                    channel=CONSOLE,
                    external_id=console_enterprise_identity(enterprise.id),
                    display_name=config.contact_name,
                    lang=config.contact_lang,
                    enterprise_id=enterprise.id,
                )
                await add_console_contact(uow, contact)
        await uow.commit()


async def add_console_contact(uow: UnitOfWork, contact: Contact) -> None:
    """A demo enterprise's console contact; one left behind when the demo enterprises were deleted
    (the contact outlives its enterprise) is bound to it again, with a warning, rather than
    stopping every start on its duplicate identity."""
    left = await uow.contacts.by_identity(contact.channel, contact.external_id)
    if left is None:
        await uow.contacts.add(contact)
        return
    assert left.id is not None
    assert contact.enterprise_id is not None
    log.warning(
        "contact %s:%s (id %s) had no enterprise: bound again to the demo enterprise %s",
        contact.channel,
        contact.external_id,
        left.id,
        contact.enterprise_id,
    )
    await uow.contacts.bind(left.id, contact.enterprise_id)
