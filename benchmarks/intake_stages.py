"""Where the intake's instructions go: benchmarks/telegram_intake.py's modes and the full
pipeline's stages, counted by callgrind (instructions, not seconds: the same count whatever else
the machine is doing, so stages a few percent apart can be told apart, which wall time cannot).

    python -m benchmarks.intake_stages [--updates 150] [--only STAGE,...] [--jobs 2]

Each line is one run of the intake benchmark's mode under `valgrind --tool=callgrind`, counting
only inside that mode's timed part (after its set-up is collected and frozen, as the benchmark
times it) and, for a stage, only while the stage's functions run: collection is switched on
when a wrapped function (or a step of a wrapped coroutine) starts and off when it returns or
awaits, so a coroutine's time waiting for others is not its own. All threads of the bot's
process are counted (aiosqlite's too); the fake Bot API runs in a child process that is not.
Printed per update, with each stage's share of the full pipeline and, under a stage, what its
listed parts leave ("rest").

A stage counts the wrapper's own switching too (two calls into the callgrind shim per step, and
the wrapping generator): calibrated at about 1.5 thousand instructions a switch, which matters
only for stages entered thousands of times (the fast statements). Statements are compiled on
their first use (storage/fast_statements.py), so a short run carries more of that: `compiled`
shows how much.

Needs valgrind with its headers (Debian's valgrind package) and a C compiler: the collection
switches are callgrind's client requests, compiled here into a small shared library.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import functools
import importlib
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SHIM = r"""
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void cg_toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
void cg_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS; }
"""


@dataclass(frozen=True)
class Stage:
    name: str
    label: str
    parent: str | None  # the stage this one runs inside (for the indented report and "rest")
    wrapped: tuple[str, ...] = ()  # "module:Attribute.path", a function or a coroutine function
    mode: str = "full"  # the benchmark's mode whose timed part is counted


# The modes first (their whole timed part), then the parts of the floor with every obligation
# (mode floor_full), then the full pipeline's stages, outermost first.
STAGES = (
    Stage("noop", "no-op handler (aiogram polling alone)", None, mode="noop"),
    Stage("sends", "the three sends alone", None, mode="sends"),
    Stage("peer", "peer design", None, mode="peer"),
    Stage("peer_own", "peer design, each message's commit its own", None, mode="peer_own"),
    Stage("floor", "floor (peer + the update, ticket and messages kept)", None, mode="floor"),
    Stage("floor_together", "floor, its delivery records written together", None, mode="floor_together"),
    Stage("floor_in_place", "floor, SQLite in place (on the event loop)", None, mode="floor_in_place"),
    Stage("floor_full", "floor with every obligation, in place", None, mode="floor_full"),
    # The floor with every obligation's parts (benchmarks/intake_floor_full.py), in its own mode.
    Stage("ff_nlu", "NLU parse", "floor_full", ("nlu.builtin:BuiltinNlu.parse_now",), "floor_full"),
    Stage(
        "ff_keep",
        "the demand's transaction (less BEGIN and COMMIT)",
        "floor_full",
        ("benchmarks.intake_floor_full:FloorFull.keep_demand",),
        "floor_full",
    ),
    Stage(
        "ff_ticket",
        "ticket opened and routed, its deadlines in working time",
        "ff_keep",
        ("benchmarks.intake_floor_full:new_ticket",),
        "floor_full",
    ),
    Stage("ff_shared", "shared-problem check", "ff_keep", ("handlers.similar:shared_problem",), "floor_full"),
    Stage(
        "ff_ack",
        "acknowledgement rendered",
        "ff_keep",
        ("benchmarks.intake_floor_full:acknowledge",),
        "floor_full",
    ),
    Stage(
        "ff_notices",
        "the department's post rendered",
        "ff_keep",
        ("benchmarks.intake_floor_full:routed_notices",),
        "floor_full",
    ),
    Stage(
        "ff_outgoing",
        "replies made messages (those to groups masked, as protect does)",
        "ff_keep",
        ("benchmarks.intake_floor_full:FloorFull.outgoing",),
        "floor_full",
    ),
    Stage(
        "ff_send",
        "Telegram transport: the HTTP calls",
        "floor_full",
        ("bot.channels.telegram.transport:TelegramTransport.send",),
        "floor_full",
    ),
    Stage("full", "full pipeline", None),
    Stage("counted", "full pipeline, the benchmark's unit counting on", None, mode="counted"),
    Stage("feed", "an update through aiogram's dispatcher", "full", ("aiogram:Dispatcher.feed_update",)),
    Stage(
        "accept",
        "kept and handled at once (inbox, handling, outbox rows, commit)",
        "feed",
        ("bot.runtime.conversations:Conversations.accept",),
    ),
    Stage("handle", "handlers/dispatch.handle", "accept", ("bot.runtime.conversations:handle",)),
    Stage("record", "message log entry", "handle", ("storage.sql:SqlMessageLog.record",)),
    Stage("resolve_sender", "who sent it", "handle", ("handlers.dispatch:resolve_sender",)),
    Stage("route", "understand and act", "handle", ("handlers.dispatch:_route",)),
    Stage("nlu", "NLU parse", "route", ("nlu.builtin:BuiltinNlu.parse_now",)),
    Stage("follow_language", "language followed", "route", ("handlers.understand:follow_language",)),
    Stage(
        "open_demand", "open, route and announce the ticket", "route", ("handlers.understand:open_demand",)
    ),
    Stage("tickets_add", "ticket and its check row stored", "open_demand", ("storage.sql:SqlTickets.add",)),
    Stage("shared", "shared-problem check", "open_demand", ("handlers.similar:shared_problem",)),
    Stage("notices", "notices to the officer and group", "open_demand", ("handlers.intake:routed_notices",)),
    Stage("protect", "masking for groups", "handle", ("handlers.dispatch:protect",)),
    Stage("queue", "replies queued in the outbox", "accept", ("handlers.outgoing:Outgoing.queue",)),
    Stage("step", "outbox sender: claim and outcomes", "full", ("bot.outbox:OutboxSender.step",)),
    Stage("claim", "the claim", "step", ("bot.outbox:OutboxSender._claim",)),
    Stage("deliver", "outbox sender: deliveries", "full", ("bot.outbox:OutboxSender._deliver",)),
    Stage(
        "send",
        "Telegram transport: the HTTP calls",
        "deliver",
        ("bot.channels.telegram.transport:TelegramTransport.send",),
    ),
    # Across the stages above: the storage layer's driver statements, and the sqlite3 calls in them.
    Stage(
        "statements",
        "(across stages) driver statements",
        None,
        (
            "storage.fast_statements:_rows",
            "storage.fast_statements:changed",
            "storage.fast_statements:run_many",
        ),
    ),
    Stage(
        "execute", "sqlite3 execute and the cursor events", "statements", ("storage.fast_statements:_run",)
    ),
    Stage("parameters", "parameters bound", "statements", ("storage.fast_statements:_Compiled.parameters",)),
    Stage(
        "compiled",
        "statements looked up (compiled on first use)",
        "statements",
        ("storage.fast_statements:FastStatement.compiled",),
    ),
    Stage(
        "calibration",
        "(a wrapped no-op, entered 1,000 times an update)",
        None,
        ("benchmarks.intake_stages:_nothing",),
    ),
)


def _nothing() -> None:
    """Called by the calibration stage, to measure what a switch of collection costs."""


class _Collector:
    """Collection on while any wrapped function runs (nested calls switch once)."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self._toggle = library.cg_toggle
        self._depth = 0

    def on(self) -> None:
        if self._depth == 0:
            self._toggle()
        self._depth += 1

    def off(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._toggle()


class _Counted:
    """A coroutine whose every step is counted, and none of its waits."""

    def __init__(self, collector: _Collector, coroutine: Coroutine[Any, Any, Any]) -> None:
        self._collector = collector
        self._coroutine = coroutine

    def __await__(self) -> Generator[Any, Any, Any]:
        steps = self._coroutine.__await__()
        value: Any = None
        thrown: BaseException | None = None
        while True:
            self._collector.on()
            try:
                if thrown is not None:
                    raising, thrown = thrown, None
                    yielded = steps.throw(raising)
                else:
                    yielded = steps.send(value)
            except StopIteration as stop:
                self._collector.off()
                return stop.value
            except BaseException:
                self._collector.off()
                raise
            self._collector.off()
            try:
                value = yield yielded
            except BaseException as error:  # thrown into us: passed on at the next step
                thrown, value = error, None


def _wrap(collector: _Collector, where: str) -> None:
    module_name, _, path = where.partition(":")
    *owners, name = path.split(".")
    owner: Any = importlib.import_module(module_name)
    for part in owners:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    if asyncio.iscoroutinefunction(original):

        @functools.wraps(original)
        async def counted_coroutine(*args: Any, **kwargs: Any) -> Any:
            # a coroutine still (asyncio.create_task takes only those), its own steps uncounted
            return await _Counted(collector, original(*args, **kwargs))

        setattr(owner, name, counted_coroutine)
    else:

        @functools.wraps(original)
        def counted(*args: Any, **kwargs: Any) -> Any:
            collector.on()
            try:
                return original(*args, **kwargs)
            finally:
                collector.off()

        setattr(owner, name, counted)


def _shim(folder: Path) -> Path:
    source, library = folder / "cg.c", folder / "libcg.so"
    source.write_text(_SHIM)
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(library), str(source)], check=True)
    return library


