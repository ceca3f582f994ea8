"""The columns of each kind of organisation sheet (`xiaoer import` / `xiaoer export`): the field
each fills, its header as centres write it (Chinese) and in English, whether it is required, and
how a cell becomes a value and back. Headers are the file format, not bot text: the notes a
template carries live in the catalogues (org_sheet.note.<field>)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.text import storable

KINDS = ("enterprises", "contacts", "officers", "departments", "groups", "liaisons")

# cell forms
TEXT, LIST, FLAG, MAP = "text", "list", "flag", "map"
_SPLIT = re.compile(r"[、,，;；|\s]+")
_YES = {"是", "y", "yes", "true", "1", "√", "✓", "重点"}
_NO = {"否", "n", "no", "false", "0", ""}


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    zh: str
    en: str
    required: bool = False
    form: str = TEXT
    aliases: tuple[str, ...] = ()
    export_only: bool = False  # computed by the export (bound or not), ignored on import

    def headers(self) -> tuple[str, ...]:
        return (self.zh, self.en, self.field, *self.aliases)


def _c(field: str, zh: str, en: str, *aliases: str, required: bool = False, form: str = TEXT) -> Column:
    return Column(field, zh, en, required, form, aliases)


_ENTERPRISE = _c("uscc", "统一社会信用代码", "Credit code", "信用代码", "社会信用代码", required=True)
_LIAISON = _c("liaison", "包联干部", "Liaison officer", "包联领导", "联系干部")
_LANG = _c("lang", "语言", "Language")

COLUMNS: dict[str, tuple[Column, ...]] = {
    "enterprises": (
        _ENTERPRISE,
        _c("name", "企业名称", "Name", "企业全称", "单位名称", required=True),
        _c("id", "企业编号", "Enterprise id"),
        _c("industry", "所属行业", "Industry", "行业"),
        _c("district", "所属街道", "District", "所属区域", "街道", "镇街"),
        _c("size_class", "企业规模", "Size class", "规模"),
        _c("tags", "标签", "Tags", form=LIST),
        _c("key_support", "重点帮扶", "Key support", "重点企业", form=FLAG),
        _LIAISON,
    ),
    "contacts": (
        _ENTERPRISE,
        _c("display_name", "联系人", "Contact", "姓名", "联系人姓名", required=True),
        _c("phone", "手机", "Phone", "手机号", "联系电话", "手机号码", required=True),
        _LANG,
        Column("bound", "是否绑定", "Bound", form=FLAG, export_only=True),
    ),
    "officers": (
        _c("id", "干部编号", "Officer id", "工号", "编号", required=True),
        _c("name", "姓名", "Name", required=True),
        _c("department", "所属部门", "Department", "部门", required=True),
        _c("role", "角色", "Role"),
        _LANG,
        _c("active", "在岗", "Active", form=FLAG),
        # identities: one column per channel, added by columns_of()
    ),
    "departments": (
        _c("id", "部门编号", "Department id", required=True),
        _c("name_zh", "部门名称", "Name (Chinese)", required=True),
        _c("name_en", "英文名称", "Name (English)"),
        _c("head", "负责人", "Head"),
        _LANG,
        _c("topics", "话题渠道", "Forum topics on", form=LIST),
        _c("aliases", "简称", "Other names", "别名", form=LIST),
        # group chats: one column per channel, added by columns_of()
    ),
    "groups": (
        _c("id", "群编号", "Group id", required=True),
        _c("name", "群名称", "Group name", required=True),
        _c("channel", "渠道", "Channel", required=True),
        _c("chat_id", "群ID", "Chat id", "群号", required=True),
        _LANG,
        _c("industry", "所属行业", "Industry", "行业", form=LIST),
        _c("district", "所属街道", "District", "所属区域", form=LIST),
        _c("size_class", "企业规模", "Size class", form=LIST),
        _c("qualifications", "资质", "Qualifications", form=LIST),
    ),
    "liaisons": (
        _ENTERPRISE,
        Column("name", "企业名称", "Name", export_only=True),
        _c("liaison", "包联干部", "Liaison officer", "包联领导"),  # empty: no liaison officer
    ),
}

IDENTITY_PREFIX = "identity:"  # officers' channel identity fields: identity:telegram
CHAT_PREFIX = "chat:"  # departments' group chat fields: chat:wecom


def columns_of(kind: str, channels: tuple[str, ...]) -> tuple[Column, ...]:
    """The kind's columns; officers and departments have one more per channel."""
    extra: tuple[Column, ...] = ()
    if kind == "officers":
        extra = tuple(
            Column(f"{IDENTITY_PREFIX}{ch}", f"{ch}账号", f"{ch} id", aliases=(ch,)) for ch in channels
        )
    elif kind == "departments":
        extra = tuple(Column(f"{CHAT_PREFIX}{ch}", f"{ch}群", f"{ch} chat") for ch in channels)
    return COLUMNS[kind] + extra


def match_headers(
    kind: str, headers: list[str], channels: tuple[str, ...]
) -> tuple[dict[int, Column], list[str]]:
    """Which column each header of the file is (by its position), and the headers not known."""
    known = {_key(h): c for c in columns_of(kind, channels) for h in c.headers()}
    found: dict[int, Column] = {}
    unknown = []
    for position, header in enumerate(headers):
        column = known.get(_key(header))
        if column is None:
            if header.strip():
                unknown.append(header.strip())
        elif not column.export_only:
            found[position] = column
    return found, unknown


def _key(header: str) -> str:
    return re.sub(r"[\s_()（）*]+", "", header).lower()


@dataclass(frozen=True, slots=True)
class UnsavedFormula:
    """A cell holding a formula whose result no spreadsheet program saved (a file written by a
    script, never opened and saved in Excel): a reader sees no value, and the cell is not empty."""

    formula: str


def read_cell(column: Column, raw: object) -> object:
    """A cell's value in the column's form (raises ValueError with what is wrong)."""
    text = _text(raw)
    if column.form == LIST:
        return sorted(dict.fromkeys(part for part in _SPLIT.split(text) if part))
    if column.form == FLAG:
        lowered = text.lower()
        if lowered in _YES:
            return True
        if lowered in _NO:
            return False
        raise ValueError(text)
    return text or None


def write_cell(column: Column, value: object) -> str:
    if column.form == LIST:
        return "、".join(str(v) for v in value) if isinstance(value, list | tuple) else ""
    if column.form == FLAG:
        return "是" if value else "否"
    return "" if value is None else str(value)


def _text(raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # a number typed into a spreadsheet (a phone, a chat id)
    return storable(str(raw)).strip()  # a control character pasted into a cell goes
