"""The first people's answers after `xiaoer run` starts: how long each of the first demands
waited for its first answer, cold (the first Chinese and the first English demand of the
process) against warm (the ones after), and what start-up cost to reach polling.

    python -m benchmarks.first_answer [--rounds 5] [--after 15]

Each round starts the real `xiaoer run` (polling, a fresh SQLite file, the shipped config without
officer groups) against the fake Bot API in this process, waits until it polls and then `--after`
seconds more (15: past the first empty getUpdates answer, which comes after the 10 s polling
timeout), and sends demands from new people one at a time, each once the one before was answered:
Chinese, English (language_code "en"), Chinese, English. It prints per position the median over
rounds of the wait from the demand's arrival to the first message to that person, and the CPU the
process spent from the demand's arrival to its last message (/proc, 10 ms ticks: summed over the
rounds); and the start-up's wall and CPU time until the first getUpdates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.run_memory import ASKED
from tests.fake_telegram import FakeBotApi
from tests.processes import environment, private_config, start

FIRST_USER = 700_000
DEMANDS = [
    ("我们公司急需一笔200万的流动资金贷款，下月发工资都困难了", "zh-hans"),
    ("Customs has held our shipment for ten days, please help us get it released", "en"),
    ("园区门口的路灯坏了一个多月，晚上工人下班很危险", "zh-hans"),
    ("We need help recruiting 30 skilled workers before the new line starts", "en"),
]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from /proc (clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def answer(api: FakeBotApi, pid: int, chat: int, text: str, language: str) -> tuple[float, float]:
    """(seconds to the first message to `chat`, CPU seconds until it was asked for its company)."""
    before = cpu_seconds(pid)
    arrived = time.monotonic()
    await api.user_sends(chat, text, language_code=language)
    await api.wait_until(
        lambda: any(words in sent.text for sent in api.to(chat) for words in ASKED), "the demand answered", 60
    )
    return api.to(chat)[0].at - arrived, cpu_seconds(pid) - before


async def one_round(after: float) -> tuple[float, float, list[tuple[float, float]]]:
    api = FakeBotApi()
    await api.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = environment(api, private_config(Path(tmp)))
            began = time.monotonic()
            process = await start(env, f"sqlite+aiosqlite:///{tmp}/first.db")
            try:
                await api.wait_until(lambda: "getupdates" in api.calls, "xiaoer run polling", 300)
                startup = (time.monotonic() - began, cpu_seconds(process.pid))
                await asyncio.sleep(after)
                waits = []
                for i, (text, language) in enumerate(DEMANDS):
                    waits.append(await answer(api, process.pid, FIRST_USER + i, text, language))
                    await asyncio.sleep(0.5)  # the sender's last steps, out of the next one's figures
            finally:
                process.terminate()
                await process.wait()
    finally:
        await api.stop()
    return startup[0], startup[1], waits


async def main(rounds: int, after: float) -> None:
    results = [await one_round(after) for _ in range(rounds)]
    walls = [wall for wall, _, _ in results]
    cpus = [cpu for _, cpu, _ in results]
    print(
        f"start-up to the first getUpdates: wall median {statistics.median(walls):.2f} s "
        f"({min(walls):.2f}-{max(walls):.2f}), CPU median {statistics.median(cpus):.2f} s "
        f"({min(cpus):.2f}-{max(cpus):.2f}), {rounds} rounds"
    )
    print(
        f"demands sent {after:.0f} s after polling began; first answer's wait, median (min-max) over rounds:"
    )
    for position, (text, language) in enumerate(DEMANDS):
        waits = [1000 * result[2][position][0] for result in results]
        cpu = 1000 * sum(result[2][position][1] for result in results) / rounds
        print(
            f"  demand {position + 1} ({language:7}) {statistics.median(waits):6.1f} ms "
            f"({min(waits):.1f}-{max(waits):.1f})   CPU {cpu:5.0f} ms a round   {text[:24]}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--after", type=float, default=15.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.after))
