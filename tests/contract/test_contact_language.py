"""A contact's language and whether the contact chose it (/lang) survive storage on every backend."""

from __future__ import annotations

from storage.protocols import UnitOfWorkFactory
from tests import builders


async def test_a_chosen_language_is_told_from_a_followed_one(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        contact = await uow.contacts.add(builders.contact(None, external_id="42", channel="telegram"))
        await uow.commit()
    assert contact.id is not None
    assert not contact.lang_chosen
    seen = []
    for lang, chosen in (("en", False), ("zh-CN", True), ("en", True), ("zh-CN", False)):
        async with storage() as uow:
            await uow.contacts.set_lang(contact.id, lang, chosen=chosen)
            await uow.commit()
        async with storage() as uow:
            stored = await uow.contacts.get(contact.id)
            by_identity = await uow.contacts.by_identity("telegram", "42")
        assert stored is not None
        assert by_identity == stored
        seen.append((stored.lang, stored.lang_chosen))
    assert seen == [("en", False), ("zh-CN", True), ("en", True), ("zh-CN", False)]
