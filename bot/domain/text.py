"""Text as every part of Xiaoer may keep it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bot.domain.messages import Inbound

T = TypeVar("T")

# what XML 1.0 forbids (C0 controls but tab, newline and return; lone surrogates; U+FFFE/U+FFFF):
# not in an .xlsx or .docx cell, nor in WeCom's XML; nobody types them, they come pasted
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def sheet_row(values: Iterable[T]) -> list[T | str]:
    """A spreadsheet row openpyxl accepts: text stored before it was cleaned as it came in (see
    `storable`) may still hold a character XML forbids, which would end the whole file's writing."""
    return [NOT_XML.sub("", value) if isinstance(value, str) else value for value in values]


def storable(text: str) -> str:
    """Text every database and every file Xiaoer writes accepts: no NUL or other control
    characters XML forbids, no unpaired surrogates (undecodable input)."""
    return NOT_XML.sub("", text.encode("utf-8", "replace").decode("utf-8"))


def storable_inbound(inbound: Inbound) -> Inbound:
    """The update with its text and payload `storable`; the update itself when they are already,
    as nearly always (it is cleaned as it arrives and again as it is handled, and a `replace` of
    its eleven fields is most of the cost)."""
    text = storable(inbound.text)
    payload = storable(inbound.payload) if inbound.payload else None
    if text == inbound.text and payload == inbound.payload:
        return inbound
    return replace(inbound, text=text, payload=payload)
