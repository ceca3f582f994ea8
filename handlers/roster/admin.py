"""Administering the organisation from chat, for admins and heads: `/officer add|set|off`,
`/liaison ENTERPRISE OFFICER`, `/company NAME-OR-CODE`. A head administers their own department's
officers; an admin anyone. Every change is audited (org_changes) and the directory every process
holds is read again at once here (other processes poll for it)."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.domain.enterprise import ROSTER
from bot.domain.errors import NotAllowed, Usage
from bot.domain.messages import Actor, Reply, Role
from bot.domain.org import Officer
from bot.i18n import t
from handlers import render
from handlers.deps import Deps
from handlers.roster.directory import refresh_directory

ADMINISTRATORS = (Role.ADMIN, Role.HEAD)
_ID = re.compile(r"^[a-z0-9_]+$")
_ROLES = {r.value: r for r in (Role.OFFICER, Role.HEAD, Role.DISPATCHER, Role.ADMIN)}
_SETTABLE = ("name", "dept", "role", "lang")


def _may_administer(actor: Actor, deps: Deps, department_id: str | None) -> bool:
    """Admins anything; heads their own department's officers."""
    if actor.role is Role.ADMIN:
        return True
    if actor.role is not Role.HEAD or actor.officer_id is None:
        return False
    own = deps.directory.officers.get(actor.officer_id)
    return own is not None and (department_id is None or own.department_id == department_id)


def _refuse(actor: Actor, action: str) -> NotAllowed:
    return NotAllowed(action=action, ticket="")