async def _run_mode(mode: str, updates: int) -> None:
    from benchmarks import telegram_intake as intake
    from bot.bootstrap import build_nlu
    from bot.config import load_settings

    runs: dict[str, Callable[[], Awaitable[Any]]] = {
        "noop": lambda: intake.run_noop(updates, False),
        "sends": lambda: intake.run_noop(updates, False, replies=True),
        "peer": lambda: intake.run_peer(updates, False),
        "peer_own": lambda: intake.run_peer(updates, False, own_commits=True),
        "floor": lambda: intake.run_floor(
            updates, False, build_nlu(load_settings(intake.ROOT / "config.yaml"))
        ),
        "floor_together": lambda: intake.run_floor(
            updates, False, build_nlu(load_settings(intake.ROOT / "config.yaml")), records_together=True
        ),
        "floor_in_place": lambda: intake.run_floor_in_place(
            updates, False, build_nlu(load_settings(intake.ROOT / "config.yaml"))
        ),
        "floor_full": lambda: intake.run_floor_full(
            updates, False, build_nlu(load_settings(intake.ROOT / "config.yaml"))
        ),
        # as telegram_intake times it: without the benchmark's listeners on every statement,
        # BEGIN and COMMIT (benchmarks/units_of_work.py), which `xiaoer run` does not pay
        "full": lambda: intake.run_full(updates, False, counted=False),
        # as it counts goal 2's units of work, in a run of its own
        "counted": lambda: intake.run_full(updates, False),
    }
    await runs[mode]()


