"""Issue 21 item 21: the caches and tables a long-running process fills are bounded: the
similarity cache by bytes, and the send pacer's buckets by dropping the
ones that hold nothing."""

from __future__ import annotations

import gc
import random
import tracemalloc

from bot.channels.pacing import Pacer
from bot.domain import similarity

HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]


def _long_demand(seed: int, length: int = 4000) -> str:
    pick = random.Random(seed).choice
    return "".join(pick(HAN) for _ in range(length))


def test_the_similarity_cache_is_bounded_by_bytes() -> None:
    texts = [_long_demand(seed) for seed in range(120)]
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        for text in texts:
            similarity.similarity(text, texts[0])
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    # kept whole, 120 long demands hold about 56 MB (0.47 MB each); the budget is 16 MB
    assert held < 24 * 2**20, held


def test_the_similarity_cache_still_serves_repeated_texts() -> None:
    first = similarity.shingles("园区限电，生产线停了")
    assert similarity.shingles("园区限电，生产线停了") is first


async def test_the_pacer_forgets_chats_whose_buckets_are_full_again() -> None:
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    for chat in range(20_000):
        await pacer.wait(chat, is_group=chat % 2 == 0)
        now[0] += 0.05  # 20 a second: under the overall limit
    assert len(pacer._buckets) <= 2048
    # a chat still waiting out Telegram's 429 is remembered however many others come and go
    pacer.hold(-42, 3600.0)
    for chat in range(20_000, 40_000):
        await pacer.wait(chat, is_group=False)
        now[0] += 0.05
    assert pacer.ready_in(-42, is_group=False) > 0
