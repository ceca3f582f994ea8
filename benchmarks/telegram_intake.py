"""Telegram intake throughput: updates through the full pipeline (fake Bot API on loopback,
aiogram, NLU, SQLite, replies sent back) against, on the same harness and in the same round:
a no-op aiogram handler; the three sends alone (a handler that only sends what Xiaoer sends for a
new demand); the peer design, a minimal support bot (one aiosqlite connection in WAL mode with
full durability, per private message one INSERT transaction, then a reply and a group post); and
the floor.

The floor is the peer design with what Xiaoer must keep and send for a new demand added: not a
competitor, but the core of Xiaoer's job done the simplest way on the peer's tools (plain SQL on
the peer's one connection, no code of Xiaoer's but its NLU and its sends). It leaves out the rest
of what Xiaoer must do (routing, deadlines, audit, contacts, the shared-problem check, masking,
rendering: the floor with every obligation, benchmarks/intake_floor_full.py, adds them). It is a
measured floor for the design, not a proven lower bound, and it does not recognise an update sent
twice. Per
private message: the text parsed by Xiaoer's NLU as config.yaml configures it (the builtin model,
loaded once before timing by bot.bootstrap.build_nlu, as `xiaoer run` loads it); one fsync'd
transaction keeping the update as received (before anything is answered, as Xiaoer's inbox does),
the ticket (intent, category, urgency, language, text) and the three messages as pending (the
outbox: their text stored before they are sent); the three sends, as the "sends alone" handler
sends them (Xiaoer's transport); and a second fsync'd transaction marking the three sent with the
platform's message ids (two commits a demand, as goal 2 allows). It runs a second time with those
marks written together, as Xiaoer's outbox sender writes a round's outcomes in one transaction:
each handler's marks wait, and whichever handler next has the connection writes all that wait
(about one fsync'd commit an update).
Each transaction has the connection to itself while it runs, since aiogram handles a polled batch
of updates concurrently and one handler's COMMIT must not commit another's half-written demand.
It runs a third time with its database reached in place, as Xiaoer's storage reaches a SQLite
file (the standard library's sqlite3 on the event loop, `run_floor_in_place`), not through
aiosqlite's thread: there a transaction holds the connection across a trip to that thread per
statement, and the other handlers wait for it; in place it runs between two awaits, with nothing
to wait for. Same schema, statements, NLU and sends; two fsync'd commits an update.

    python -m benchmarks.telegram_intake [--updates 500] [--rounds 3] [--in-process] [--profile FILE]

Each round prints full/peer and full/sends-alone (ratios of rates, taken within the round), and
the units of work the full pipeline ran per update (BEGIN, COMMIT, commits that wrote, ROLLBACK,
statements: counted on the engine's connections) and the bot process's CPU per update in each
mode (less disturbed by other work on the machine than wall time; the fake Bot API runs in a
child process and is not counted); then the floor's rate, full/floor and floor/peer, and the
floor's CPU per update over its timed part alone (the "sends alone" and peer figures include
their set-up); then the commits that wrote (each fsync'd) per update of the peer, the floor and
the full pipeline, and the peer run again with each message's transaction its own (as written,
the peer's transactions are not: see `run_peer`), with full/that; then the floor with its
delivery records written together, its commits per update, it/peer and full/it; then the floor in
place, its commits and CPU per update, it/peer, it/sends-alone and full/it; then the same for the
floor with every obligation (benchmarks/intake_floor_full.py: the in-place floor with the rest of
what Xiaoer must do for a new demand added, the simplest way), with it against the peer with its
own commits too (goal 1's bar, were the peer held to the commits goal 2 holds Xiaoer to). The last
line is the medians over the rounds.

The full pipeline is warmed before it is timed as `xiaoer run` warms before it serves, and every
mode is timed with what it set up frozen out of the garbage collector's sight, as `xiaoer run`
freezes its start-up (each mode's own, given back after it).

`--profile FILE` runs the full pipeline under cProfile (every round; the other modes are not
profiled), writes the statistics to FILE (for `python -m pstats` or snakeviz) and prints the
functions that took the most time, their own and with what they called.

The fake Bot API runs in a child process of its own (real Telegram is another machine, so its
work should not take the bot's CPU), for both the full run and the no-op baseline; `--in-process`
serves it from the bot's own process instead, as the benchmark did before.

The full pipeline is `xiaoer run`'s: updates kept in the inbox, handled per conversation in one
transaction each with their replies queued in the outbox, and the outbox sender delivering them;
it is timed until the outbox is empty. The pacer is opened wide here: this measures Xiaoer's
pipeline, not Telegram's flood limits (30 messages a second overall), which the pacer otherwise
keeps.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import functools
import gc
import multiprocessing
import pstats
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

import aiosqlite
from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message

from benchmarks.intake_bench import TEXTS
from benchmarks.intake_floor_full import FloorFull, transaction
from benchmarks.units_of_work import UnitsOfWork, counting
from bot.bootstrap import build_app, build_nlu
from bot.channels.pacing import Pacer
from bot.channels.telegram.adapter import TelegramChannel, build_polled_reader, make_bot
from bot.channels.telegram.plugin import plug_bot as plug_telegram
from bot.channels.telegram.transport import TelegramTransport
from bot.config import load_settings
from bot.domain.outbox import MessageKind, OutboxMessage
from bot.i18n import load_catalogues
from bot.outbox import Outcome, Sent
from bot.runtime.runtime import Runtime
from nlu.types import NluBackend, Parse
from tests.fake_telegram import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent


async def feed(api: FakeBotApi, count: int) -> None:
    for i in range(count):
        await api.user_sends(100_000 + i, TEXTS[i % len(TEXTS)])


async def every_sender_answered(api: FakeBotApi, count: int) -> None:
    """Until every sender has been answered (each update makes two or three messages)."""
    await api.wait_until(
        lambda: len({s.chat_id for s in api.sent if s.chat_id > 0}) >= count, "every sender answered", 600
    )


class FakeApi:
    """The fake Bot API with `count` updates queued, served in this process or in a child one;
    `answered()` returns when every sender has had an answer."""

    def __init__(self, count: int, *, in_process: bool) -> None:
        self.count = count
        self.in_process = in_process
        self.token = ""
        self.base = ""
        self._api: FakeBotApi | None = None
        self._process: Any = None
        self._pipe: Connection | None = None

    async def start(self) -> None:
        if self.in_process:
            self._api = FakeBotApi()
            await self._api.start()
            await feed(self._api, self.count)
            self.token, self.base = self._api.token, self._api.base
            return
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve_in_child, args=(child, self.count), daemon=True)
        self._process.start()
        self.token, self.base = await self._receive()

    async def answered(self) -> None:
        if self._api is not None:
            await every_sender_answered(self._api, self.count)
            return
        assert self._pipe is not None
        self._pipe.send("watch")
        await self._receive()

    async def stop(self) -> None:
        if self._api is not None:
            await self._api.stop()
            return
        assert self._pipe is not None
        assert self._process is not None
        self._pipe.send("stop")
        await asyncio.get_running_loop().run_in_executor(None, self._process.join, 30)

    async def _receive(self) -> Any:
        assert self._pipe is not None
        return await asyncio.get_running_loop().run_in_executor(None, self._pipe.recv)


def _serve_in_child(pipe: Connection, count: int) -> None:
    asyncio.run(_child(pipe, count))


async def _child(pipe: Connection, count: int) -> None:
    api = FakeBotApi()
    await api.start()
    await feed(api, count)
    loop = asyncio.get_running_loop()
    pipe.send((api.token, api.base))
    try:
        while (command := await loop.run_in_executor(None, pipe.recv)) != "stop":
            if command == "watch":
                await every_sender_answered(api, count)
                pipe.send("answered")
    finally:
        await api.stop()


async def run_runtime(runtime: Runtime, channel: TelegramChannel, api: FakeApi) -> float:
    """Time until the bot has finished with every update: each one kept, handled, and every
    message it caused delivered and recorded (nothing left in the outbox); then check that every
    sender was answered."""
    stop = asyncio.Event()
    start = time.perf_counter()
    polling = asyncio.create_task(channel.run_polling())
    running = asyncio.create_task(runtime.run(stop))
    # polled every 50 ms (the count takes its turn on the database like the bot): well below the time measured
    while runtime.conversations.handled < api.count or await _undelivered(runtime):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - start
    await api.answered()
    await channel.dispatcher.stop_polling()
    await polling
    stop.set()
    await running
    await runtime.close()
    return elapsed


async def _undelivered(runtime: Runtime) -> int:
    async with runtime.deps.storage() as uow:  # takes its turn with the bot's units of work
        return await uow.outbox.backlog()


# What the full pipeline sends for a new demand from an unbound sender, in size: the
# acknowledgement, the department's post, the verification question.
_ACK = (
    "已收到您的诉求，工单号 #123。承办部门：区工业和信息化局；签收时限：今天 14:30；办结时限：12月9日 18:00。"
    * 2
)
_POST = (
    "新工单 #123 【融资信贷】来自：厦门鹭江精工机械有限公司（未核验）"
    "诉求：我们公司急需一笔200万的流动资金贷款……" * 2
)
_QUESTION = "为便于核实，请告诉我们贵公司的全称（与营业执照一致）。"


async def run_noop(count: int, in_process: bool, *, replies: bool = False) -> float:
    """The same transport and aiogram dispatching, with a handler that does nothing; or, with
    `replies`, one that only sends what the full pipeline sends for a new demand (three messages
    of the same sizes, through the channel's own send path): no NLU, no storage. That is the most
    any handler answering like Xiaoer could reach on this harness."""
    settings = load_settings(ROOT / "config.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        app = await build_app(settings, f"sqlite+aiosqlite:///{tmp}/noop.db")
        sends = _Sends()

        async def noop(message: Message, bot: Bot) -> None:
            if replies:
                await sends.send(bot, _outgoing(message))

        elapsed = (await _run_bot(count, in_process, noop)).seconds
        await app.close()
    return elapsed


class Timed(NamedTuple):
    seconds: float  # wall time
    cpu_seconds: float  # this process's CPU over the same span (all its threads: aiosqlite's too)
    durable_commits: int = 0  # a minimal bot's commits that wrote (each fsync'd), over the same span


async def _poll_until(dispatcher: Dispatcher, bot: Bot, done: asyncio.Event) -> Timed:
    """aiogram's long polling until `done`: the time it took; then the bot is closed."""
    with _start_up_frozen():
        start, cpu = time.perf_counter(), time.process_time()
        polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1))
        await done.wait()
        timed = Timed(time.perf_counter() - start, time.process_time() - cpu)
    await dispatcher.stop_polling()
    await polling
    await bot.session.close()
    return timed