async def officer_command(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """/officer add ID NAME DEPARTMENT [ROLE] | /officer set ID key=value … | /officer off ID."""
    verb, _, rest = args.strip().partition(" ")
    words = rest.split()
    if actor.role not in ADMINISTRATORS:
        raise _refuse(actor, "officer")
    if verb == "add" and len(words) in (3, 4):
        return await _add(actor, deps, words)
    if verb == "set" and len(words) >= 2:
        return await _set(actor, deps, words[0], words[1:])
    if verb == "off" and len(words) == 1:
        return await _set(actor, deps, words[0], [], active=False)
    raise Usage(command="officer")


def _department(deps: Deps, name: str, lang: str) -> str:
    departments = deps.directory.departments
    if name in departments:
        return name
    for department in departments.values():
        if name in (department.name_zh, department.name_en):
            return department.id
    raise _Answer(t(lang, "roster.unknown_department", name=name, known=", ".join(sorted(departments))))


def _role(name: str, actor: Actor) -> Role:
    role = _ROLES.get(name.lower())
    if role is None:
        raise _Answer(t(actor.lang, "roster.bad_role", role=name))
    if role is Role.ADMIN and actor.role is not Role.ADMIN:
        raise _refuse(actor, "officer")
    return role


class _Answer(Exception):
    """What to tell the sender instead of making the change."""


async def _add(actor: Actor, deps: Deps, words: list[str]) -> list[Reply]:
    officer_id, name, department_name = words[:3]
    try:
        if not _ID.match(officer_id):
            raise _Answer(t(actor.lang, "roster.bad_id", id=officer_id))
        department_id = _department(deps, department_name, actor.lang)
        role = _role(words[3], actor) if len(words) == 4 else Role.OFFICER
    except _Answer as answer:
        return [Reply(str(answer))]
    if not _may_administer(actor, deps, department_id):
        raise _refuse(actor, "officer")
    officer = Officer(officer_id, name, department_id, role)
    async with deps.storage() as uow:
        if await uow.org.officer(officer_id) is not None:
            return [Reply(t(actor.lang, "roster.officer_exists", id=officer_id))]
        await uow.org.save_officer(officer, actor.audit_id, deps.clock())
        await uow.commit()
    await refresh_directory(deps, force=True)
    return [Reply(t(actor.lang, "roster.officer_added", **_described(officer, actor.lang, deps)))]


async def _set(
    actor: Actor, deps: Deps, officer_id: str, pairs: list[str], *, active: bool = True
) -> list[Reply]:
    async with deps.storage() as uow:
        current = await uow.org.officer(officer_id)
    if current is None:
        return [Reply(t(actor.lang, "roster.unknown_officer", id=officer_id))]
    if not _may_administer(actor, deps, current.department_id):
        raise _refuse(actor, "officer")
    try:
        changed = _changed(current, pairs, actor, deps)
    except _Answer as answer:
        return [Reply(str(answer))]
    changed = replace(changed, active=active)
    if not _may_administer(actor, deps, changed.department_id):
        raise _refuse(actor, "officer")
    async with deps.storage() as uow:
        change = await uow.org.save_officer(changed, actor.audit_id, deps.clock())
        await uow.commit()
    if change is None:
        return [Reply(t(actor.lang, "roster.unchanged", id=officer_id))]
    await refresh_directory(deps, force=True)
    key = "roster.officer_off" if not active else "roster.officer_changed"
    fields = ", ".join(f"{k}={v}" for k, v in (change.after or {}).items())
    return [Reply(t(actor.lang, key, fields=fields, **_described(changed, actor.lang, deps)))]


def _changed(current: Officer, pairs: list[str], actor: Actor, deps: Deps) -> Officer:
    officer = current
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not value:
            raise Usage(command="officer")
        if key == "name":
            officer = replace(officer, name=value)
        elif key == "dept":
            officer = replace(officer, department_id=_department(deps, value, actor.lang))
        elif key == "role":
            officer = replace(officer, role=_role(value, actor))
        elif key == "lang":
            if value not in ("zh-CN", "en"):
                raise _Answer(t(actor.lang, "roster.bad_lang", language=value))
            officer = replace(officer, lang=value)
        else:  # a channel identity: telegram=123456 (none removes it)
            identities = {k: v for k, v in officer.identities.items() if k != key}
            if value != "none":
                identities[key] = value
            officer = replace(officer, identities=identities)
    return officer


def _described(officer: Officer, lang: str, deps: Deps) -> dict[str, str]:
    return {
        "id": officer.id,
        "name": officer.name,
        "department": render.department_name(officer.department_id, lang, deps.directory),
        "role": t(lang, f"roster.role_{officer.role.value}"),
    }


async def liaison_command(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """/liaison ENTERPRISE OFFICER (or none): the enterprise's liaison officer (包联干部)."""
    words = args.split()
    if len(words) != 2:
        raise Usage(command="liaison")
    if actor.role not in ADMINISTRATORS:
        raise _refuse(actor, "liaison")
    wanted, officer_name = words
    officer_id = None
    if officer_name != "none":
        matches = [o for o in deps.directory.officers.values() if officer_name in (o.id, o.name)]
        if len(matches) != 1:
            return [Reply(t(actor.lang, "roster.unknown_officer", id=officer_name))]
        officer_id = matches[0].id
        if not _may_administer(actor, deps, matches[0].department_id):
            raise _refuse(actor, "liaison")
    async with deps.storage() as uow:
        found = await uow.org_sheets.enterprises_named(wanted, limit=2)
        if len(found) != 1:
            return [Reply(t(actor.lang, "roster.which_enterprise", text=wanted, count=len(found)))]
        [enterprise] = found
        change = await uow.org.set_liaison(enterprise.id, officer_id, actor.audit_id, deps.clock())
        await uow.commit()
    if change is None:
        return [Reply(t(actor.lang, "roster.liaison_unchanged", company=enterprise.name))]
    officer = render.officer_name(officer_id, actor.lang, deps.directory) if officer_id else "—"
    return [Reply(t(actor.lang, "roster.liaison_set", company=enterprise.name, officer=officer))]


async def company_command(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """/company NAME-OR-CODE: the enterprise, its liaison officer and its people."""
    wanted = args.strip()
    if not wanted:
        raise Usage(command="company")
    if actor.role not in (*ADMINISTRATORS, Role.DISPATCHER):
        raise _refuse(actor, "company")
    async with deps.storage() as uow:
        found = await uow.org_sheets.enterprises_named(wanted)
        if len(found) != 1:
            names = "\n".join(f"· {e.name}（{e.uscc or e.id}）" for e in found)
            return [
                Reply(t(actor.lang, "roster.which_enterprise", text=wanted, count=len(found)) + "\n" + names)
            ]
        [enterprise] = found
        people = await uow.org_sheets.contacts_of(enterprise.id)
    lang = actor.lang
    liaison = enterprise.liaison_officer_id
    lines = [
        t(
            lang,
            "roster.company",
            name=enterprise.name,
            id=enterprise.id,
            uscc=enterprise.uscc or "—",
            industry=enterprise.industry or "—",
            district=enterprise.district or "—",
            size=enterprise.size_class or "—",
            tags="、".join(enterprise.tags) or "—",
            key_support=t(lang, "roster.yes" if enterprise.key_support else "roster.no"),
            liaison=render.officer_name(liaison, lang, deps.directory) if liaison else "—",
        )
    ]
    for person in people:
        where = t(lang, "roster.on_roster") if person["channel"] == ROSTER else person["channel"]
        lines.append(f"· {person['display_name']} {person['phone'] or ''} [{where}]")
    if not people:
        lines.append(t(lang, "roster.no_contacts"))
    return [Reply("\n".join(lines))]
