"""Builtin NLU: single-thread latency per message (p50/p99), throughput, model load and training
time, process RSS. Messages are the evaluation and dev sets' texts, parsed in rounds.

    python -m benchmarks.nlu_bench [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from nlu.builtin import BuiltinNlu, build_model

ROOT = Path(__file__).resolve().parent.parent


def texts() -> list[str]:
    found = []
    for name in ("nlu_eval.jsonl", "nlu_dev.jsonl"):
        path = ROOT / "tests" / "data" / name
        if path.exists():
            found += [
                json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line
            ]
    return found


def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        start = time.perf_counter()
        build_model(path)
        trained = time.perf_counter() - start
        start = time.perf_counter()
        nlu = BuiltinNlu.load(path)
        loaded = time.perf_counter() - start
    messages = texts()
    for text in messages[:50]:
        nlu.parse_now(text)  # warm-up
    latencies = []
    for _ in range(rounds):
        for text in messages:
            t0 = time.perf_counter()
            nlu.parse_now(text)
            latencies.append(time.perf_counter() - t0)
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"messages parsed: {len(ordered)} ({len(messages)} texts x {rounds} rounds), one thread")
    print(
        f"latency p50: {p50:.3f} ms  p99: {p99:.3f} ms  throughput: {len(ordered) / sum(ordered):.0f} msg/s"
    )
    print(f"training: {trained:.2f} s  model load: {loaded * 1000:.0f} ms  peak RSS: {rss_mb:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    main(parser.parse_args().rounds)
