"""The Telegram transport on the wire, against the fake Bot API over real HTTP: the outbox's
messages go as plain JSON posts (an upload as a multipart form), in HTML, with their buttons and
topics; each refusal Telegram can answer becomes the outcome the sender records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.channels.pacing import Pacer
from bot.channels.telegram.adapter import make_bot
from bot.channels.telegram.transport import UNSAID_RETRY_AFTER, TelegramTransport
from bot.domain.messages import SHARE_PHONE, Attachment, Button
from bot.domain.outbox import DeliveryStatus, MessageKind, OutboxMessage
from bot.outbox import Moved, Refused, RetryAfter, Sent, Transient
from tests.fake_telegram import FakeBotApi

PERSON = 5001
GROUP = -100_200


@dataclass
class Wire:
    api: FakeBotApi
    transport: TelegramTransport


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    api = FakeBotApi()
    await api.start()
    transport = TelegramTransport(make_bot(api.token, api.base), Pacer(), owns_bot=True)
    try:
        yield Wire(api, transport)
    finally:
        await transport.close()
        await api.stop()


def reply(chat: int, text: str, **fields: object) -> OutboxMessage:
    return OutboxMessage(MessageKind.REPLY, "telegram", str(chat), text, id=1, **fields)  # type: ignore[arg-type]


async def test_a_message_goes_as_a_json_post_in_html_with_its_buttons(wire: Wire) -> None:
    outcome = await wire.transport.send(
        reply(PERSON, "<b>not bold</b> & co", buttons=(Button("Done", "done:1"), Button("Later", "later:1")))
    )
    assert isinstance(outcome, Sent)
    sent = wire.api.sent[-1]
    assert outcome.platform_id == str(sent.message_id)
    assert (wire.api.calls, wire.api.bodies) == (["sendmessage"], ["application/json"])
    assert sent.parse_mode == "HTML"
    assert sent.text == "&lt;b&gt;not bold&lt;/b&gt; &amp; co"  # escaped: shown as written
    assert sent.buttons == [("Done", "done:1"), ("Later", "later:1")]


async def test_the_contact_button_is_a_keyboard_button_that_asks_for_the_persons_own_number(
    wire: Wire,
) -> None:
    await wire.transport.send(reply(PERSON, "Your number?", buttons=(Button("Share", SHARE_PHONE),)))
    assert wire.api.sent[-1].keyboard == [("Share", True)]
    assert wire.api.sent[-1].buttons == []


async def test_a_tickets_first_post_in_a_forum_opens_its_topic_and_posts_in_it(wire: Wire) -> None:
    wire.api.forums.add(GROUP)
    wire.transport.topic_chats.add(GROUP)
    outcome = await wire.transport.send(reply(GROUP, "#7 A demand\nin detail", ticket=7, post=True))
    assert isinstance(outcome, Sent)
    [(thread, name)] = wire.api.topics[GROUP]
    assert name == "#7 A demand"
    assert (outcome.thread_id, wire.api.sent[-1].thread_id) == (str(thread), thread)


async def test_a_group_that_refuses_topics_gets_a_plain_post(wire: Wire) -> None:
    wire.transport.topic_chats.add(GROUP)  # configured as a forum, but Telegram says it is not one
    outcome = await wire.transport.send(reply(GROUP, "#7 A demand", ticket=7, post=True))
    assert isinstance(outcome, Sent)
    assert outcome.thread_id is None
    assert wire.api.sent[-1].thread_id is None


async def test_a_long_message_goes_in_pieces_with_the_buttons_under_the_last(wire: Wire) -> None:
    text = ("line of text " * 20 + "\n") * 40  # about 10,000 characters
    outcome = await wire.transport.send(reply(PERSON, text, buttons=(Button("Done", "done:1"),)))
    assert isinstance(outcome, Sent)
    pieces = wire.api.sent
    assert len(pieces) == 3
    assert all(len(p.text) <= 4096 for p in pieces)
    assert outcome.more_ids == tuple(str(p.message_id) for p in pieces[1:])
    assert [p.buttons for p in pieces] == [[], [], [("Done", "done:1")]]


async def test_a_photo_is_uploaded_with_its_caption_in_html_and_its_buttons(wire: Wire) -> None:
    photo = Attachment("chart.png", b"\x89PNG chart", "photo")
    outcome = await wire.transport.send(
        reply(PERSON, "Weekly <chart>", attachment=photo, buttons=(Button("More", "more:1"),))
    )
    assert isinstance(outcome, Sent)
    sent = wire.api.sent[-1]
    assert wire.api.calls == ["sendphoto"]
    assert wire.api.bodies[-1] == "multipart/form-data"
    assert (sent.file, sent.text, sent.parse_mode) == (b"\x89PNG chart", "Weekly &lt;chart&gt;", "HTML")
    assert sent.buttons == [("More", "more:1")]


async def test_an_edit_rewrites_the_post_and_an_unchanged_one_counts_as_done(wire: Wire) -> None:
    first = await wire.transport.send(reply(GROUP, "#7 open"))
    assert isinstance(first, Sent)
    edit = OutboxMessage(
        MessageKind.EDIT, "telegram", str(GROUP), "#7 closed", id=2, edit_of=first.platform_id
    )
    assert await wire.transport.send(edit) == Sent(first.platform_id, trackable=False)
    assert wire.api.sent[-1].text == "#7 closed"
    assert wire.api.edits[-1]["parse_mode"] == "HTML"
    # Telegram refuses an edit that changes nothing ("message is not modified"): already as wanted
    assert await wire.transport.send(edit) == Sent(first.platform_id, trackable=False)
    assert len(wire.api.edits) == 2


async def test_an_edit_of_a_message_that_is_gone_fails(wire: Wire) -> None:
    edit = OutboxMessage(MessageKind.EDIT, "telegram", str(GROUP), "#7 closed", id=2, edit_of="999")
    assert await wire.transport.send(edit) == Refused(
        DeliveryStatus.FAILED, "Bad Request: message to edit not found"
    )


async def test_429_holds_the_chat_for_the_time_telegram_asks(wire: Wire) -> None:
    wire.api.flood_left, wire.api.flood_retry_after = 1, 7
    outcome = await wire.transport.send(reply(PERSON, "hello"))
    assert outcome == RetryAfter(7.0, "Too Many Requests: retry after 7")
    assert wire.transport.ready_in(str(PERSON)) > 6


async def test_a_429_that_does_not_say_how_long_is_still_a_wait_not_a_message_in_doubt(wire: Wire) -> None:
    wire.api.flood(1, retry_after=None)
    outcome = await wire.transport.send(reply(PERSON, "hello"))
    assert outcome == RetryAfter(UNSAID_RETRY_AFTER, "Too Many Requests: retry after None")
    assert wire.transport.ready_in(str(PERSON)) > UNSAID_RETRY_AFTER - 1


async def test_a_user_who_blocked_the_bot_is_refused_as_blocked(wire: Wire) -> None:
    wire.api.blocked.add(PERSON)
    outcome = await wire.transport.send(reply(PERSON, "hello"))
    assert outcome == Refused(DeliveryStatus.BLOCKED, "Forbidden: bot was blocked by the user")


async def test_a_group_that_became_a_supergroup_is_moved_to_its_new_id(wire: Wire) -> None:
    wire.api.migrated[GROUP] = -1_000_555
    outcome = await wire.transport.send(reply(GROUP, "hello"))
    assert outcome == Moved("-1000555", "Bad Request: group chat was upgraded to a supergroup chat")


async def test_a_refused_token_is_transient_and_nothing_was_delivered(wire: Wire) -> None:
    wire.api.token = "999:ANOTHER-TOKEN"  # the fake now answers 401 to this bot
    outcome = await wire.transport.send(reply(PERSON, "hello"))
    assert outcome == Transient("the bot token was refused: Unauthorized")


async def test_a_server_error_may_have_delivered(wire: Wire) -> None:
    wire.api.server_errors_left = 1
    outcome = await wire.transport.send(reply(PERSON, "hello"))
    assert outcome == Transient("HTTP 502: Bad Gateway", maybe_delivered=True)


async def test_a_broken_connection_may_have_delivered(wire: Wire) -> None:
    await wire.api.stop()  # nothing listens any more
    outcome = await wire.transport.send(reply(PERSON, "hello"))
    assert isinstance(outcome, Transient)
    assert outcome.maybe_delivered


async def test_a_message_refused_part_way_resumes_at_the_piece_that_failed(wire: Wire) -> None:
    message = reply(PERSON, ("line of text " * 20 + "\n") * 20)  # two pieces
    wire.api.on_send = lambda _chat: not wire.api.sent  # the first piece goes, the second fails
    assert isinstance(await wire.transport.send(message), Transient)
    wire.api.on_send = None
    resumed = await wire.transport.send(message)
    assert isinstance(resumed, Sent)
    assert len(wire.api.sent) == 2  # the first piece was not sent twice
    assert (resumed.platform_id, resumed.more_ids) == (
        str(wire.api.sent[0].message_id),
        (str(wire.api.sent[1].message_id),),
    )
