"""Issue 21 item 4: a bound enterprise's ticket goes to its liaison officer privately, and where
the department has an officer group, it is posted there too, so the head sees every ticket of
the department; the post names the liaison officer instead of inviting anyone to sign for it."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Settings
from bot.domain.messages import ToDepartment, ToOfficer
from handlers.posts import current_post
from tests.conftest import Clock
from tests.world import DEMAND, WANG, XINYUAN, World, make_world


async def _with_group(settings: Settings, clock: Clock, department: str = "industry_it") -> World:
    w = await make_world(settings, clock)
    directory = w.deps.directory
    grouped = replace(directory.departments[department], chats={"telegram": "-100"})
    w.deps = replace(
        w.deps, directory=replace(directory, departments={**directory.departments, department: grouped})
    )
    return w


async def test_a_liaison_ticket_is_posted_to_the_departments_group(settings: Settings, clock: Clock) -> None:
    w = await _with_group(settings, clock)
    replies = await w.say(XINYUAN, DEMAND)  # xinyuan's liaison: wang_lei of industry_it
    private = [r for r in replies if r.to == ToOfficer("wang_lei")]
    assert len(private) == 1
    assert [b.payload for b in private[0].buttons] == ["cmd:take:1"]
    [post] = [r for r in replies if isinstance(r.to, ToDepartment)]
    assert post.to == ToDepartment("industry_it")
    assert post.post
    assert post.ticket == 1
    assert "包联干部 王磊" in post.text
    assert "/take" not in post.text
    assert post.buttons == ()
    await w.say(WANG, "/take 1")
    signed = await current_post(w.deps, 1)
    assert signed is not None
    assert "包联干部" not in signed.text
    assert "[已签收]" in signed.text


async def test_without_an_officer_group_the_liaison_alone_is_told(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    replies = await w.say(XINYUAN, DEMAND)
    assert not [r for r in replies if isinstance(r.to, ToDepartment)]
    assert [r.to for r in replies if isinstance(r.to, ToOfficer)] == [ToOfficer("wang_lei")]


def test_a_department_with_a_telegram_or_wecom_chat_has_an_officer_group(settings: Settings) -> None:
    departments = [
        d.model_copy(update={"chats": {"telegram": -100}}) if d.id == "tax_bureau" else d
        for d in settings.departments
    ]
    departments = [
        d.model_copy(update={"chats": {"wecom": "commerce"}}) if d.id == "commerce" else d
        for d in departments
    ]
    directory = settings.model_copy(update={"departments": departments}).bootstrap_directory()
    grouped = {d.id for d in directory.departments.values() if d.has_officer_group}
    assert grouped == {"tax_bureau", "commerce"}
