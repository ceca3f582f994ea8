"""What webhooks cost intake: a demand message through the dispatcher to a stored, routed ticket
(two audit events each), on the embedded SQLite file, first with no subscription (the baseline),
then with three subscribers that want every event (six webhook outbox rows written in the same
transaction per demand). Same process, same database kind, side by side.

    python -m benchmarks.webhooks_bench [--messages 400]

Prints p50/p99 per message, messages per second, and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.intake_bench import ROOT, run
from bot.bootstrap import build_app
from bot.config import load_settings
from bot.domain.webhooks import EVENTS, Subscription


def summary(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    return p50, p99, len(ordered) / sum(ordered)


async def measure(directory: Path, subscribers: int, messages: int) -> tuple[float, float, float]:
    settings = load_settings(ROOT / "config.yaml")
    app = await build_app(settings, f"sqlite+aiosqlite:///{directory}/bench-{subscribers}.db")
    try:
        async with app.storage() as uow:
            for i in range(subscribers):
                url = f"http://127.0.0.1:9/{i}"
                await uow.webhooks.add(Subscription(None, url, "s", EVENTS, created_at=datetime.now(UTC)))
            await uow.commit()
        await run(app.deps, 20)  # warm-up
        return summary(await run(app.deps, messages))
    finally:
        await app.close()


async def main(messages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = await measure(Path(tmp), 0, messages)
        fanned = await measure(Path(tmp), 3, messages)
    print(f"{'subscribers':<12} {'p50 ms':>8} {'p99 ms':>8} {'msg/s':>8}")
    for name, (p50, p99, rate) in (("0 (baseline)", base), ("3", fanned)):
        print(f"{name:<12} {p50:8.2f} {p99:8.2f} {rate:8.0f}")
    print(
        f"ratio p50 {fanned[0] / base[0]:.2f}, p99 {fanned[1] / base[1]:.2f}, rate {fanned[2] / base[2]:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=400)
    asyncio.run(main(parser.parse_args().messages))