def child(stage_name: str, updates: int, library: str) -> None:
    """Inside valgrind: count the stage's functions within the mode's timed part."""
    from benchmarks import telegram_intake as intake

    stage = next(s for s in STAGES if s.name == stage_name)
    shim = ctypes.CDLL(library)
    collector = _Collector(shim)
    for where in stage.wrapped:
        _wrap(collector, where)
    frozen = intake._start_up_frozen
    whole_mode = not stage.wrapped

    @contextlib.contextmanager
    def counted_part() -> Iterator[None]:
        with frozen():
            shim.cg_start()
            if whole_mode:
                collector.on()
            try:
                if stage_name == "calibration":  # the wrapped one: this module runs as __main__
                    nothing = importlib.import_module("benchmarks.intake_stages")._nothing
                    for _ in range(1000 * updates):
                        nothing()
                yield
            finally:
                if whole_mode:
                    collector.off()
                shim.cg_stop()

    intake._start_up_frozen = counted_part
    asyncio.run(_run_mode(stage.mode, updates))


def _count(stage: Stage, updates: int, library: Path) -> float:
    """Instructions per update counted in one run under callgrind."""
    with tempfile.TemporaryDirectory() as folder:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            "--collect-atstart=no",
            f"--callgrind-out-file={folder}/callgrind.out",
            sys.executable,
            "-m",
            "benchmarks.intake_stages",
            "--child",
            stage.name,
            "--updates",
            str(updates),
            "--library",
            str(library),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.findall(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"{stage.name}: valgrind exited {done.returncode}\n{done.stderr[-2000:]}")
    return max(int(n) for n in found) / updates


