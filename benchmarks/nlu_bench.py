"""Builtin NLU: single-thread latency per message (p50/p99) by length — at most 20 characters, at
most 300, and 4,096 (the longest Telegram message) — hostile inputs as a ratio to plain text of
the same length, throughput, model load and training time, process RSS. Messages are the
evaluation and dev sets' texts; the 4,096-character ones are dev texts joined until that length.

    python -m benchmarks.nlu_bench [--rounds 5]
    python -m benchmarks.nlu_bench --quality   # issue 17's figures on every dev set instead

`--quality` trains a model from nlu/data and prints intent accuracy, category macro-F1 and urgency
accuracy on the held-out set and each dev set, and the share of CLINC150's `oos_test` queries read
as a demand or a policy question (from ../shared/datasets/clinc150/data_full.json, when there).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from nlu.builtin import BuiltinNlu, build_model
from nlu.evaluate import evaluate, read_jsonl

ROOT = Path(__file__).resolve().parent.parent
LONGEST = 4096
CLINC = ROOT.parent / "shared" / "datasets" / "clinc150" / "data_full.json"
# Issue 17's goals on every kind of message
GOALS = {"intent": 0.95, "category macro-F1": 0.90, "urgency": 0.95}


def texts() -> list[str]:
    found = []
    for path in sorted((ROOT / "tests" / "data").glob("nlu_*.jsonl")):
        found += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    return found


def joined(pieces: Sequence[str], length: int, start: int) -> str:
    """Texts from `pieces` (beginning at `start`) joined until exactly `length` characters."""
    out, i = "", start
    while len(out) < length:
        out += pieces[i % len(pieces)]
        i += 1
    return out[:length]


def hostile(plain_zh: Sequence[str]) -> list[tuple[str, str, str]]:
    """(name, hostile text, plain text of the same length)."""
    cases = {
        '"1," x 2,000': "1," * 2000,
        "400-digit amount": "贷款" + "9" * 400 + "万元",
        "309-digit amount": "9" * 309 + "万元",
        "RMB + '1,' x 2,000": "RMB " + "1," * 2000,
        "4,096 spaces": " " * LONGEST,
        "4,096 capitals": "A" * LONGEST,
        '"公司" x 2,048': "公司" * 2048,
        "4,096 digits": "1" * LONGEST,
    }
    return [(name, text, joined(plain_zh, len(text), 7)) for name, text in cases.items()]


def timed(
    parse: Callable[[str], object], messages: Sequence[str], rounds: int
) -> tuple[list[float], list[float]]:
    """Sorted wall times and sorted CPU times of this thread, in ms. On a shared machine the CPU
    time is what a message costs us; the wall time adds whatever else ran meanwhile."""
    wall, cpu = [], []
    for _ in range(rounds):
        for text in messages:
            start, start_cpu = time.perf_counter(), time.thread_time()
            parse(text)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
    return sorted(wall), sorted(cpu)


def p(ordered: Sequence[float], quantile: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * quantile))]


def quality(nlu: BuiltinNlu) -> None:
    print(f"{'data':<28} {'n':>4} {'intent':>7} {'cat F1':>7} {'urgency':>8}")
    for path in sorted((ROOT / "tests" / "data").glob("nlu_*.jsonl")):
        rows = read_jsonl(path.read_text(encoding="utf-8").splitlines())
        if "intent" not in rows[0]:
            continue  # the amounts set: entities only
        report = evaluate(nlu.parse_now, rows)
        print(
            f"{path.name:<28} {report.total:>4} {report.intent_accuracy:>7.4f}"
            f" {report.category_macro_f1:>7.4f} {report.urgent_accuracy:>8.4f}"
        )
    print(
        "goals on every set but nlu_eval.jsonl (held out: must not drop): "
        + ", ".join(f"{name} >= {goal}" for name, goal in GOALS.items())
    )
    if CLINC.exists():
        queries = [text for text, _ in json.loads(CLINC.read_text(encoding="utf-8"))["oos_test"]]
        wrong = sum(nlu.parse_now(q).intent in ("report_demand", "policy_inquiry") for q in queries)
        print(
            f"CLINC150 oos_test read as a demand or policy question: {wrong}/{len(queries)}"
            f" = {wrong / len(queries):.2%} (goal <= 2%)"
        )
    else:
        print(f"CLINC150 share not measured: {CLINC} is not on this machine")


def main(rounds: int, only_quality: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        start = time.perf_counter()
        build_model(path)
        trained = time.perf_counter() - start
        start = time.perf_counter()
        nlu = BuiltinNlu.load(path)
        loaded = time.perf_counter() - start
    if only_quality:
        quality(nlu)
        return
    messages = texts()
    for text in messages[:50]:
        nlu.parse_now(text)  # warm-up
    zh = [t for t in messages if any("\u4e00" <= c <= "\u9fff" for c in t)]
    en = [t for t in messages if t.isascii()]
    groups = {
        "<= 20 chars": [t for t in messages if len(t) <= 20],
        "<= 300 chars": [t for t in messages if len(t) <= 300],
        "21-300 chars": [t for t in messages if 20 < len(t) <= 300],
        "4,096 chars": [joined(zh, LONGEST, i * 31) for i in range(10)]
        + [joined(en, LONGEST, i * 17) for i in range(10)],
    }
    print(f"one thread, {rounds} rounds; latency per message in ms (wall clock, and CPU time of the thread)")
    print(f"{'messages':<14} {'n':>6} {'p50':>8} {'p99':>8} {'cpu p50':>8} {'cpu p99':>8}")
    everything: list[float] = []
    for name, group in groups.items():
        wall, cpu = timed(nlu.parse_now, group, rounds)
        everything += wall
        print(
            f"{name:<14} {len(group):>6} {p(wall, 0.5):>8.3f} {p(wall, 0.99):>8.3f}"
            f" {p(cpu, 0.5):>8.3f} {p(cpu, 0.99):>8.3f}"
        )
    print("hostile input, CPU-time p50 against plain Chinese text of the same length:")
    for name, text, plain in hostile(zh):
        bad = statistics.median(timed(nlu.parse_now, [text], rounds * 4)[1])
        good = statistics.median(timed(nlu.parse_now, [plain], rounds * 4)[1])
        print(
            f"  {name:<22} {len(text):>5} chars  {bad:>7.3f} ms vs {good:>7.3f} ms  ratio {bad / good:>5.2f}"
        )
    print(f"load average when done: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"throughput over all groups: {len(everything) / (sum(everything) / 1000):.0f} msg/s")
    print(f"training: {trained:.2f} s  model load: {loaded * 1000:.0f} ms  peak RSS: {rss_mb:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quality", action="store_true", help="quality on every dev set, not speed")
    arguments = parser.parse_args()
    main(arguments.rounds, arguments.quality)
