"""Binding by a vouched-for mobile, on SQLite and PostgreSQL: a link is used once (of several at
once, one) and expires; which enterprises a mobile speaks for (the roster's, open invites', other
chats bound with it), the member's own contact left out."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.domain.enterprise import ROSTER
from storage.protocols import UnitOfWorkFactory
from storage.search_protocols import NewInvite
from storage.web_protocols import TokenState
from tests import builders
from tests.conftest import NOW

LATER = NOW + timedelta(minutes=30)
MOBILE = "8613800001234"


async def _use(storage: UnitOfWorkFactory, state_hash: str, at: object = NOW) -> TokenState:
    async with storage() as uow:
        state, _ = await uow.mobile_binding.use_link(state_hash, NOW if at is NOW else LATER)
        await uow.commit()
    return state


async def test_a_link_is_used_once_and_expires(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.mobile_binding.add_link("a" * 64, "wecom", "ChenZong", NOW, LATER)
        await uow.mobile_binding.add_link("b" * 64, "wecom", "LinJingli", NOW, LATER)
        await uow.commit()
    async with storage() as uow:
        seen, link = await uow.mobile_binding.look_at_link("a" * 64, NOW)
        assert seen is TokenState.VALID  # looking does not use it
        state, link = await uow.mobile_binding.use_link("a" * 64, NOW)
        await uow.commit()
    assert state is TokenState.VALID
    assert link is not None
    assert (link.channel, link.external_id, link.expires_at) == ("wecom", "ChenZong", LATER)
    assert await _use(storage, "a" * 64) is TokenState.USED
    assert await _use(storage, "b" * 64, at=LATER) is TokenState.EXPIRED  # expires_at is not inside
    assert await _use(storage, "c" * 64) is TokenState.UNKNOWN
    async with storage() as uow:
        assert (await uow.mobile_binding.look_at_link("b" * 64, LATER))[0] is TokenState.EXPIRED


async def test_of_several_using_one_link_at_once_one_wins(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.mobile_binding.add_link("d" * 64, "wecom", "ChenZong", NOW, LATER)
        await uow.commit()
    states = await asyncio.gather(*(_use(storage, "d" * 64) for _ in range(4)))
    assert sorted(states) == sorted([TokenState.VALID] + [TokenState.USED] * 3)


async def test_the_enterprises_a_mobile_speaks_for(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        for name in ("acme", "bolt", "crane", "delta"):
            await uow.enterprises.add(builders.enterprise(name))
        on_roster = replace(builders.contact("acme", MOBILE, ROSTER), display_name="陈总")
        listed = await uow.contacts.add(on_roster)
        assert listed.id is not None
        await uow.onboarding.set_phone(listed.id, MOBILE)  # as `xiaoer import contacts` keeps it
        member = await uow.contacts.add(builders.contact(None, "ChenZong", "wecom"))
        assert member.id is not None
        await uow.onboarding.set_phone(member.id, MOBILE)  # its own number: not another's record
        await uow.commit()
    async with storage() as uow:
        assert await uow.mobile_binding.enterprises_of_mobile(MOBILE, member.id, NOW) == ["acme"]
        assert await uow.mobile_binding.enterprises_of_mobile("8613900000000", member.id, NOW) == []
        # an invite made for the number in another enterprise (the person moved since): both
        invite = NewInvite("code-for-bolt", "bolt", "陈总", MOBILE)
        await uow.onboarding.create_invites([invite], "wang_lei", NOW, LATER)
        await uow.commit()
    async with storage() as uow:
        assert await uow.mobile_binding.enterprises_of_mobile(MOBILE, member.id, NOW) == ["acme", "bolt"]
        # an expired invite counts no more
        assert await uow.mobile_binding.enterprises_of_mobile(MOBILE, member.id, LATER) == ["acme"]
        # another chat bound with that number to a third enterprise
        other = await uow.contacts.add(builders.contact("crane", "5001", "telegram"))
        assert other.id is not None
        await uow.onboarding.set_phone(other.id, MOBILE)
        await uow.commit()
    async with storage() as uow:
        assert await uow.mobile_binding.enterprises_of_mobile(MOBILE, member.id, LATER) == ["acme", "crane"]
