"""`xiaoer shell`: chat with Xiaoer in a terminal, as an enterprise contact or as an officer.

Like `rasa shell`, and scriptable: with piped stdin it reads one message per line, echoes it,
prints the replies and exits at the end of input. Messages for people other than the current
identity wait in their inbox and are shown when you switch to them with `/as`.

The terminal is a channel like the others: what Xiaoer says is queued in the outbox in the
transaction that handled the line, and the outbox sender delivers it through `ConsoleTransport`,
which prints it (or keeps it for another identity). Only the update itself skips the inbox: a
line typed at a prompt is handled at once, and a failure is shown at once instead of retried.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.domain.messages import (
    SHARE_PHONE,
    Attachment,
    Button,
    Capabilities,
    Inbound,
    Recipient,
    Sender,
    ToChat,
    ToDepartment,
)
from bot.domain.org import Directory
from bot.domain.outbox import Address, MessageKind, Origin, OutboxMessage, personal_addresses
from bot.i18n import t
from bot.outbox import OutboxSender, Outcome, Sent
from handlers.deps import Deps
from handlers.dispatch import handle
from handlers.outgoing import Outgoing

CHANNEL = "console"
CAPABILITIES = Capabilities(shares_phone=False)  # a terminal has no contact button
QUIT = frozenset({"/quit", "/exit"})
DEPARTMENT = "department:"  # a department's "chat": each of its officers' inboxes
ELSEWHERE = "elsewhere:"  # a chat on another channel, which a terminal can only mention


def enterprise_identity(enterprise_id: str) -> str:
    return f"enterprise:{enterprise_id}"


def officer_identity(officer_id: str) -> str:
    return f"officer:{officer_id}"


@dataclass
class _Message:
    text: str
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None


@dataclass
class ConsoleShell:
    deps: Deps
    out: TextIO
    interactive: bool
    storage_failure: Callable[[BaseException], Exception | None]
    identity: str = "guest"
    lang: str = "zh-CN"
    _inbox: dict[str, list[_Message]] = field(default_factory=lambda: defaultdict(list))
    _buttons: dict[str, tuple[Button, ...]] = field(default_factory=dict)
    attachments_dir: Path | None = None  # where attachments are written (default: a new temporary one)
    _saved: int = 0
    _outgoing: Outgoing = field(init=False)
    _sender: OutboxSender = field(init=False)

    def __post_init__(self) -> None:
        self._outgoing = Outgoing(self.deps, [ConsoleAddressing(self.deps.directory)])
        self._sender = OutboxSender(self.deps, {CHANNEL: ConsoleTransport(self)})

    async def greet(self) -> None:
        self._print(t(self.lang, "shell.banner"))
        self._print(t(self.lang, "shell.whoami", who=await self._describe(self.identity)))

    async def run(self, source: TextIO) -> None:
        while True:
            if self.interactive:
                self.out.write(f"{self.identity}> ")
                self.out.flush()
            line = await asyncio.to_thread(source.readline)
            if not line:
                break
            text = line.rstrip("\r\n")
            if not self.interactive:
                self._print(f"{self.identity}> {text}")
            if not text.strip():
                continue
            if text.strip() in QUIT:
                break
            await self.say(text)

    async def say(self, text: str) -> None:
        """One line typed by the current identity. A database that stops working ends the shell
        (the caller exits 2 naming it); any other failure is reported and the shell goes on."""
        try:
            await self._say(text)
        except Exception as exc:
            failure = self.storage_failure(exc)
            if failure is not None:
                raise failure from exc
            self._print(t(self.lang, "shell.internal_error", error=f"{type(exc).__name__}: {exc}"))

    async def _say(self, text: str) -> None:
        stripped = text.strip()
        if stripped == "/whoami":
            self._print(t(self.lang, "shell.whoami", who=await self._describe(self.identity)))
            return
        if stripped == "/as" or stripped.startswith("/as "):
            await self._switch(stripped[3:].split())
            return
        payload = self._button_payload(stripped)
        inbound = Inbound(
            sender=Sender(CHANNEL, self.identity),
            chat_id=self.identity,
            text=text,
            payload=payload,
            received_at=self.deps.clock(),
            capabilities=CAPABILITIES,
        )
        deps = self.deps
        await self._outgoing.run(lambda: handle(inbound, deps), Origin(CHANNEL, self.identity))
        await self._sender.run(until_idle=True)

    def _button_payload(self, text: str) -> str | None:
        """A bare number picks one of the buttons last shown to this identity."""
        buttons = self._buttons.get(self.identity, ())
        if buttons and text.isdecimal() and text.isascii() and 1 <= int(text) <= len(buttons):
            self._buttons.pop(self.identity, None)
            return buttons[int(text) - 1].payload
        return None

    def deliver(self, message: OutboxMessage) -> None:
        """What the outbox sender hands the terminal: shown if it is for who you are now, kept in
        the inbox of whom it is for otherwise, a line saying where it went."""
        # the console cannot share a phone number: that button is left out
        buttons = tuple(b for b in message.buttons if b.payload != SHARE_PHONE)
        shown = _Message(message.text, buttons, message.attachment)
        chat = message.chat_id
        if chat.startswith(DEPARTMENT):
            department_id = chat.removeprefix(DEPARTMENT)
            for officer in self.deps.directory.members(department_id):
                self._send(officer_identity(officer.id), shown, None)
            department = self.deps.directory.departments[department_id].name(self.lang)
            self._print(t(self.lang, "shell.delivered_department", department=department))
        elif chat.startswith(ELSEWHERE):
            self._print(t(self.lang, "shell.delivered", who=chat.removeprefix(ELSEWHERE)))
        else:
            kind, _, key = chat.partition(":")
            who = key if kind == "officer" else chat
            self._send(chat, shown, t(self.lang, "shell.delivered", who=who))

    def _send(self, identity: str, message: _Message, note: str | None) -> None:
        if identity == self.identity:
            self._show(identity, message)
            return
        self._inbox[identity].append(message)
        if note is not None:
            self._print(note)

    def _show(self, identity: str, message: _Message) -> None:
        self._print(t(self.lang, "shell.bot_says", text=message.text))
        if message.attachment is not None:
            path = self._save(message.attachment)
            self._print(t(self.lang, "report.attachment_saved", name=message.attachment.name, path=path))
        if message.buttons:
            self._buttons[identity] = message.buttons
            choices = "  ".join(f"[{i}] {b.label}" for i, b in enumerate(message.buttons, start=1))
            self._print(t(self.lang, "shell.choose", choices=choices))

    async def switch_to(self, kind: str, wanted: str) -> bool:
        """Become someone else; False (with the choices printed) if there is no such identity."""
        return await self._switch([kind, wanted])

    async def _switch(self, args: list[str]) -> bool:
        directory = self.deps.directory
        if len(args) != 2 or args[0] not in ("enterprise", "officer"):
            self._print(t(self.lang, "shell.as_usage"))
            return False
        kind, wanted = args
        if kind == "officer":
            if wanted not in directory.officers:
                self._print(
                    t(self.lang, "shell.unknown_officer", id=wanted, choices=", ".join(directory.officers))
                )
                return False
            identity = officer_identity(wanted)
        else:
            async with self.deps.storage() as uow:
                known = [e.id for e in await uow.enterprises.all()]
            if wanted not in known:
                self._print(t(self.lang, "shell.unknown_enterprise", id=wanted, choices=", ".join(known)))
                return False
            identity = enterprise_identity(wanted)
        self.identity = identity
        self._print(t(self.lang, "shell.switched", who=await self._describe(identity)))
        waiting = self._inbox.pop(identity, [])
        if waiting:
            self._print(t(self.lang, "shell.inbox", count=len(waiting)))
            for message in waiting:
                self._show(identity, message)
        return True

    async def _describe(self, identity: str) -> str:
        kind, _, key = identity.partition(":")
        directory = self.deps.directory
        if kind == "officer" and key in directory.officers:
            officer = directory.officers[key]
            return t(
                self.lang,
                "shell.who_officer",
                name=officer.name,
                department=directory.departments[officer.department_id].name(self.lang),
                role=officer.role.value,
                id=officer.id,
            )
        async with self.deps.storage() as uow:
            contact = await uow.contacts.by_identity(CHANNEL, identity)
            enterprise = (
                await uow.enterprises.get(contact.enterprise_id)
                if contact and contact.enterprise_id
                else None
            )
        return t(
            self.lang,
            "shell.who_enterprise",
            contact=contact.display_name if contact else identity,
            enterprise=enterprise.name if enterprise else t(self.lang, "ticket.unverified_company"),
            id=enterprise.id if enterprise else "-",
        )

    def _save(self, attachment: Attachment) -> Path:
        """A terminal cannot show a picture: the file goes to a temporary directory instead."""
        if self.attachments_dir is None:
            self.attachments_dir = Path(tempfile.mkdtemp(prefix="xiaoer-shell-"))
        self._saved += 1
        path = self.attachments_dir / f"{self._saved}-{Path(attachment.name).name}"
        path.write_bytes(attachment.data)
        return path

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


class ConsoleAddressing:
    """The people in the terminal by their console identities; a department by its officers."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    @property
    def channel(self) -> str:
        return CHANNEL

    def addresses(self, to: Recipient, origin: Origin | None) -> list[Address]:
        match to:
            case ToDepartment(department_id=department_id):
                return [Address(f"{DEPARTMENT}{department_id}")]
            case ToChat(channel=channel, chat_id=chat_id) if channel != CHANNEL:
                return [Address(f"{ELSEWHERE}{channel}:{chat_id}")]
        return personal_addresses(CHANNEL, to, origin, self.directory)


class ConsoleTransport:
    """The terminal's way out: the shell prints or keeps each message; it never fails."""

    def __init__(self, shell: ConsoleShell) -> None:
        self.shell = shell
        self._ids = itertools.count(1)

    @property
    def channel(self) -> str:
        return CHANNEL

    def ready_in(self, chat_id: str) -> float:
        return 0.0

    async def wait_turn(self, chat_id: str) -> None:
        return None

    async def send(self, message: OutboxMessage) -> Outcome:
        if message.kind is MessageKind.REPLY:  # a terminal keeps no posts to rewrite
            self.shell.deliver(message)
        return Sent(str(next(self._ids)), trackable=False)

    async def close(self) -> None:
        return None
