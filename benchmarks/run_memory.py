"""`xiaoer run`'s memory: the resident set of the real process, idle with the model loaded and
after it has handled N new demands (default 10,000, each from a person of their own); and how
long each demand waited for its acknowledgement while the flood arrived.

    python -m benchmarks.run_memory [--demands 10000] [--settle 5] [--database URL]

The bot runs as an operator runs it (`xiaoer run` on an SQLite file, the shipped config without
officer groups) against the fake Bot API served by this process over loopback, Telegram's pacing
included (30 messages a second, so 10,000 demands take about 11 minutes: each is acknowledged and
asked for the company's name). RSS is VmRSS of that process from /proc, read once it has been
polling for `--settle` seconds (idle: the model is loaded before the first poll), at checkpoints
while demands are answered, and after the last answer plus `--settle` seconds; VmHWM is its peak.

The demands come as a flood (two hundred always waiting, so each getUpdates finds a full hundred).
The wait from each demand's arrival to its acknowledgement (the first message to that person) is
printed as percentiles beside the wait Telegram's pace alone would impose (`latencies`), with the
time of the first acknowledgement and how many were acknowledged before the flood ended.

`--database` runs the bot on another database (a PostgreSQL URL: migrated with `xiaoer db
upgrade` first; give it an empty database of its own) instead of an SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from tests.fake_telegram import FakeBotApi
from tests.processes import XIAOER, environment, private_config, start

FIRST_USER = 500_000
WAITING = 200  # updates waiting to be fetched while the flood lasts
DEMANDS = [
    "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了",
    "厂房扩产需要新增用地，希望协调",
    "园区门口的路灯坏了一个多月，晚上工人下班很危险",
    "We need help recruiting 30 skilled workers before the new line starts",
    "Customs has held our shipment for ten days, please help us get it released",
]
# What the bot asks an unbound sender after acknowledging the demand: the last message of each.
ASKED = ("贵公司的全称", "company's full name")


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def mib(kib: int) -> str:
    return f"{kib / 1024:7.1f} MiB"


def answered(api: FakeBotApi, seen: int, done: set[int]) -> int:
    """Adds to `done` the senders asked for their company since message `seen`; returns the count
    of messages looked at."""
    sent = api.sent
    for message in sent[seen:]:
        if any(words in message.text for words in ASKED):
            done.add(message.chat_id)
    return len(sent)


async def feed(api: FakeBotApi, demands: int, arrived: dict[int, float]) -> None:
    """The demands as a flood: two hundred waiting to be fetched, so that every getUpdates finds
    the hundred it may hand out (the fake, as Telegram, gives at most a hundred at a time) and the
    bot never waits for updates while the flood lasts; `arrived` gets each person's time of
    arrival (monotonic)."""
    for i in range(demands):
        # polled: the fake has no event for "fetched"; refilled every 10 ms, before the next hundred
        # are handled (they take about a second)
        while len(api.pending) >= WAITING:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        arrived[FIRST_USER + i] = time.monotonic()
        await api.user_sends(FIRST_USER + i, DEMANDS[i % len(DEMANDS)])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ideal_acknowledgements(
    arrived: dict[int, float], per_demand: float, limit: float = 30.0
) -> dict[int, float]:
    """When each demand would be acknowledged if the bot did nothing but keep Telegram's overall
    pace: its messages leave `limit` a second in the order the demands arrived, each demand's
    `per_demand` of them one after another, and none before its demand arrived."""
    ideal: dict[int, float] = {}
    free = 0.0  # when the platform's pace lets the next demand's first message go
    for chat, at in sorted(arrived.items(), key=lambda item: item[1]):
        ideal[chat] = max(at, free)
        free = ideal[chat] + per_demand / limit
    return ideal


def latencies(api: FakeBotApi, arrived: dict[int, float]) -> None:
    """From each demand's arrival to its acknowledgement (the first message to that person): the
    percentiles, beside those of the same demands acknowledged at Telegram's pace and nothing
    slower (`ideal_acknowledgements`); how many had arrived before the first acknowledgement, and
    how many were acknowledged while demands were still arriving."""
    acknowledged: dict[int, float] = {}
    for message in api.sent:
        if message.chat_id in arrived and message.chat_id not in acknowledged:
            acknowledged[message.chat_id] = message.at
    if not acknowledged:
        print("no demand was acknowledged")
        return
    sent = sorted(m.at for m in api.sent if m.chat_id in arrived)
    first, last_arrival = min(acknowledged.values()), max(arrived.values())
    before_first = sum(1 for at in arrived.values() if at < first)
    during = sum(1 for at in acknowledged.values() if at < last_arrival)
    print(
        f"first acknowledgement {first - min(arrived.values()):.1f} s after the first demand arrived, "
        f"when {before_first} of {len(arrived)} had arrived; the last arrived after "
        f"{last_arrival - min(arrived.values()):.1f} s, by when {during} were acknowledged"
    )
    ideal = ideal_acknowledgements(arrived, len(sent) / len(acknowledged))
    waits = [acknowledged[chat] - arrived[chat] for chat in acknowledged]
    paced = [ideal[chat] - arrived[chat] for chat in acknowledged]
    print("demand → acknowledgement, measured and at Telegram's pace (30 messages/s) alone:")
    for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0)):
        measured, floor = percentile(waits, share), percentile(paced, share)
        ratio = f"{measured / floor:.2f} x" if floor > 0.05 else "  -   "
        print(f"  {name:>4} {measured:7.2f} s   paced {floor:7.2f} s   {ratio}")
    span = sent[-1] - sent[0]
    pace = (len(sent) - 1) / span if span > 0 else 0.0
    print(
        f"messages to the demanders: {len(sent)} in {span:.1f} s: {pace:.1f}/s, "
        f"{pace / 30:.2f} x the limit (30/s)"
    )


async def main(demands: int, settle: float, url: str | None) -> None:
    api = FakeBotApi()
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(api, private_config(Path(tmp)))
        database = url or f"sqlite+aiosqlite:///{tmp}/memory.db"
        if url is not None:
            upgrade = await asyncio.create_subprocess_exec(
                XIAOER, "db", "upgrade", "--database", url, env=env
            )
            if await upgrade.wait() != 0:
                raise SystemExit("xiaoer db upgrade failed")
        print(f"database: {database.split('://')[0]}")
        began_at = time.perf_counter()
        process = await start(env, database)
        try:
            await api.wait_until(lambda: "getupdates" in api.calls, "xiaoer run polling", 300)
            print(f"xiaoer run (pid {process.pid}) polling after {time.perf_counter() - began_at:.1f} s")
            await asyncio.sleep(settle)
            idle = status(process.pid)
            print(f"idle, model loaded:            VmRSS {mib(idle['VmRSS'])}")
            arrived: dict[int, float] = {}
            feeding = asyncio.create_task(feed(api, demands, arrived))
            marks = (100, 1000, demands // 4, demands // 2, demands)
            checkpoints = sorted({mark for mark in marks if mark <= demands})
            done: set[int] = set()
            seen = 0
            began = time.perf_counter()
            for checkpoint in checkpoints:
                while len(done) < checkpoint:
                    if process.returncode is not None:
                        raise SystemExit(f"xiaoer run exited with status {process.returncode}")
                    await asyncio.sleep(0.5)
                    seen = answered(api, seen, done)
                now = status(process.pid)
                print(
                    f"{checkpoint:>6} demands answered:      VmRSS {mib(now['VmRSS'])}"
                    f"  ({now['VmRSS'] / idle['VmRSS']:.3f} x idle, {time.perf_counter() - began:.0f} s)"
                )
            await feeding
            await asyncio.sleep(settle)
            after = status(process.pid)
            print(
                f"idle again after {demands} demands: VmRSS {mib(after['VmRSS'])}"
                f"  ({after['VmRSS'] / idle['VmRSS']:.3f} x idle); peak VmHWM {mib(after['VmHWM'])}"
            )
            latencies(api, arrived)
        finally:
            if process.returncode is None:
                process.terminate()
                await process.wait()
            await api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--demands", type=int, default=10_000)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--database", help="a database URL (PostgreSQL) instead of an SQLite file")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.demands, arguments.settle, arguments.database))
