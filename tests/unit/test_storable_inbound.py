"""An update is made storable as it arrives and again as it is handled: what a database refuses is
cleaned out of its text and payload, and an update with nothing to clean is kept as it is."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.messages import Inbound, Sender
from bot.domain.text import storable_inbound

SENDER = Sender("telegram", "7")
AT = datetime(2026, 12, 7, 2, 10, tzinfo=UTC)


def test_text_and_payload_are_cleaned() -> None:
    dirty = Inbound(SENDER, "7", "停\x00电了\ud800", AT, payload="ent:\x01info:3", delivery_id="9")
    clean = storable_inbound(dirty)
    assert (clean.text, clean.payload) == ("停电了?", "ent:info:3")
    assert (clean.delivery_id, clean.received_at) == ("9", AT)


def test_an_empty_payload_becomes_none_as_before() -> None:
    assert storable_inbound(Inbound(SENDER, "7", "hi", AT, payload="")).payload is None


def test_an_update_with_nothing_to_clean_is_itself() -> None:
    update = Inbound(SENDER, "7", "园区限电，生产线停了", AT, payload="similar:4:new")
    assert storable_inbound(update) is update
    assert storable_inbound(Inbound(SENDER, "7", "hi", AT)).payload is None