# What a minimal bot does with a private message, on its one connection to its database.
Handling = Callable[[aiosqlite.Connection, Message, Bot], Awaitable[None]]


async def _run_sqlite_bot(count: int, in_process: bool, schema: tuple[str, ...], handle: Handling) -> Timed:
    """A minimal bot on aiogram with one aiosqlite connection (WAL, full durability) to a
    database of `schema`: `handle` per private message, timed until `count` were handled."""
    with tempfile.TemporaryDirectory() as tmp:
        db = await _durable_connection(f"{tmp}/bot.db", schema)
        commits = _Commits()
        await db.set_trace_callback(commits.traced)
        timed = await _run_bot(count, in_process, functools.partial(handle, db))
        await db.set_trace_callback(None)  # type: ignore[arg-type]  # sqlite3 clears it so
        await db.close()
    return timed._replace(durable_commits=commits.count)


async def _run_bot(count: int, in_process: bool, handle: Callable[[Message, Bot], Awaitable[None]]) -> Timed:
    """aiogram polling the fake Bot API, `handle` per private message, timed until `count` were
    handled."""
    api = FakeApi(count, in_process=in_process)
    await api.start()
    bot = make_bot(api.token, api.base)
    done = asyncio.Event()
    handled = 0
    router = Router()

    async def on_message(message: Message, bot: Bot) -> None:
        nonlocal handled
        await handle(message, bot)
        handled += 1
        if handled >= count:
            done.set()

    router.message()(on_message)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    timed = await _poll_until(dispatcher, bot, done)
    await api.stop()
    return timed


