"""`xiaoer export` and `xiaoer import --template`: the organisation's records as the sheets'
columns, in the form `xiaoer import` reads back unchanged (export round-trips)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.i18n import t
from handlers.roster.columns import CHAT_PREFIX, IDENTITY_PREFIX, Column, columns_of, write_cell
from storage.protocols import UnitOfWorkFactory

# a column's field -> the record's field it shows, where the two differ
_SOURCE = {
    "liaison": "liaison_officer_id",
    "department": "department_id",
    "head": "head_officer_id",
}
_GROUP_TAGS = ("industry", "district", "size_class", "qualifications")


def headers(kind: str, channels: tuple[str, ...], lang: str) -> list[str]:
    return [c.zh if lang.startswith("zh") else c.en for c in columns_of(kind, channels)]


def notes(kind: str, channels: tuple[str, ...], lang: str) -> list[str]:
    """What each column of a template holds (a cell comment on its header)."""
    found = []
    for column in columns_of(kind, channels):
        field = column.field
        if field.startswith(IDENTITY_PREFIX):
            note = t(lang, "org_sheet.identity", channel=field.removeprefix(IDENTITY_PREFIX))
        elif field.startswith(CHAT_PREFIX):
            note = t(lang, "org_sheet.chat", channel=field.removeprefix(CHAT_PREFIX))
        else:
            note = t(lang, f"org_sheet.{field}")
        required = t(lang, "org_sheet.required") if column.required else ""
        found.append(f"{required}{note}")
    return found


def cell_value(kind: str, column: Column, record: dict[str, Any]) -> object:
    field = column.field
    if field.startswith(IDENTITY_PREFIX):
        return (record.get("identities") or {}).get(field.removeprefix(IDENTITY_PREFIX))
    if field.startswith(CHAT_PREFIX):
        return (record.get("chats") or {}).get(field.removeprefix(CHAT_PREFIX))
    if kind == "groups" and field in _GROUP_TAGS:
        return (record.get("tags") or {}).get(field, [])
    return record.get(_SOURCE.get(field, field))


async def export_rows(
    storage: UnitOfWorkFactory, kind: str, channels: tuple[str, ...]
) -> tuple[int, Iterator[list[str]]]:
    """How many records, and their rows."""
    async with storage() as uow:
        records = await uow.org_sheets.export(kind)
    columns = columns_of(kind, channels)
    rows = ([write_cell(c, cell_value(kind, c, record)) for c in columns] for record in records)
    return len(records), rows
