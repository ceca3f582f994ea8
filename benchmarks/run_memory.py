"""`xiaoer run`'s memory: the resident set of the real process, idle with the model loaded and
after it has handled N new demands (default 10,000, each from a person of their own).

    python -m benchmarks.run_memory [--demands 10000] [--settle 5]

The bot runs as an operator runs it (`xiaoer run` on an SQLite file, the shipped config without
officer groups) against the fake Bot API served by this process over loopback, Telegram's pacing
included (30 messages a second, so 10,000 demands take about 11 minutes: each is acknowledged and
asked for the company's name). RSS is VmRSS of that process from /proc, read once it has been
polling for `--settle` seconds (idle: the model is loaded before the first poll), at checkpoints
while demands are answered, and after the last answer plus `--settle` seconds; VmHWM is its peak.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from tests.fake_telegram import FakeBotApi
from tests.processes import environment, private_config, start

FIRST_USER = 500_000
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


async def drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


async def feed(api: FakeBotApi, demands: int) -> None:
    """The demands, as Telegram hands them out: at most a hundred waiting to be fetched."""
    for i in range(demands):
        # polled: the fake has no event for "fetched"; 50 ms is short beside the minutes measured
        while len(api.pending) >= 100:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await api.user_sends(FIRST_USER + i, DEMANDS[i % len(DEMANDS)])


async def main(demands: int, settle: float) -> None:
    api = FakeBotApi()
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(api, private_config(Path(tmp)))
        database = f"sqlite+aiosqlite:///{tmp}/memory.db"
        began_at = time.perf_counter()
        process = await start(env, database)
        assert process.stderr is not None
        draining = asyncio.create_task(drain(process.stderr))  # its log: a full pipe would stall it
        try:
            await api.wait_until(lambda: "getupdates" in api.calls, "xiaoer run polling", 300)
            print(f"xiaoer run (pid {process.pid}) polling after {time.perf_counter() - began_at:.1f} s")
            await asyncio.sleep(settle)
            idle = status(process.pid)
            print(f"idle, model loaded:            VmRSS {mib(idle['VmRSS'])}")
            feeding = asyncio.create_task(feed(api, demands))
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
        finally:
            if process.returncode is None:
                process.terminate()
                await process.wait()
            await draining
            await api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--demands", type=int, default=10_000)
    parser.add_argument("--settle", type=float, default=5.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.demands, arguments.settle))