class _Commits:
    """The COMMITs SQLite runs on a connection, told by its trace of statements: Python's sqlite3
    sends COMMIT only for an open transaction, which on these connections only writing opens (the
    in-place floor begins its own, and writes in each), so each is a commit that wrote and was
    fsync'd. A `commit()` finding nothing open (its INSERT was committed by another handler's
    COMMIT) sends none."""

    def __init__(self) -> None:
        self.count = 0

    def traced(self, sql: str) -> None:  # on the thread that runs the connection's statements
        if sql == "COMMIT":
            self.count += 1


async def _durable_connection(path: str, schema: tuple[str, ...]) -> aiosqlite.Connection:
    """WAL with synchronous=FULL: every commit is fsync'd before it returns (full durability)."""
    db = await aiosqlite.connect(path)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=FULL")
    for statement in schema:
        await db.execute(statement)
    await db.commit()
    return db


_PEER_SCHEMA = (
    "CREATE TABLE demands (id INTEGER PRIMARY KEY, user_id INTEGER, chat_id INTEGER,"
    " message_id INTEGER, text TEXT, at TEXT)",
)


async def run_peer(count: int, in_process: bool, *, own_commits: bool = False) -> Timed:
    """The peer design: a minimal support bot on aiogram. One aiosqlite connection (WAL, full
    durability); per private message one INSERT transaction, then a reply and a group post.

    As written (the goal's baseline), its transactions are not each message's own: aiogram handles
    a polled batch concurrently and aiosqlite runs the calls in the order they come, so a batch's
    INSERTs all run before its first COMMIT, which commits them all, and the rest find nothing to
    commit (`durable_commits` counts them). `own_commits`: each message's INSERT and COMMIT take
    the connection together, so every message is committed (and fsync'd) on its own, as Xiaoer's
    units of work are (goal 2 allows no commit shared across them)."""
    return await _run_sqlite_bot(count, in_process, _PEER_SCHEMA, _peer_handling(own_commits))