def report(counts: dict[str, float], updates: int) -> list[str]:
    """The stages as a tree, each parent followed by its parts and what they leave ("rest")."""
    full = counts.get("full")
    lines = [f"instructions per update over {updates} updates (callgrind); share of the full pipeline"]

    def line(depth: int, label: str, value: float) -> None:
        indent = "  " * depth
        share = f"{value / full:6.1%}" if full else ""
        lines.append(f"{indent}{label:<{66 - len(indent)}} {value / 1e6:7.2f}M {share}")

    def show(stage: Stage, depth: int) -> None:
        if stage.name == "calibration":
            per_switch = counts[stage.name] / 1000  # the no-op is entered 1,000 times an update
            lines.append(
                f"a switch of collection (a wrapped call or step): {per_switch / 1e3:.1f}k instructions"
            )
            return
        line(depth, stage.label, counts[stage.name])
        parts = [s for s in STAGES if s.parent == stage.name and s.name in counts]
        for part in parts:
            show(part, depth + 1)
        if parts:
            line(depth + 1, "rest", counts[stage.name] - sum(counts[s.name] for s in parts))

    shown = {s.name for s in STAGES if s.name in counts}
    for stage in STAGES:  # the roots, and any stage whose parent was not run
        if stage.name in shown and (stage.parent is None or stage.parent not in shown):
            show(stage, 0)
    if full:  # as benchmarks/telegram_intake.py names its ratios: rates, here instructions inverted
        for mode in ("peer", "peer_own", "floor", "floor_together", "floor_in_place", "floor_full", "sends"):
            if mode in counts:
                lines.append(f"full/{mode} by instructions {counts[mode] / full:.2f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--updates", type=int, default=150)
    parser.add_argument("--only", help="comma-separated stage names (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="runs side by side (counts are not disturbed)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--library", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.updates, args.library)
        return
    missing = [tool for tool in ("valgrind", "cc") if shutil.which(tool) is None]
    if missing or not Path("/usr/include/valgrind/callgrind.h").exists():
        sys.exit(f"needs valgrind, its headers and a C compiler (missing: {missing or 'callgrind.h'})")
    wanted = set(args.only.split(",")) if args.only else {s.name for s in STAGES}
    unknown = wanted - {s.name for s in STAGES}
    if unknown:
        sys.exit(f"unknown stages: {', '.join(sorted(unknown))}; known: {', '.join(s.name for s in STAGES)}")
    with tempfile.TemporaryDirectory() as folder:
        library = _shim(Path(folder))
        chosen = [s for s in STAGES if s.name in wanted]
        with ThreadPoolExecutor(args.jobs) as pool:
            values = pool.map(lambda s: _count(s, args.updates, library), chosen)
            counts = {stage.name: value for stage, value in zip(chosen, values, strict=True)}
    print("\n".join(report(counts, args.updates)))


if __name__ == "__main__":
    main()
