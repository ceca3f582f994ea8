"""What one fsync'd commit costs on this machine's disk: a small write transaction committed with
SQLite's `synchronous=FULL` (in WAL mode, one fsync of the log per commit), against the same
transaction with `synchronous=OFF` (no fsync), side by side in one run.

    python -m benchmarks.fsync_cost [--transactions 2000] [--rounds 2] [--dir /tmp]

Each transaction is BEGIN IMMEDIATE, one INSERT of a 200-byte row, COMMIT, through the standard
library's sqlite3, as the in-place floors of benchmarks/telegram_intake.py write. The two settings
alternate, each round a fresh database of its own in `--dir` (the benchmarks' databases live in the
system's temporary directory). Printed per round: the median, p90, p99 and mean wall time of a
transaction under each setting, and FULL/OFF of the medians. Goal 1 of issue 22 is a ratio of
rates; this says how much of an update's time a commit that must reach the disk takes.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time


def transaction_times(directory: str, synchronous: str, count: int) -> list[float]:
    """Seconds each of `count` one-row write transactions took, sorted."""
    folder = tempfile.mkdtemp(dir=directory)
    path = os.path.join(folder, "fsync_cost.db")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={synchronous}")
        connection.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, value TEXT)")
        value = "x" * 200
        times = []
        for _ in range(count):
            started = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO rows (value) VALUES (?)", (value,))
            connection.execute("COMMIT")
            times.append(time.perf_counter() - started)
    finally:
        connection.close()
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)
    return sorted(times)


def percentile(ordered: list[float], share: float) -> float:
    return ordered[round(share * (len(ordered) - 1))]


def line(synchronous: str, times: list[float]) -> str:
    figures = [percentile(times, share) for share in (0.5, 0.9, 0.99)]
    median, p90, p99 = (f"{seconds * 1e6:5.0f} us" for seconds in figures)
    return (
        f"  synchronous={synchronous:<4}  median {median}  p90 {p90}  p99 {p99}  "
        f"mean {statistics.mean(times) * 1e6:5.0f} us"
    )


def main(count: int, rounds: int, directory: str) -> None:
    print(f"{count} one-row write transactions a setting, {rounds} rounds, databases in {directory}")
    for number in range(1, rounds + 1):
        off = transaction_times(directory, "OFF", count)
        full = transaction_times(directory, "FULL", count)
        print(f"round {number}:")
        print(line("OFF", off))
        print(line("FULL", full))
        extra = percentile(full, 0.5) - percentile(off, 0.5)
        ratio = percentile(full, 0.5) / percentile(off, 0.5)
        print(f"  FULL/OFF of the medians {ratio:.1f}; the fsync adds {extra * 1e6:.0f} us a commit")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    arguments = parser.parse_args()
    main(arguments.transactions, arguments.rounds, arguments.dir)