def _peer_handling(own_commits: bool) -> Handling:
    one_transaction_at_a_time = asyncio.Lock() if own_commits else contextlib.nullcontext()

    async def handle(db: aiosqlite.Connection, message: Message, bot: Bot) -> None:
        user = message.from_user.id if message.from_user else 0
        async with one_transaction_at_a_time:
            await db.execute(
                "INSERT INTO demands (user_id, chat_id, message_id, text, at) VALUES (?, ?, ?, ?, ?)",
                (user, message.chat.id, message.message_id, message.text, message.date.isoformat()),
            )
            await db.commit()
        await message.answer(_ACK)
        await bot.send_message(-1_000_000, _POST)

    return handle


_GROUP = -1_000_000  # the department's officer group the new demand is posted to

_FLOOR_SCHEMA = (
    "CREATE TABLE updates (id INTEGER PRIMARY KEY, user_id INTEGER, chat_id INTEGER,"
    " message_id INTEGER, text TEXT, at TEXT)",
    "CREATE TABLE tickets (id INTEGER PRIMARY KEY, user_id INTEGER, chat_id INTEGER, intent TEXT,"
    " category TEXT, urgent INTEGER, lang TEXT, text TEXT)",
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, ticket_id INTEGER, chat_id INTEGER, text TEXT,"
    " status TEXT, message_id INTEGER)",
)


async def run_floor(
    count: int, in_process: bool, nlu: NluBackend, *, records_together: bool = False
) -> Timed:
    """The floor of Xiaoer's obligations for a new demand: the peer design with only those added.
    Per private message: the NLU's parse; one transaction keeping the update, the ticket and its
    three messages as pending; the three sends; one transaction marking them sent.

    `records_together`: the marks of sent messages are written together, as Xiaoer's outbox
    sender writes a round's outcomes in one transaction: a handler's marks join those waiting,
    and whichever handler next has the connection writes all that are waiting in one transaction
    (the others find none left). Each update's own transaction stays its own; fewer commits."""
    handling = _floor_handling(nlu, records_together=records_together)
    return await _run_sqlite_bot(count, in_process, _FLOOR_SCHEMA, handling)


