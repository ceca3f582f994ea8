"""Intake latency and throughput: a demand message through the dispatcher (builtin NLU included)
to a stored, routed ticket, on the embedded SQLite file (the storage `xiaoer run` uses by default).

    python -m benchmarks.intake_bench [--messages 500]

Prints p50/p99 per message and messages per second. Figures go to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.domain.messages import Inbound, Sender
from handlers.deps import Deps
from handlers.dispatch import handle

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了",
    "厂房扩产需要新增用地，希望协调",
    "出口退税迟迟没有到账，请帮忙催一下",
    "We need help recruiting 30 skilled workers before the new line starts",
]


async def run(deps: Deps, messages: int) -> list[float]:
    senders = [Sender("console", f"enterprise:{e}") for e in ("xinyuan", "haiyue", "lanjing", "tongxin")]
    latencies: list[float] = []
    for i in range(messages):
        sender = senders[i % len(senders)]
        inbound = Inbound(sender, sender.user_id, TEXTS[i % len(TEXTS)], deps.clock())
        start = time.perf_counter()
        await handle(inbound, deps)
        latencies.append(time.perf_counter() - start)
    return latencies


def report(name: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    rate = len(ordered) / sum(ordered)
    print(f"{name:<14} n={len(ordered):<5} p50={p50:7.2f} ms  p99={p99:7.2f} ms  {rate:8.0f} msg/s")


async def main(messages: int) -> None:
    settings = load_settings(ROOT / "config.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        app = await build_app(settings, f"sqlite+aiosqlite:///{tmp}/bench.db")
        try:
            await run(app.deps, 20)  # warm-up
            report("sqlite (WAL)", await run(app.deps, messages))
        finally:
            await app.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=500)
    asyncio.run(main(parser.parse_args().messages))
