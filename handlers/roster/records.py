"""A sheet's rows made records of the organisation, each checked: what a centre's spreadsheet gets
wrong (a credit code's check character, an officer nobody knows, a row twice, a required cell
empty) is said with the row's number, in the operator's language."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain.messages import Role
from bot.domain.phones import comparable_phone
from bot.i18n import t
from handlers.roster.columns import CHAT_PREFIX, IDENTITY_PREFIX, Column, UnsavedFormula, read_cell
from nlu.uscc import CHARSET, check_character

KEY_FIELD = {
    "enterprises": "uscc",
    "liaisons": "uscc",
    "contacts": "phone",
    "officers": "id",
    "departments": "id",
    "groups": "id",
}
_ID = re.compile(r"^[a-z0-9_]+$")
_ROLES = {
    "officer": Role.OFFICER,
    "工作人员": Role.OFFICER,
    "干部": Role.OFFICER,
    "head": Role.HEAD,
    "负责人": Role.HEAD,
    "dispatcher": Role.DISPATCHER,
    "调度员": Role.DISPATCHER,
    "派单员": Role.DISPATCHER,
    "admin": Role.ADMIN,
    "管理员": Role.ADMIN,
}
_LANGS = {"zh-cn": "zh-CN", "zh": "zh-CN", "中文": "zh-CN", "en": "en", "english": "en", "英文": "en"}
_GROUP_TAGS = ("industry", "district", "size_class", "qualifications")


@dataclass(frozen=True, slots=True)
class Problem:
    row: int  # as the spreadsheet numbers it: the header is row 1
    text: str


SHOWN_PROBLEMS = 200  # bad rows kept to be listed; the others are only counted


@dataclass
class Problems:
    """A sheet's bad rows: the `keep` first by row number kept with what is wrong, every one
    counted. A sheet of millions of bad rows would otherwise hold a message for each (hundreds of
    MiB) to list a few hundred of them."""

    keep: int = SHOWN_PROBLEMS
    first: list[Problem] = field(default_factory=list)  # in row order
    count: int = 0

    def add(self, problem: Problem) -> None:
        self.count += 1
        if len(self.first) < self.keep or problem.row < self.first[-1].row:
            bisect.insort(self.first, problem, key=lambda p: p.row)
            del self.first[self.keep :]

    @property
    def not_shown(self) -> int:
        return self.count - len(self.first)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.first)


@dataclass(frozen=True, slots=True)
class Known:
    """What rows may name, as the database holds it."""

    officers: Mapping[str, str] = field(default_factory=dict)  # officer id -> name
    departments: Mapping[str, str] = field(default_factory=dict)  # department id -> Chinese name
    enterprises: Mapping[str, str] = field(default_factory=dict)  # credit code -> enterprise id


class BadRow(Exception):
    pass


@dataclass
class Records:
    kind: str
    fields: frozenset[str]  # what the file says (other fields are left as they are)
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)


def read_records(
    kind: str,
    columns: Mapping[int, Column],
    rows: Iterable[tuple[int, list[object]]],
    known: Known,
    lang: str,
) -> Records:
    reader = _Reader(kind, known, lang)
    fields = frozenset(_field_of(c.field) for c in columns.values())
    records = Records(kind, fields)
    seen: dict[str, int] = {}
    key_field = KEY_FIELD[kind]
    for number, cells in rows:
        if all(cell is None or str(cell).strip() == "" for cell in cells):
            continue  # a blank line
        try:
            record = reader.record(columns, cells)
        except BadRow as bad:
            records.problems.add(Problem(number, str(bad)))
            continue
        key = str(record[key_field])
        if key in seen:
            records.problems.add(Problem(number, t(lang, "org_import.duplicate", row=seen[key], value=key)))
            continue
        seen[key] = number
        records.rows.append((number, record))
    return records


def _field_of(name: str) -> str:
    if name.startswith(IDENTITY_PREFIX):
        return "identities"
    if name.startswith(CHAT_PREFIX):
        return "chats"
    return {
        "liaison": "liaison_officer_id",
        "department": "department_id",
        "head": "head_officer_id",
        "uscc": "uscc",
    }.get(name, "tags" if name in _GROUP_TAGS else name)


class _Reader:
    def __init__(self, kind: str, known: Known, lang: str) -> None:
        self.kind = kind
        self.known = known
        self.lang = lang
        by_name: dict[str, list[str]] = {}
        for officer_id, name in known.officers.items():
            by_name.setdefault(name, []).append(officer_id)
        self.officers_by_name = by_name
        self.departments_by_name = {name: d for d, name in known.departments.items()}

    def header(self, column: Column) -> str:
        return column.zh if self.lang.startswith("zh") else column.en

    def fail(self, key: str, **params: Any) -> BadRow:
        return BadRow(t(self.lang, f"org_import.{key}", **params))

    def record(self, columns: Mapping[int, Column], cells: list[object]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for position, column in columns.items():
            raw = cells[position] if position < len(cells) else None
            if isinstance(raw, UnsavedFormula):  # not "missing": the value is there, uncomputed
                raise self.fail("unsaved_formula", column=self.header(column), formula=raw.formula)
            try:
                value = read_cell(column, raw)
            except ValueError as bad:
                raise self.fail("bad_value", column=self.header(column), value=str(bad)) from None
            if column.required and value in (None, []):
                raise self.fail("required", column=self.header(column))
            values[column.field] = value
        made: dict[str, Any] = getattr(self, f"_{self.kind}")(values)
        return made

    # --- checks shared by the kinds ----------------------------------------------------------

    def uscc(self, raw: str) -> str:
        code = raw.strip().upper()
        if len(code) != 18 or any(c not in CHARSET for c in code):
            raise self.fail("bad_uscc_form", code=raw)
        expected = check_character(code[:17])
        if expected != code[17]:
            raise self.fail("bad_uscc_check", code=raw, expected=expected)
        return code

    def officer(self, raw: str | None) -> str | None:
        if raw is None:
            return None
        if raw in self.known.officers:
            return raw
        ids = self.officers_by_name.get(raw, [])
        if len(ids) == 1:
            return ids[0]
        if ids:
            raise self.fail("ambiguous_officer", name=raw, ids=", ".join(sorted(ids)))
        raise self.fail("unknown_officer", name=raw)

    def department(self, raw: str) -> str:
        if raw in self.known.departments:
            return raw
        found = self.departments_by_name.get(raw)
        if found is None:
            raise self.fail("unknown_department", name=raw)
        return found

    def enterprise(self, code: str) -> str:
        found = self.known.enterprises.get(code)
        if found is None:
            raise self.fail("unknown_enterprise", code=code)
        return found

    def lang_of(self, raw: str | None) -> str | None:
        if raw is None:
            return None
        found = _LANGS.get(raw.strip().lower())
        if found is None:
            raise self.fail("bad_value", column=t(self.lang, "org_import.language"), value=raw)
        return found

    def plain_id(self, raw: str) -> str:
        if not _ID.match(raw):
            raise self.fail("bad_id", id=raw)
        return raw

    # --- one per kind --------------------------------------------------------------------------

    def _enterprises(self, v: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {"uscc": self.uscc(v["uscc"])}
        if "id" in v:
            record["id"] = self.plain_id(v["id"]) if v["id"] else None
        for name in ("name", "industry", "district", "size_class", "tags", "key_support"):
            if name in v:
                record[name] = v[name] if name != "key_support" else bool(v[name])
        if "liaison" in v:
            record["liaison_officer_id"] = self.officer(v["liaison"])
        return record

    def _liaisons(self, v: dict[str, Any]) -> dict[str, Any]:
        code = self.uscc(v["uscc"])
        self.enterprise(code)
        return {"uscc": code, "liaison_officer_id": self.officer(v.get("liaison"))}

    def _contacts(self, v: dict[str, Any]) -> dict[str, Any]:
        code = self.uscc(v["uscc"])
        phone = comparable_phone(v["phone"])
        if phone is None:
            raise self.fail("bad_phone", phone=v["phone"])
        record: dict[str, Any] = {
            "phone": phone,
            "display_name": v["display_name"],
            "enterprise_id": self.enterprise(code),
        }
        if "lang" in v:
            record["lang"] = self.lang_of(v["lang"]) or "zh-CN"
        return record

    def _officers(self, v: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": self.plain_id(v["id"]),
            "name": v["name"],
            "department_id": self.department(v["department"]),
        }
        if "role" in v:
            role = _ROLES.get((v["role"] or "officer").strip().lower())
            if role is None:
                raise self.fail("bad_value", column=t(self.lang, "org_import.role"), value=v["role"])
            record["role"] = role.value
        if "lang" in v:
            record["lang"] = self.lang_of(v["lang"]) or "zh-CN"
        if "active" in v:
            record["active"] = v["active"] is not False
        identities = {k.removeprefix(IDENTITY_PREFIX): v[k] for k in v if k.startswith(IDENTITY_PREFIX)}
        if identities:
            record["identities"] = identities  # a partial map: None removes the channel's identity
        return record

    def _departments(self, v: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {"id": self.plain_id(v["id"]), "name_zh": v["name_zh"]}
        if "name_en" in v:
            record["name_en"] = v["name_en"] or v["name_zh"]
        if "head" in v:
            record["head_officer_id"] = self.officer(v["head"])
        if "lang" in v:
            record["lang"] = self.lang_of(v["lang"]) or "zh-CN"
        if "topics" in v:
            record["topics"] = v["topics"]
        if "aliases" in v:
            record["aliases"] = v["aliases"]
        chats = {k.removeprefix(CHAT_PREFIX): v[k] for k in v if k.startswith(CHAT_PREFIX)}
        if chats:
            record["chats"] = chats
        return record

    def _groups(self, v: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": self.plain_id(v["id"]),
            "name": v["name"],
            "channel": v["channel"],
            "chat_id": v["chat_id"],
        }
        if "lang" in v:
            record["lang"] = self.lang_of(v["lang"]) or "zh-CN"
        tags = {name: v[name] for name in _GROUP_TAGS if v.get(name)}
        if any(name in v for name in _GROUP_TAGS):
            record["tags"] = tags
        return record