def _floor_handling(nlu: NluBackend, *, records_together: bool = False) -> Handling:
    # aiogram runs the handlers of a polled batch concurrently on the one connection: without
    # this, one's COMMIT could commit another's transaction half-written (a ticket without its
    # messages). The peer needs none: its transaction is a single statement.
    one_transaction_at_a_time = asyncio.Lock()
    sends = _Sends()
    unwritten: list[tuple[str, int]] = []  # records_together: marks waiting to be written

    async def handle(db: aiosqlite.Connection, message: Message, bot: Bot) -> None:
        parse = await nlu.parse(message.text or "")
        outgoing = _outgoing(message)
        async with one_transaction_at_a_time:
            pending = await _keep_demand(db, message, parse, outgoing)
        marks = list(zip(await sends.send(bot, outgoing), pending, strict=True))
        if records_together:
            unwritten.extend(marks)
        async with one_transaction_at_a_time:
            if records_together:
                marks, unwritten[:] = list(unwritten), []
            if marks:
                await db.executemany(_MARK_SENT, marks)
                await db.commit()

    return handle


async def run_floor_in_place(count: int, in_process: bool, nlu: NluBackend) -> Timed:
    """The floor again, its database reached as Xiaoer's storage reaches a SQLite file: in place,
    the standard library's sqlite3 called on the event loop (storage/sqlite_inline.py), not through
    aiosqlite's thread. A transaction then runs start to end between two awaits, so no handler can
    come between its statements, and none waits for the connection: no lock is needed, and each
    handler writes its own marks at once (two fsync'd commits an update; there is nothing waiting
    to write together). Same schema, statements, NLU and sends as the floor."""
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(f"{tmp}/bot.db", isolation_level=None)  # BEGIN and COMMIT are ours
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        for statement in _FLOOR_SCHEMA:
            db.execute(statement)
        commits = _Commits()
        db.set_trace_callback(commits.traced)
        sends = _Sends()

        async def handle(message: Message, bot: Bot) -> None:
            parse = await nlu.parse(message.text or "")
            outgoing = _outgoing(message)
            with transaction(db):
                db.execute(_INSERT_UPDATE, _update_row(message))
                ticket = db.execute(_INSERT_TICKET, _ticket_row(message, parse)).lastrowid
                pending = _pending_ids(db.execute(*_insert_pending(ticket, outgoing)).fetchall())
            marks = list(zip(await sends.send(bot, outgoing), pending, strict=True))
            with transaction(db):
                db.executemany(_MARK_SENT, marks)

        timed = await _run_bot(count, in_process, handle)
        db.set_trace_callback(None)
        db.close()
    return timed._replace(durable_commits=commits.count)


