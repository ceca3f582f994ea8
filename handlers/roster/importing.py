"""`xiaoer import`: a sheet's records compared with what the database holds (added, changed, left
alone), and written in one transaction, every change audited. Nothing is written unless the whole
file is valid (or the bad rows are to be skipped): the caller decides, from the plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.domain.org import OrgChange, difference
from bot.i18n import t
from handlers.roster.records import KEY_FIELD, Problem, Problems, Records
from storage.protocols import UnitOfWorkFactory

# the audit log's kind for each sheet (a liaison assignment changes an enterprise)
AUDIT_KIND = {
    "enterprises": "enterprise",
    "liaisons": "enterprise",
    "contacts": "contact",
    "officers": "officer",
    "departments": "department",
    "groups": "group",
}
_MAPS = ("identities", "chats")
_LISTS = ("tags", "topics", "aliases")


@dataclass
class Plan:
    kind: str
    added: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)  # the key and the fields that change
    changes: list[OrgChange] = field(default_factory=list)
    unchanged: int = 0
    problems: Problems = field(default_factory=Problems)


def _defaults(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """A new record: what the file does not say, as a new one starts."""
    if kind == "enterprises":
        base = {
            "id": record.get("id") or record["uscc"].lower(),
            "industry": None,
            "district": None,
            "size_class": None,
            "tags": [],
            "key_support": False,
            "liaison_officer_id": None,
        }
    elif kind == "contacts":
        base = {"lang": "zh-CN"}
    elif kind == "officers":
        base = {"role": "officer", "lang": "zh-CN", "active": True, "identities": {}}
    elif kind == "departments":
        base = {
            "name_en": record["name_zh"],
            "head_officer_id": None,
            "lang": "zh-CN",
            "topics": [],
            "aliases": [],
            "chats": {},
            "active": True,
        }
    elif kind == "groups":
        base = {"lang": "zh-CN", "tags": {}, "active": True}
    else:
        base = {}
    merged = {**base, **{k: v for k, v in record.items() if not (k == "id" and v is None)}}
    for name in _MAPS:
        if name in merged:
            merged[name] = {k: v for k, v in merged[name].items() if v}
    return merged


def _merged(before: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """What a stored record becomes: the file's fields over it; a map's channels one by one."""
    after = dict(before)
    for name, value in record.items():
        if name == "id" and value is None:
            continue  # an enterprise's id is kept when the file leaves it empty
        if name in _MAPS:
            combined = {**(before.get(name) or {}), **value}
            after[name] = {k: v for k, v in sorted(combined.items()) if v}
        else:
            after[name] = value
    return after


def _normalised(record: dict[str, Any]) -> dict[str, Any]:
    clean = dict(record)
    for name in _LISTS:
        if isinstance(clean.get(name), list):
            clean[name] = sorted(clean[name])
    for name in _MAPS:
        if isinstance(clean.get(name), dict):
            clean[name] = dict(sorted(clean[name].items()))
    if "active" in clean and clean["active"] is not None:
        clean["active"] = bool(clean["active"])
    if "key_support" in clean and clean["key_support"] is not None:
        clean["key_support"] = bool(clean["key_support"])
    return clean


async def plan_import(storage: UnitOfWorkFactory, records: Records, actor: str, lang: str) -> Plan:
    kind = records.kind
    key_field = KEY_FIELD[kind]
    async with storage() as uow:
        existing = await uow.org_sheets.existing(kind)
    plan = Plan(kind, problems=replace(records.problems, first=list(records.problems.first)))
    taken_ids = {r["id"]: code for code, r in existing.items()} if kind == "enterprises" else {}
    audit_kind = AUDIT_KIND[kind]
    for number, record in records.rows:
        key = record[key_field]
        stored = existing.get(key)
        if stored is None:
            new = _defaults(kind, record)
            if kind == "enterprises":
                holder = taken_ids.get(new["id"])
                if holder is not None:
                    plan.problems.add(
                        Problem(number, t(lang, "org_import.id_taken", id=new["id"], code=holder))
                    )
                    continue
                taken_ids[new["id"]] = key
            plan.added.append(new)
            plan.changes.append(OrgChange(actor, audit_kind, str(key), "add", None, new))
            continue
        before = _normalised(stored)
        before_fields, after_fields = difference(before, _normalised(_merged(before, record)))
        if not after_fields:
            plan.unchanged += 1
            continue
        plan.changed.append({key_field: key, **after_fields})
        plan.changes.append(OrgChange(actor, audit_kind, str(key), "change", before_fields, after_fields))
    return plan


async def apply_import(
    storage: UnitOfWorkFactory, plan: Plan, at: datetime, advance: Callable[[int], None] = lambda _n: None
) -> None:
    """Write the plan in one transaction: all of it, or (on any failure) nothing."""
    async with storage() as uow:
        await uow.org_sheets.write(plan.kind, plan.added, plan.changed, plan.changes, at, advance)
        await uow.commit()