async def run_floor_full(count: int, in_process: bool, nlu: NluBackend) -> Timed:
    """The in-place floor with every obligation of a new demand added, done the simplest way with
    Xiaoer's own domain and rendering code (benchmarks/intake_floor_full.py). The directory, the
    working calendar and the deadlines are config.yaml's, as the full pipeline's are."""
    settings = load_settings(ROOT / "config.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        app = await build_app(settings, f"sqlite+aiosqlite:///{tmp}/org.db")  # for its Deps alone
        floor = FloorFull(f"{tmp}/floor_full.db", app.deps, nlu, _wide_open())
        _warm_as_xiaoer_run_does()
        timed = await _run_bot(count, in_process, floor.handle)
        floor.close()
        await app.close()
    return timed._replace(durable_commits=floor.commits)


class _Sends:
    """The three sends of a new demand, through Xiaoer's transport (one per bot, made on its
    first message): the "sends alone" handler's, and the floors' beside their obligations, so
    that floor/sends-alone is what the obligations cost beside the same sends."""

    def __init__(self) -> None:
        self._transports: dict[Bot, TelegramTransport] = {}  # the run's one bot's

    async def send(self, bot: Bot, outgoing: Outgoing) -> list[str]:
        """Send each message, in order; the platform's message ids."""
        if bot not in self._transports:
            self._transports[bot] = TelegramTransport(bot, _wide_open())
        transport = self._transports[bot]
        return [
            _platform_id(await transport.send(OutboxMessage(MessageKind.REPLY, "telegram", str(chat), text)))
            for chat, text in outgoing
        ]


def _platform_id(outcome: Outcome) -> str:
    assert isinstance(outcome, Sent), outcome  # the fake Bot API accepts every send
    return outcome.platform_id


Outgoing = tuple[tuple[int, str], ...]  # (chat, text) of each message a new demand makes

_INSERT_UPDATE = "INSERT INTO updates (user_id, chat_id, message_id, text, at) VALUES (?, ?, ?, ?, ?)"
_INSERT_TICKET = (
    "INSERT INTO tickets (user_id, chat_id, intent, category, urgent, lang, text)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_MARK_SENT = "UPDATE outbox SET status = 'sent', message_id = ? WHERE id = ?"


def _outgoing(message: Message) -> Outgoing:
    return ((message.chat.id, _ACK), (_GROUP, _POST), (message.chat.id, _QUESTION))


def _update_row(message: Message) -> tuple[Any, ...]:
    user = message.from_user.id if message.from_user else 0
    return (user, message.chat.id, message.message_id, message.text, message.date.isoformat())


def _ticket_row(message: Message, parse: Parse) -> tuple[Any, ...]:
    user = message.from_user.id if message.from_user else 0
    return (user, message.chat.id, parse.intent, parse.category, parse.urgent, parse.lang, parse.text)


def _insert_pending(ticket: int | None, outgoing: Outgoing) -> tuple[str, list[Any]]:
    """One statement for all the messages (through aiosqlite, one trip to its thread, not one
    each)."""
    rows = ", ".join("(?, ?, ?, 'pending')" for _ in outgoing)
    statement = f"INSERT INTO outbox (ticket_id, chat_id, text, status) VALUES {rows} RETURNING id"
    return statement, [value for chat, text in outgoing for value in (ticket, chat, text)]


def _pending_ids(rows: Iterable[Any]) -> list[int]:
    # RETURNING's order is not promised, but rowids are handed out ascending as rows are inserted
    return sorted(row[0] for row in rows)


async def _keep_demand(
    db: aiosqlite.Connection, message: Message, parse: Parse, outgoing: Outgoing
) -> list[int]:
    """One transaction: the update as it arrived (kept before anything is answered), the ticket,
    and its messages as pending (their text stored before they are sent). Their ids, in order."""
    await db.execute(_INSERT_UPDATE, _update_row(message))
    ticket = await db.execute(_INSERT_TICKET, _ticket_row(message, parse))
    pending = await db.execute_fetchall(*_insert_pending(ticket.lastrowid, outgoing))
    await db.commit()
    return _pending_ids(pending)


async def run_full(count: int, in_process: bool, *, counted: bool = True) -> tuple[float, UnitsOfWork]:
    """Xiaoer's full pipeline: the seconds it took and, `counted`, its units of work (goal 2).
    The counters are SQLAlchemy listeners on every statement, BEGIN and COMMIT, about 1.7% of the
    pipeline's instructions (benchmarks/intake_stages.py, stage `counted`) that `xiaoer run` does
    not pay and the peer's cheaper count (a trace callback on two statements) does not match: a
    timed run goes without them, and the counts come from a run of their own."""
    settings = load_settings(ROOT / "config.yaml")
    api = FakeApi(count, in_process=in_process)
    await api.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = await build_app(settings, f"sqlite+aiosqlite:///{tmp}/bench.db")
            # every department has its officer group, so each new ticket is posted there
            groups = {
                department: -1_000_000 - i for i, department in enumerate(app.deps.directory.departments)
            }
            runtime = Runtime.build(app.deps)
            channel = plug_telegram(runtime, api.token, api.base, groups, polling_timeout=1)
            transport = runtime.sender.transports["telegram"]
            assert isinstance(transport, TelegramTransport)
            transport.pacer = _wide_open()
            _warm_as_xiaoer_run_does()
            counter = counting(app.engine) if counted else contextlib.nullcontext(UnitsOfWork())
            with counter as units, _start_up_frozen():
                cpu = time.process_time()
                full = await run_runtime(runtime, channel, api)
                units.cpu_seconds = time.process_time() - cpu
            await channel.close()
            await app.close()
    finally:
        await api.stop()
    return full, units


def _warm_as_xiaoer_run_does() -> None:
    """What `xiaoer run` does after start-up and before it serves (bot/runtime/warm.py): every
    catalogue read and the model updates are read with built (then its start-up is frozen, as
    every mode's is: `_start_up_frozen`). Without it the first updates timed paid those (about 6%
    of the instructions of 150 updates, under callgrind)."""
    load_catalogues()
    build_polled_reader()


@contextlib.contextmanager
def _start_up_frozen() -> Iterator[None]:
    """A mode timed with what it set up out of the garbage collector's sight, as `xiaoer run`
    serves (bot/runtime/warm.py); given back after, so that no mode runs with another's frozen."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _wide_open() -> Pacer:
    return Pacer(per_chat=(10**6, 10**6), per_group=(10**6, 10**6), overall=(10**6, 10**6))


async def main(count: int, rounds: int, in_process: bool, profile: str | None = None) -> None:
    profiler = cProfile.Profile() if profile else None
    where = "in the bot's process" if in_process else "in a child process"
    print(f"fake Bot API {where}; {count} updates a run, {rounds} rounds")
    nlu = build_nlu(load_settings(ROOT / "config.yaml"))  # loaded (or trained) once, before any timing
    to_peer: list[float] = []
    to_sends: list[float] = []
    to_floor: list[float] = []
    floor_to_peer: list[float] = []
    to_own_commits: list[float] = []
    together_to_peer: list[float] = []
    in_place_to_peer: list[float] = []
    in_place_to_sends: list[float] = []
    to_in_place: list[float] = []
    every_to_peer: list[float] = []
    every_to_sends: list[float] = []
    every_to_own_commits: list[float] = []  # goal 1's bar were the peer held to goal 2's commits
    to_every: list[float] = []
    for number in range(1, rounds + 1):
        noop = await run_noop(count, in_process)
        cpu = time.process_time()
        sends = await run_noop(count, in_process, replies=True)
        cpu_sends, cpu = time.process_time() - cpu, time.process_time()
        peer_run = await run_peer(count, in_process)
        peer = peer_run.seconds
        cpu_peer = time.process_time() - cpu
        own = await run_peer(count, in_process, own_commits=True)
        floor = await run_floor(count, in_process, nlu)
        together = await run_floor(count, in_process, nlu, records_together=True)
        in_place = await run_floor_in_place(count, in_process, nlu)
        every = await run_floor_full(count, in_process, nlu)
        if profiler is not None:
            profiler.enable()
        full, timed = await run_full(count, in_process, counted=False)
        if profiler is not None:
            profiler.disable()
        cpu_full = timed.cpu_seconds
        _, units = await run_full(count, in_process)  # goal 2's counts, in a run not timed
        to_peer.append(peer / full)
        to_sends.append(sends / full)
        to_floor.append(floor.seconds / full)
        floor_to_peer.append(peer / floor.seconds)
        to_own_commits.append(own.seconds / full)
        together_to_peer.append(peer / together.seconds)
        in_place_to_peer.append(peer / in_place.seconds)
        in_place_to_sends.append(sends / in_place.seconds)
        to_in_place.append(in_place.seconds / full)
        every_to_peer.append(peer / every.seconds)
        every_to_sends.append(sends / every.seconds)
        every_to_own_commits.append(own.seconds / every.seconds)
        to_every.append(every.seconds / full)
        print(
            f"round {number}: no-op {count / noop:6.0f}/s  sends alone {count / sends:5.0f}/s  "
            f"peer {count / peer:5.0f}/s  full {count / full:5.0f}/s  "
            f"full/peer {peer / full:.2f}  full/sends-alone {sends / full:.2f}"
        )
        print(f"  full pipeline (counted in a run of its own) {units.line(count)}")
        print(
            f"  this process's CPU per update: sends alone {cpu_sends / count * 1000:.1f} ms, peer "
            f"{cpu_peer / count * 1000:.1f} ms (both set-up included), full {cpu_full / count * 1000:.1f} ms"
        )
        print(
            f"  floor {count / floor.seconds:5.0f}/s  full/floor {floor.seconds / full:.2f}  "
            f"floor/peer {peer / floor.seconds:.2f}  "
            f"floor's CPU per update {floor.cpu_seconds / count * 1000:.1f} ms (timed part only)"
        )
        print(
            f"  fsync'd commits per update: peer {peer_run.durable_commits / count:.2f}, floor "
            f"{floor.durable_commits / count:.2f}, full {units.written_commits / count:.2f}; "
            f"the peer with each message's commit its own {count / own.seconds:5.0f}/s "
            f"({own.durable_commits / count:.2f} fsync'd a message), full/it {own.seconds / full:.2f}"
        )
        print(
            f"  floor with its delivery records written together {count / together.seconds:5.0f}/s "
            f"({together.durable_commits / count:.2f} fsync'd an update)  "
            f"it/peer {peer / together.seconds:.2f}  full/it {together.seconds / full:.2f}"
        )
        print(
            f"  floor in place (sqlite3 on the event loop) {count / in_place.seconds:5.0f}/s "
            f"({in_place.durable_commits / count:.2f} fsync'd an update, CPU per update "
            f"{in_place.cpu_seconds / count * 1000:.1f} ms)  it/peer {peer / in_place.seconds:.2f}  "
            f"it/sends-alone {sends / in_place.seconds:.2f}  full/it {in_place.seconds / full:.2f}"
        )
        print(
            f"  floor with every obligation, in place {count / every.seconds:5.0f}/s "
            f"({every.durable_commits / count:.2f} fsync'd an update, CPU per update "
            f"{every.cpu_seconds / count * 1000:.1f} ms)  it/peer {peer / every.seconds:.2f}  "
            f"it/sends-alone {sends / every.seconds:.2f}  "
            f"it/peer-with-its-own-commits {own.seconds / every.seconds:.2f}  "
            f"full/it {every.seconds / full:.2f}"
        )
    print(
        f"median of {rounds}: full/peer {statistics.median(to_peer):.2f}, "
        f"full/sends-alone {statistics.median(to_sends):.2f}, full/floor {statistics.median(to_floor):.2f}, "
        f"floor/peer {statistics.median(floor_to_peer):.2f}, "
        f"full/peer-with-its-own-commits {statistics.median(to_own_commits):.2f}, "
        f"floor-with-records-together/peer {statistics.median(together_to_peer):.2f}, "
        f"floor-in-place/peer {statistics.median(in_place_to_peer):.2f}, "
        f"floor-in-place/sends-alone {statistics.median(in_place_to_sends):.2f}, "
        f"full/floor-in-place {statistics.median(to_in_place):.2f}, "
        f"floor-with-every-obligation/peer {statistics.median(every_to_peer):.2f}, "
        f"floor-with-every-obligation/sends-alone {statistics.median(every_to_sends):.2f}, "
        "floor-with-every-obligation/peer-with-its-own-commits "
        f"{statistics.median(every_to_own_commits):.2f}, "
        f"full/floor-with-every-obligation {statistics.median(to_every):.2f}"
    )
    if profiler is not None and profile is not None:
        profiler.dump_stats(profile)
        for order in ("tottime", "cumulative"):
            print(f"full pipeline under cProfile, {count * rounds} updates, by {order}:")
            pstats.Stats(profiler).sort_stats(order).print_stats(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-process", action="store_true", help="serve the fake Bot API from this process")
    parser.add_argument("--profile", metavar="FILE", help="profile the full pipeline into FILE")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.updates, arguments.rounds, arguments.in_process, arguments.profile))
